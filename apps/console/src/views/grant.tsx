/**
 * One grant, as GET /grants/:id shows it (status, amounts, period, tranches, reports, amendments),
 * and for grant managers and admins the next commands valid in its state, each a form generated
 * from the OpenAPI document like the board's: sent with `If-Match: "<version>"` (the version shown),
 * the server's problem details beside the fields and above the form (a 422 rule said in the
 * reader's language and the grant's money, a 409 answered by reloading the grant), then a wait
 * until the read model shows the version the command produced, so the panel shows the result
 * without a reload. Auditors see the same grant, read only.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { useMayDo } from '../access';
import { api, must, type Problem, type Schemas } from '../api';
import { sendKeyed, untilRead } from '../commands';
import { type MessageKey, useLocale } from '../i18n';
import { SchemaForm } from '../schema-form';
import { useDocumentTitle } from '../title';
import { ProblemNotice, sentence, StatusBadge } from './common';

type Grant = Schemas['GrantViewDto'];
type Tranche = Grant['tranches'][number];
type Report = Grant['reports'][number];

/** A command on the grant, or on one of its tranches or reports. */
interface GrantAction {
  path: string;
  title: MessageKey;
  trancheId?: string;
  reportId?: string;
}

const action = (path: string, title: MessageKey): GrantAction => ({ path, title });

/** The grant-level commands offered by status, as the grant's decider allows them (the server still judges every one). */
const GRANT_ACTIONS: Partial<Record<string, GrantAction[]>> = {
  awarded: [
    action('/grants/{id}/agreement', 'grantAction.agreement'),
    action('/grants/{id}/reports', 'grantAction.reports'),
    action('/grants/{id}/amendments', 'grantAction.amendments'),
    action('/grants/{id}/termination', 'grantAction.termination'),
  ],
  active: [
    action('/grants/{id}/disbursements', 'grantAction.disbursements'),
    action('/grants/{id}/reports', 'grantAction.reports'),
    action('/grants/{id}/amendments', 'grantAction.amendments'),
    action('/grants/{id}/suspension', 'grantAction.suspension'),
    action('/grants/{id}/termination', 'grantAction.termination'),
    action('/grants/{id}/closure', 'grantAction.closure'),
  ],
  suspended: [
    action('/grants/{id}/disbursements', 'grantAction.disbursements'),
    action('/grants/{id}/reports', 'grantAction.reports'),
    action('/grants/{id}/amendments', 'grantAction.amendments'),
    action('/grants/{id}/reinstatement', 'grantAction.reinstatement'),
    action('/grants/{id}/termination', 'grantAction.termination'),
  ],
};

/** A scheduled tranche is paid on an active grant (no payments while suspended) and cancelled until the grant ends. */
function trancheActions(grant: Grant, tranche: Tranche): GrantAction[] {
  if (tranche.status !== 'scheduled') return [];
  const { trancheId } = tranche;
  const pay = grant.status === 'active' ? [{ path: '/grants/{id}/disbursements/{trancheId}/payment', title: 'grantAction.payment' as const, trancheId }] : [];
  const cancel = ['awarded', 'active', 'suspended'].includes(grant.status) ? [{ path: '/grants/{id}/disbursements/{trancheId}/cancellation', title: 'grantAction.cancellation' as const, trancheId }] : [];
  return [...pay, ...cancel];
}

/**
 * A submitted report is accepted or sent back while the grant runs (active or suspended); one the
 * grantee still owes (scheduled, or sent back for revision) is waived while the grant runs (awarded,
 * active or suspended), by the roles the API lets waive (`mayWaive`).
 */
