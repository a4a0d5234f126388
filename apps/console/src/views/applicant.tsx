/**
 * The applicant's view: what the API shows a member user of an organisation (the token's `org`) —
 * its proposals (led or joined as a partner: GET /proposals), its grants (GET /grants), and the
 * invitations into other organisations' networks waiting for its answer (GET /partner-invitations),
 * with accept (with the organisation's mandate) and refuse. Only what the API lets an applicant do
 * is offered; another organisation's record is not there for an applicant (the API answers 404), and
 * the view says so in words. Nothing typed here is kept anywhere but in this page's memory.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { useOrganisation } from '../access';
import { allPages, api, must, type Problem, type Schemas } from '../api';
import { sendKeyed, untilRead } from '../commands';
import { useLocale } from '../i18n';
import { useDocumentTitle } from '../title';
import { ProblemNotice, sentence, StatusBadge } from './common';

type Invitation = Schemas['PartnerInvitationDto'];

const readProposals = () => allPages((offset) => must(api.GET('/proposals', { params: { query: { limit: 200, offset } } })));
const readGrants = () => allPages((offset) => must(api.GET('/grants', { params: { query: { limit: 200, offset } } })));
const readInvitations = () => must(api.GET('/partner-invitations', {})).then((list) => list.items);

export function ApplicantView({ kind, id }: { kind?: string; id?: string }): JSX.Element {
  void kind;
  void id;
  return <ApplicantHome />;
}

function ApplicantHome(): JSX.Element {
  const { t } = useLocale();
  useDocumentTitle([t('applicant.title')]);
  return (
    <section aria-labelledby="applicant-title">
      <h2 id="applicant-title">{t('applicant.title')}</h2>
      <Invitations />
      <ProposalList />
      <GrantList />
    </section>
  );
}

/** A list read once (and again on Try again), with its loading and problem said in words. */
function useList<T>(read: () => Promise<T[]>): { items?: T[]; problem?: Problem; reload(): Promise<void> } {
  const [items, setItems] = useState<T[]>();
  const [problem, setProblem] = useState<Problem>();
  const reload = () =>
    read().then(
      (list) => {
        setProblem(undefined);
        setItems(list);
      },
      (error: Problem) => setProblem(error),
    );
  useEffect(() => {
    void reload();
  }, []);
  return { items, problem, reload };
}