function reportActions(grant: Grant, report: Report, mayWaive: boolean): GrantAction[] {
  const { reportId } = report;
  if (report.status === 'submitted' && ['active', 'suspended'].includes(grant.status)) {
    return [
      { path: '/grants/{id}/reports/{reportId}/acceptance', title: 'grantAction.acceptance', reportId },
      { path: '/grants/{id}/reports/{reportId}/revision-request', title: 'grantAction.revision', reportId },
    ];
  }
  if (mayWaive && ['scheduled', 'revision-requested'].includes(report.status) && ['awarded', 'active', 'suspended'].includes(grant.status)) {
    return [{ path: '/grants/{id}/reports/{reportId}/waiver', title: 'grantAction.waiver', reportId }];
  }
  return [];
}

const keyOf = (a: GrantAction) => `${a.path}|${a.trancheId ?? ''}|${a.reportId ?? ''}`;

/**
 * The grant's finances: its budget is agreed once, while the grant runs (awarded, active or
 * suspended); an unspent advance the final financial report showed is recorded as repaid while it
 * is owed, also after a termination.
 */
function financeActions(grant: Grant): GrantAction[] {
  const budget = !grant.budget && ['awarded', 'active', 'suspended'].includes(grant.status) ? [action('/grants/{id}/budget', 'grantAction.budget')] : [];
  const recovery = grant.recovery && !grant.recovery.recovered && ['active', 'suspended', 'terminated'].includes(grant.status) ? [action('/grants/{id}/recovery', 'grantAction.recovery')] : [];
  return [...budget, ...recovery];
}

/** The final financial report is accepted: the grant is settled (no other tranche; its final payment, if any, is owed). */
const isSettled = (grant: Grant): boolean => grant.reports.some((r) => r.financial?.final === true && r.status === 'accepted');

/**
 * The grant-level actions offered on `grant`: its status's and its finances'. Once settled, no
 * tranche is scheduled (grant.disbursement.after-settlement), and while its final payment is
 * scheduled the grant is not terminated (grant.termination.final-payment-owed): pay it, then close.
 */
function grantActions(grant: Grant): GrantAction[] {
  const settled = isSettled(grant);
  const finalPaymentOwed = settled && grant.tranches.some((t) => t.status === 'scheduled');
  return [...(GRANT_ACTIONS[grant.status] ?? []), ...financeActions(grant)].filter(
    (a) => !(settled && a.path === '/grants/{id}/disbursements') && !(finalPaymentOwed && a.path === '/grants/{id}/termination'),
  );
}

/** Every action the panel offers on `grant`: the grant's, and each tranche's and report's. */
function offeredOn(grant: Grant, mayAct: boolean, mayWaive: boolean): GrantAction[] {
  if (!mayAct) return [];
  return [...grantActions(grant), ...grant.tranches.flatMap((tranche) => trancheActions(grant, tranche)), ...grant.reports.flatMap((report) => reportActions(grant, report, mayWaive))];
}

/** Commands that cannot be undone, confirmed before they are sent. */
const CONFIRMED: Partial<Record<string, MessageKey>> = {
  '/grants/{id}/termination': 'grant.confirmTermination',
  '/grants/{id}/closure': 'grant.confirmClosure',
  '/grants/{id}/reports/{reportId}/waiver': 'grant.confirmWaiver',
};

/** What the API would refuse as no grant id (400) is no grant to ask it for. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How often an open grant is read again, so a change another manager made shows without a reload. */
const REFRESH_MS = 10_000;

/** The last day a tranche or report may fall due: a year after the period ends (29 February → 28 February, as the grant decider's `addYears`). */
function yearAfter(day: string): string {
  const year = Number(day.slice(0, 4)) + 1;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDay = day.slice(5) === '02-29' && !leap ? '02-28' : day.slice(5);
  return `${String(year).padStart(4, '0')}-${monthDay}`;
}

/**
 * Sends a grant command the form built to its documented path, with `If-Match: "<version>"` and an
 * `Idempotency-Key` (commands.ts). Answers the problem, or the stream version the command produced.
 */
function sendGrantCommand(target: GrantAction, grantId: string, body: unknown, version: number): Promise<{ problem: Problem } | { version: number }> {
  const path = { id: grantId, ...(target.trancheId ? { trancheId: target.trancheId } : {}), ...(target.reportId ? { reportId: target.reportId } : {}) };
  // The paths are the documented ones (typed here as one of them); the body is what the schema-driven form built.
  return sendKeyed({ path: target.path, params: path, body, version }, (headers) =>
    api.POST(target.path as '/grants/{id}/disbursements/{trancheId}/payment', {
      params: { path: path as { id: string; trancheId: string } },
      headers,
      body: body as Schemas['RecordPaymentDto'],
    }),
  );
}

/** Waits until the grant's row shows the version a command produced; answers whether it did. */
function grantAtVersion(id: string, version: number): Promise<boolean> {
  return untilRead(async () => {
    const { data } = await api.GET('/grants/{id}', { params: { path: { id } } });
    return data !== undefined && data.version >= version;
  });
}

export function GrantPanel({ grantId }: { grantId: string }): JSX.Element {
  const locale = useLocale();
  const { t, money, date, dateTime } = locale;
  const mayAct = useMayDo('grant');
  const mayWaive = useMayDo('waiveReport');
  const [grant, setGrant] = useState<Grant>();
  /** The grant's call (GET /calls/:id), for its maximum award beside an amount change; undefined until read, or if it could not be. */
  const [call, setCall] = useState<Schemas['CallViewDto']>();
  const [title, setTitle] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [refresh, setRefresh] = useState(0);
  const [selected, setSelected] = useState<GrantAction>();
  /** The last command that went through, said once the panel shows its result. */
  const [recorded, setRecorded] = useState<string>();
  /** Someone else changed the grant: shown at once when no form is open, else the newer grant waits for the reader. */
  const [changedElsewhere, setChangedElsewhere] = useState<{ shown: true } | { waiting: Grant }>();
  const notice = useRef<HTMLParagraphElement>(null);
  /** While this panel sends a command, and the version its last command produced: its own change is no one else's. */
  const sending = useRef(false);
  const ownVersion = useRef(-1);
  const wellFormed = UUID.test(grantId);
  useDocumentTitle([t('kind.grant'), t('portfolio.title')], [title]);
  const retry = () => {
    setProblem(undefined);
    setRefresh((n) => n + 1);
  };

  useEffect(() => {
    setGrant(undefined);
    setTitle(undefined);
    setCall(undefined);
    setProblem(undefined);
    setSelected(undefined);
    setRecorded(undefined);
    setChangedElsewhere(undefined);
  }, [grantId]);

  useEffect(() => {
    if (!wellFormed) return undefined;
    // An answer for a grant no longer shown (another was opened meanwhile) is dropped.
    let current = true;
    must(api.GET('/grants/{id}', { params: { path: { id: grantId } } })).then(
      (next) => {
        if (!current) return;
        setGrant(next);
        setProblem(undefined);
        // The grant goes by its proposal's title.
        api.GET('/proposals/{id}', { params: { path: { id: next.proposalId } } }).then(
          ({ data }) => current && data && setTitle(data.title),
          () => undefined,
        );
        // Its call's maximum award per grant, said beside an amount change and in its refusal.
        api.GET('/calls/{id}', { params: { path: { id: next.callId } } }).then(
          ({ data }) => current && data && setCall(data),
          () => undefined,
        );
      },
      (error: Problem) => current && setProblem(error),
    );
    return () => {
      current = false;
    };
  }, [grantId, refresh, wellFormed]);

  // Read again every REFRESH_MS while the page is in view, and when it comes back into view.
  const shownVersion = grant?.version;
  const formOpen = selected !== undefined;
  useEffect(() => {
    if (shownVersion === undefined) return undefined;
    let current = true;
    const check = () => {
      if (document.visibilityState !== 'visible') return;
      api.GET('/grants/{id}', { params: { path: { id: grantId } } }).then(
        ({ data }) => {
          if (!current || !data || sending.current || data.version <= Math.max(shownVersion, ownVersion.current)) return;
          if (formOpen) {
            setChangedElsewhere({ waiting: data });
          } else {
            setGrant(data);
            setChangedElsewhere({ shown: true });
          }
        },
        () => undefined,
      );
    };
    const timer = setInterval(check, REFRESH_MS);
    document.addEventListener('visibilitychange', check);
    return () => {
      current = false;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', check);
    };
  }, [grantId, shownVersion, formOpen]);

  useEffect(() => {
    if (recorded) notice.current?.focus();
  }, [recorded]);

  const back = <p><a href="#/portfolio">{t('grant.back')}</a></p>;
  if (!grant) {
    const notFound = !wellFormed || problem?.status === 404;
    return (
      <section aria-labelledby="grant-title">
        <h2 id="grant-title">{t('kind.grant')}</h2>
        {back}
        {notFound ? <p role="alert" data-testid="grant-not-found">{t('grant.notFound')}</p> : <ProblemNotice problem={problem} onRetry={retry} />}
        {!problem && !notFound && <p>{t('common.loading')}</p>}
      </section>
    );
  }

  const cur = grant.currency;
  const offered = mayAct ? grantActions(grant) : [];
  const settled = grant.status === 'terminated' || grant.status === 'closed';
  const reportLabel = (report: Report) => t('grant.reportLabel', { kind: t(`reportKind.${report.kind}` as MessageKey), date: date(report.dueDate) });
  const trancheLabel = (tranche: Tranche) => t('grant.trancheLabel', { amount: money(tranche.amountMinor, cur), date: date(tranche.dueDate) });
  const titleOf = (a: GrantAction): string => {
    const tranche = a.trancheId ? grant.tranches.find((x) => x.trancheId === a.trancheId) : undefined;
    const report = a.reportId ? grant.reports.find((x) => x.reportId === a.reportId) : undefined;
    const what = tranche ? trancheLabel(tranche) : report ? reportLabel(report) : undefined;
    return what ? `${t(a.title)}: ${what}` : t(a.title);
  };
  const toggle = (a: GrantAction) => {
    setRecorded(undefined);
    setProblem(undefined);
    // The form that kept a newer grant waiting is closed or replaced: the newer grant shows now, and a new form goes with its version.
    if (changedElsewhere && 'waiting' in changedElsewhere) {
      setGrant(changedElsewhere.waiting);
      setChangedElsewhere({ shown: true });
    } else {
      setChangedElsewhere(undefined);
    }
    setSelected((now) => (now && keyOf(now) === keyOf(a) ? undefined : a));
  };
  const actionButton = (a: GrantAction, label: string, describe?: string) => {
    const open = selected !== undefined && keyOf(selected) === keyOf(a);
    return (
      <button key={keyOf(a)} type="button" class={open ? undefined : 'secondary'} aria-expanded={open ? 'true' : 'false'} aria-controls="grant-action" aria-label={describe} onClick={() => toggle(a)}>
        {label}
      </button>
    );
  };
  const reportById = (id: string | null | undefined) => grant.reports.find((r) => r.reportId === id);

  const submit = async (target: GrantAction, body: unknown): Promise<Problem | undefined> => {
    sending.current = true;
    try {
      return await send(target, body);
    } finally {
      sending.current = false;
    }
  };
  const send = async (target: GrantAction, body: unknown): Promise<Problem | undefined> => {
    const answer = await sendGrantCommand(target, grant.id, body, grant.version);
    if ('problem' in answer) {
      // Someone else changed the grant: show their problem, and the grant as it now is, so the next
      // submit goes with the version the server has (the button stays disabled until it is read).
      if (answer.problem.status === 409) {
        const { data: now } = await api.GET('/grants/{id}', { params: { path: { id: grant.id } } }).catch(() => ({ data: undefined }));
        if (now) {
          setGrant(now);
          setChangedElsewhere(undefined);
          // The change made this action moot (the agreement signed, the tranche paid elsewhere): its
          // form goes, and the conflict is said above the grant as it now stands.
          if (!offeredOn(now, mayAct, mayWaive).some((a) => keyOf(a) === keyOf(target))) {
            setSelected(undefined);
            setProblem(answer.problem);
            return undefined;
          }
        }
      }
      return answer.problem;
    }
    ownVersion.current = answer.version;
    await grantAtVersion(grant.id, answer.version);
    setChangedElsewhere(undefined);
    const { data: now } = await api.GET('/grants/{id}', { params: { path: { id: grant.id } } }).catch(() => ({ data: undefined }));
    if (now) setGrant(now);
    else setRefresh((n) => n + 1);
    setSelected(undefined);
    setRecorded(titleOf(target));
    return undefined;
  };

  const periodEndAmended = grant.amendments.some((a) => a.newPeriodEnd !== undefined);

  return (
    <section aria-labelledby="grant-title" data-testid="grant">
      <h2 id="grant-title">{sentence(t, 'grant.title', {}, { title: title ?? grant.id })}</h2>
      {back}
      <ProblemNotice problem={problem} />
      <div class="panel">
        <p>
          <span data-testid="grant-status"><StatusBadge status={grant.status} of="grant" /></span> · <a href={`#/audit/grant/${grant.id}`}>{t('nav.audit')}</a>
          {grant.overdue && grant.nextReportDue && <> · <strong class="warning">{t('portfolio.overdue', { date: date(grant.nextReportDue) })}</strong></>}
        </p>
        {recorded && (
          <p class="done" role="status" tabIndex={-1} ref={notice} data-testid="grant-recorded">{t('grant.recorded', { action: recorded })}</p>
        )}
        {changedElsewhere && 'shown' in changedElsewhere && <p role="status" data-testid="grant-changed">{t('grant.updatedElsewhere')}</p>}
        {changedElsewhere && 'waiting' in changedElsewhere && (
          <p role="alert" data-testid="grant-changed">
            {t('grant.changedWhileOpen')}{' '}
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setGrant(changedElsewhere.waiting);
                setSelected(undefined);
                setChangedElsewhere({ shown: true });
              }}
            >
              {t('grant.showChanges')}
            </button>
          </p>
        )}
        <dl class="facts" data-testid="grant-facts">
          <div data-field="awardedAmount"><dt>{t('grant.awardedAmount')}</dt><dd>{money(grant.awardedAmountMinor, cur)}</dd></div>
          {grant.amountMinor !== grant.awardedAmountMinor && (
            <div data-field="amount"><dt>{t('grant.currentAmount')}</dt><dd>{money(grant.amountMinor, cur)}</dd></div>
          )}
          <div data-field="scheduled"><dt>{t('grant.scheduled')}</dt><dd>{money(grant.scheduledMinor, cur)}</dd></div>
          <div data-field="paid"><dt>{t('grant.paid')}</dt><dd>{money(grant.disbursedMinor, cur)}</dd></div>
          {/* Nothing more is paid on a terminated or closed grant: what was not paid is given back (below), not remaining. */}
          {!settled && <div data-field="remaining"><dt>{t('grant.remaining')}</dt><dd>{money(grant.remainingMinor, cur)}</dd></div>}
          {grant.unspentMinor !== null && grant.unspentMinor !== undefined && (
            <div data-field="unspent"><dt>{t('grant.unspent')}</dt><dd>{money(grant.unspentMinor, cur)}</dd></div>
          )}
          {grant.recovery && (
            <div data-field="recovery">
              <dt>{t('grant.recovery')}</dt>
              <dd>{t(grant.recovery.recovered ? 'grant.recovered' : 'grant.recoveryDue', { amount: money(grant.recovery.recoveryMinor, cur) })}</dd>
            </div>
          )}
          <div data-field="period">
            <dt>{t('grant.period')}</dt>
            <dd>{t('grant.periodValue', { start: date(grant.periodStart), end: date(grant.periodEnd) })}{periodEndAmended && ` (${t('grant.extended')})`}</dd>
          </div>
          <div data-field="agreement">
            <dt>{t('grant.agreement')}</dt>
            <dd>{grant.agreementSignedAt ? t('grant.agreementSigned', { date: dateTime(grant.agreementSignedAt) }) : t('grant.agreementNotSigned')}</dd>
          </div>
          <div data-field="nextReport"><dt>{t('grant.nextReport')}</dt><dd>{grant.nextReportDue ? date(grant.nextReportDue) : '—'}</dd></div>
          {grant.statusReason && <div data-field="statusReason"><dt>{t('grant.statusReason')}</dt><dd><bdi>{grant.statusReason}</bdi></dd></div>}
          {grant.conditions.length > 0 && <div data-field="conditions"><dt>{t('grant.conditions')}</dt><dd>{grant.conditions.map((condition, i) => <span key={i}>{i > 0 && '; '}<bdi>{condition}</bdi></span>)}</dd></div>}
        </dl>
      </div>

      <section class="panel" aria-labelledby="grant-budget" data-testid="budget">
        <h3 id="grant-budget">{t('grant.budget')}</h3>
        {grant.budget ? (
          <>
            <div class="table-scroll">
            <table>
              <thead>
                <tr><th scope="col">{t('form.budgetLine')}</th><th scope="col">{t('grant.col.amount')}</th></tr>
              </thead>
              <tbody>
                {grant.budget.lines.map((line) => (
                  <tr key={line.budgetLine}><td><bdi>{line.budgetLine}</bdi></td><td class="num">{money(line.amountMinor, cur)}</td></tr>
                ))}
              </tbody>
            </table>
            </div>
            <p class="meta">{t('grant.budgetTerms', { share: new Intl.NumberFormat(locale.tag, { style: 'percent', maximumFractionDigits: 2 }).format(grant.budget.transferShareBasisPoints / 10_000), date: dateTime(grant.budget.agreedAt) })}</p>
          </>
        ) : (
          <p>{t('grant.noBudget')}</p>
        )}
      </section>

      <div class="table-scroll">
      <table data-testid="tranches">
        <caption>{t('grant.tranches')}</caption>
        <thead>
          <tr><th scope="col">{t('grant.col.amount')}</th><th scope="col">{t('grant.col.due')}</th><th scope="col">{t('common.status')}</th><th scope="col">{t('grant.col.detail')}</th>{mayAct && <th scope="col">{t('board.actions')}</th>}</tr>
        </thead>
        <tbody>
          {grant.tranches.length === 0 && <tr><td colSpan={mayAct ? 5 : 4}>{t('common.none')}</td></tr>}
          {grant.tranches.map((tranche) => {
            const condition = reportById(tranche.conditionReportId);
            return (
              <tr key={tranche.trancheId} data-tranche={tranche.trancheId}>
                <td class="num">{money(tranche.amountMinor, cur)}</td>
                <td class="num">{date(tranche.dueDate)}</td>
                <td><StatusBadge status={tranche.status} of="tranche" /></td>
                <td>
                  {tranche.conditionReportId && <span class="meta">{t('grant.trancheCondition', { report: condition ? reportLabel(condition) : tranche.conditionReportId })}</span>}
                  {tranche.status === 'paid' && <span class="meta">{t('grant.paidWith', { date: tranche.paidAt ? dateTime(tranche.paidAt) : '—', reference: tranche.paymentReference ?? '—' })}</span>}
                  {tranche.status === 'cancelled' && <span class="meta">{sentence(t, 'grant.cancelledWith', { date: tranche.cancelledAt ? dateTime(tranche.cancelledAt) : '—' }, { reason: tranche.cancellationReason ?? '—' })}</span>}
                </td>
                {mayAct && (
                  <td><div class="row-actions">{trancheActions(grant, tranche).map((a) => actionButton(a, t(a.title), titleOf(a)))}</div></td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      </div>

      <div class="table-scroll">
      <table data-testid="reports">
        <caption>{t('grant.reports')}</caption>
        <thead>
          <tr><th scope="col">{t('grant.col.kind')}</th><th scope="col">{t('grant.col.due')}</th><th scope="col">{t('common.status')}</th><th scope="col">{t('grant.col.detail')}</th>{mayAct && <th scope="col">{t('board.actions')}</th>}</tr>
        </thead>
        <tbody>
          {grant.reports.length === 0 && <tr><td colSpan={mayAct ? 5 : 4}>{t('common.none')}</td></tr>}
          {grant.reports.map((report) => (
            <tr key={report.reportId} data-report={report.reportId}>
              <td>{t(`reportKind.${report.kind}` as MessageKey)}</td>
              <td class="num">{date(report.dueDate)}</td>
              <td><StatusBadge status={report.status} of="report" /></td>
              <td>
                <span class="meta">{t('grant.reportId')} <code>{report.reportId}</code></span>
                {report.submittedAt && <span class="meta">{t('grant.submittedOn', { date: dateTime(report.submittedAt) })}</span>}
                {report.acceptedAt && <span class="meta">{t('grant.acceptedOn', { date: dateTime(report.acceptedAt) })}</span>}
                {report.financial && <span class="meta">{t('grant.spent', { amount: money(report.financial.totalSpentMinor, cur) })}</span>}
                {report.status === 'waived' && report.waiver && (
                  <span class="meta" data-testid="report-waiver">{sentence(t, 'grant.waivedWith', { date: dateTime(report.waiver.waivedAt) }, { reason: report.waiver.reason })}</span>
                )}
              </td>
              {mayAct && <td><div class="row-actions">{reportActions(grant, report, mayWaive).map((a) => actionButton(a, t(a.title), titleOf(a)))}</div></td>}
            </tr>
          ))}
        </tbody>
      </table>
      </div>

      {grant.amendments.length > 0 && (
        <div class="table-scroll">
        <table data-testid="amendments">
          <caption>{t('grant.amendments')}</caption>
          <thead>
            <tr><th scope="col">{t('grant.col.date')}</th><th scope="col">{t('grant.col.kind')}</th><th scope="col">{t('grant.col.change')}</th><th scope="col">{t('grant.col.reason')}</th></tr>
          </thead>
          <tbody>
            {grant.amendments.map((a) => (
              <tr key={a.amendmentId}>
                <td class="num">{dateTime(a.amendedAt)}</td>
                <td>{t(`amendmentKind.${a.kind}` as MessageKey)}</td>
                <td>
                  {a.newPeriodEnd && <span class="meta">{t('grant.changePeriod', { from: a.previousPeriodEnd ? date(a.previousPeriodEnd) : '—', to: date(a.newPeriodEnd) })}</span>}
                  {a.newAmountMinor !== undefined && <span class="meta">{t('grant.changeAmount', { from: a.previousAmountMinor !== undefined ? money(a.previousAmountMinor, cur) : '—', to: money(a.newAmountMinor, cur) })}</span>}
                  {a.budgetReallocation?.map((line) => (
                    <span key={line.budgetLine} class="meta">{sentence(t, 'grant.changeLine', { change: `${(line.changeMinor ?? 0) > 0 ? '+' : ''}${money(line.changeMinor ?? 0, cur)}` }, { line: line.budgetLine ?? '' })}</span>
                  ))}
                </td>
                <td><bdi>{a.reason}</bdi></td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}

      {mayAct ? (
        <aside class="panel" aria-labelledby="grant-actions-heading">
          <h3 id="grant-actions-heading">{t('board.actions')}</h3>
          {offered.length === 0 && <p>{t('grant.noActions', { status: t(`status.${grant.status}` as MessageKey) })}</p>}
          <div class="action-list">{offered.map((a) => actionButton(a, t(a.title)))}</div>
          <div id="grant-action">
            {selected && (
              <SchemaForm
                key={keyOf(selected)}
                path={selected.path}
                title={titleOf(selected)}
                currency={cur}
                explain={(refused) => explainGrantRule(refused, grant, call, locale)}
                confirm={CONFIRMED[selected.path] && t(CONFIRMED[selected.path]!)}
                notes={selected.path === '/grants/{id}/amendments' && call ? { newAmountMinor: t('grant.callMaximum', { max: money(call.maxAwardMinor, call.currency) }) } : undefined}
                submit={(body) => submit(selected, body)}
              />
            )}
          </div>
        </aside>
      ) : (
        <p class="meta" data-testid="read-only">{t('grant.readOnly')}</p>
      )}
    </section>
  );
}

/** The grant's refusals a manager meets most, said with the grant's dates and money; undefined for any other problem. */
function explainGrantRule(problem: Problem, grant: Grant, call: Schemas['CallViewDto'] | undefined, { t, money, date }: ReturnType<typeof useLocale>): string | undefined {
  switch (problem.rule) {
    case 'grant.date.outside-grant-window': {
      const awardedOn = grant.awardedAt.slice(0, 10);
      const earliest = awardedOn < grant.periodStart ? awardedOn : grant.periodStart;
      return t('rule.grantWindow', { earliest: date(earliest), latest: date(yearAfter(grant.periodEnd)) });
    }
    case 'grant.amendment.below-paid':
      return t('rule.amountBelowPaid', { paid: money(grant.disbursedMinor, grant.currency) });
    case 'grant.amendment.below-scheduled':
      return t('rule.amountBelowScheduled', { scheduled: money(grant.scheduledMinor, grant.currency) });
    case 'call.budget.exceeded':
      return t('rule.callBudgetExceeded');
    case 'grant.amendment.reallocation-changes-amount':
      return t('rule.reallocationSumsToZero');
    case 'grant.amendment.reallocation-unknown-line':
      return grant.budget ? t('rule.reallocationLines', { lines: grant.budget.lines.map((line) => `“${line.budgetLine}”`).join(', ') }) : t('rule.noBudget');
    case 'grant.closure.final-report-not-accepted':
      return t('rule.finalReportNotAccepted');
    case 'grant.disbursement.exceeds-amount':
      return t('rule.trancheExceedsAmount', {
        scheduled: money(grant.scheduledMinor, grant.currency),
        amount: money(grant.amountMinor, grant.currency),
        left: money(Math.max(0, grant.amountMinor - grant.scheduledMinor), grant.currency),
      });
    case 'grant.budget.invalid': {
      // The detail counts minor units ("The lines sum to 5000000, not to the grant amount 6000000"): said in the grant's money.
      const sums = /sum to (\d+), not to the grant amount (\d+)/.exec(problem.detail ?? '');
      if (sums) return t('rule.budgetSum', { sum: money(Number(sums[1]), grant.currency), amount: money(Number(sums[2]), grant.currency) });
      return t('rule.budgetInvalid', { currency: grant.currency, amount: money(grant.amountMinor, grant.currency) });
    }
    case 'grant.disbursement.agreement-not-signed':
      return t('rule.agreementNotSigned');
    case 'grant.disbursement.report-not-accepted':
      return t('rule.trancheReportNotAccepted');
    case 'grant.termination.final-payment-owed':
      return t('rule.finalPaymentOwed');
    case 'grant.closure.reports-outstanding':
      return t('rule.reportsOutstanding');
    case 'grant.amendment.exceeds-call-maximum':
      return call ? t('rule.exceedsCallMaximum', { max: money(call.maxAwardMinor, call.currency) }) : t('rule.exceedsCallMaximumUnknown');
    case 'grant.report.already-accepted':
      return t('rule.reportAlreadyAccepted');
    case 'grant.report.already-submitted':
      return t('rule.reportAlreadySubmitted');
    case 'grant.report.already-waived':
      return t('rule.reportAlreadyWaived');
    default:
      return undefined;
  }
}