function ProposalList(): JSX.Element {
  const { t, money, date } = useLocale();
  const organisation = useOrganisation();
  const { items, problem, reload } = useList(readProposals);
  const sorted = items && [...items].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  return (
    <section aria-labelledby="applicant-proposals" data-testid="applicant-proposals">
      <h3 id="applicant-proposals">{t('applicant.proposals')}</h3>
      <ProblemNotice problem={problem} onRetry={() => void reload()} />
      {!items && !problem && <p>{t('common.loading')}</p>}
      {sorted && sorted.length === 0 && <p>{t('applicant.noProposals')}</p>}
      <ul class="cards">
        {sorted?.map((p) => (
          <li key={p.id} class="card" data-testid="applicant-proposal">
            <a href={`#/applicant/proposal/${p.id}`}><bdi>{p.title}</bdi></a> <StatusBadge status={p.status} />
            <div class="meta">
              {p.callTitle && <>{sentence(t, 'applicant.call', {}, { call: p.callTitle })} · </>}
              {p.leadOrganisationId === organisation ? t('applicant.asLead') : t('applicant.asPartner')} · {t('applicant.requested', { amount: money(p.requestedMinor, p.currency) })} ·{' '}
              {p.submission ? t('applicant.submittedOn', { date: date(p.submission.submittedAt) }) : t('applicant.draftedOn', { date: date(p.draftedAt) })}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function GrantList(): JSX.Element {
  const { t, money, date } = useLocale();
  const { items, problem, reload } = useList(readGrants);
  // Overdue reports first: what needs the organisation soonest.
  const sorted = items && [...items].sort((a, b) => Number(b.overdue) - Number(a.overdue) || (a.nextReportDue ?? '9').localeCompare(b.nextReportDue ?? '9'));
  return (
    <section aria-labelledby="applicant-grants" data-testid="applicant-grants">
      <h3 id="applicant-grants">{t('applicant.grants')}</h3>
      <ProblemNotice problem={problem} onRetry={() => void reload()} />
      {!items && !problem && <p>{t('common.loading')}</p>}
      {sorted && sorted.length === 0 && <p>{t('applicant.noGrants')}</p>}
      <ul class="cards">
        {sorted?.map((g) => (
          <li key={g.id} class={`card${g.overdue ? ' overdue' : ''}`} data-testid="applicant-grant">
            <a href={`#/applicant/grant/${g.id}`}><bdi>{g.title ?? g.id}</bdi></a> <StatusBadge status={g.status} of="grant" />
            <div class="meta">
              {t('portfolio.disbursed', { disbursed: money(g.disbursedMinor, g.currency), amount: money(g.amountMinor, g.currency) })} ·{' '}
              {t('applicant.period', { start: date(g.periodStart), end: date(g.periodEnd) })}
              {g.nextReportDue && (
                <> · {g.overdue ? <strong class="warning">{t('portfolio.overdue', { date: date(g.nextReportDue) })}</strong> : t('portfolio.nextReport', { date: date(g.nextReportDue) })}</>
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Invitations into other organisations' networks, and changed terms to sign off again. */
function Invitations(): JSX.Element | null {
  const { t } = useLocale();
  const { items, problem, reload } = useList(readInvitations);
  const [answered, setAnswered] = useState<{ title: string; accepted: boolean }>();
  // Accepted invitations whose terms have not changed stay listed (until submission) but ask nothing.
  const waiting = items?.filter((item) => item.status === 'invited' || item.signOffNeeded);
  if (items && waiting?.length === 0 && !answered && !problem) return null;
  return (
    <section aria-labelledby="applicant-invitations" data-testid="applicant-invitations">
      <h3 id="applicant-invitations">{t('applicant.invitations')}</h3>
      {answered && (
        <p role="status" class="done" data-testid="invitation-answered">
          {sentence(t, answered.accepted ? 'applicant.invitationAccepted' : 'applicant.invitationRefused', {}, { title: answered.title })}
        </p>
      )}
      <ProblemNotice problem={problem} onRetry={() => void reload()} />
      {!items && !problem && <p>{t('common.loading')}</p>}
      {items && waiting?.length === 0 && <p>{t('applicant.noInvitations')}</p>}
      <ul class="cards">
        {waiting?.map((invitation) => (
          <InvitationCard
            key={`${invitation.proposalId}-${invitation.termsVersion}`}
            invitation={invitation}
            onAnswered={async (accepted) => {
              await reload();
              setAnswered({ title: invitation.title, accepted });
            }}
          />
        ))}
      </ul>
    </section>
  );
}

function InvitationCard({ invitation, onAnswered }: { invitation: Invitation; onAnswered(accepted: boolean): Promise<void> }): JSX.Element {
  const { t, money, count } = useLocale();
  const organisation = useOrganisation() ?? '';
  const [mandate, setMandate] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const [confirmRefusal, setConfirmRefusal] = useState(false);
  const inFlight = useRef(false);
  const idBase = `invitation-${invitation.proposalId}`;
  const fieldErrors = (problem?.errors ?? []).map((error) => error.messages.join('; ')).join(' ');
  /** Sends one answer; waits until the invitations list shows it, so the card leaves with the answer in. */
  const answer = async (accepted: boolean) => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    try {
      const params = { id: invitation.proposalId, orgId: organisation };
      const body = accepted ? { mandateStatement: mandate, termsVersion: invitation.termsVersion } : undefined;
      const result = accepted
        ? await sendKeyed({ path: '/proposals/{id}/partners/{orgId}/acceptance', params, body }, (headers) =>
            api.POST('/proposals/{id}/partners/{orgId}/acceptance', { params: { path: params }, headers, body: body! }),
          )
        : await sendKeyed({ path: '/proposals/{id}/partners/{orgId}/refusal', params, body }, (headers) => api.POST('/proposals/{id}/partners/{orgId}/refusal', { params: { path: params }, headers }));
      if ('problem' in result) {
        setProblem(result.problem);
        return;
      }
      setProblem(undefined);
      await untilRead(async () => {
        const now = await readInvitations();
        const same = now.find((item) => item.proposalId === invitation.proposalId);
        return accepted ? same === undefined || (same.status === 'accepted' && !same.signOffNeeded) : same === undefined;
      });
      await onAnswered(accepted);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  const explanation =
    problem?.rule === 'proposal.partner.terms-changed'
      ? t('applicant.explain.termsChanged')
      : problem?.status === 409
        ? t('applicant.explain.invitationMoved')
        : undefined;
  return (
    <li class="card" data-testid="invitation">
      <strong><bdi>{invitation.title}</bdi></strong>
      <div class="meta">
        {t(invitation.status === 'accepted' ? 'applicant.signOffNeeded' : 'applicant.invitedAs', { role: invitation.role })} · <bdi>{invitation.policyIssue}</bdi> ·{' '}
        {t('applicant.requested', { amount: money(invitation.requestedMinor, invitation.currency) })} · {count('reviews.duration', invitation.durationMonths)}
      </div>
      <div class="table-scroll">
        <table data-testid="invitation-budget">
          <caption>{t('applicant.termsBudget')}</caption>
          <tbody>
            {invitation.budgetLines.map((line, i) => (
              <tr key={i}><th scope="row"><bdi>{line.label}</bdi></th><td class="num">{money(line.amountMinor, invitation.currency)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <ProblemNotice problem={problem} explanation={explanation} testId="problem" />
      <form
        class="schema-form"
        aria-label={t('applicant.accept')}
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void answer(true);
        }}
      >
        <div class="field">
          <label for={`${idBase}-mandate`}>{t('applicant.mandate')} *</label>
          <textarea
            id={`${idBase}-mandate`}
            rows={3}
            required
            maxLength={2000}
            aria-describedby={`${idBase}-mandate-hint`}
            {...(fieldErrors ? { 'aria-invalid': 'true' as const } : {})}
            value={mandate}
            onInput={(e) => setMandate(e.currentTarget.value)}
          />
          <span class="hint" id={`${idBase}-mandate-hint`}>{t('applicant.mandateHint')}</span>
        </div>
        <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>{t(invitation.status === 'accepted' ? 'applicant.signOff' : 'applicant.accept')}</button>{' '}
        {invitation.status === 'invited' &&
          (confirmRefusal ? (
            <span class="confirm" role="alert" data-testid="confirm">
              {t('applicant.refuseConfirm')}{' '}
              <button type="button" disabled={busy} onClick={() => void answer(false)}>{t('form.confirm', { action: t('applicant.refuse') })}</button>{' '}
              <button type="button" class="secondary" onClick={() => setConfirmRefusal(false)}>{t('form.notNow')}</button>
            </span>
          ) : (
            <button type="button" class="secondary" disabled={busy} onClick={() => setConfirmRefusal(true)}>{t('applicant.refuse')}</button>
          ))}
      </form>
    </li>
  );
}
