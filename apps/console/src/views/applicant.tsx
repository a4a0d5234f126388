/**
 * The applicant's view: what the API shows a member user of an organisation (the token's `org`) —
 * its proposals (led or joined as a partner: GET /proposals), its grants (GET /grants), and the
 * invitations into other organisations' networks waiting for its answer (GET /partner-invitations),
 * with accept (with the organisation's mandate) and refuse. Only what the API lets an applicant do
 * is offered; another organisation's record is not there for an applicant (the API answers 404), and
 * the view says so in words. Nothing typed here is kept anywhere but in this page's memory.
 */
import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { useOrganisation } from '../access';
import { allPages, api, asProblem, authorization, must, type Problem, type Schemas, UNAUTHORIZED_EVENT } from '../api';
import { proposalAtVersion, sendKeyed, untilRead } from '../commands';
import { useLocale } from '../i18n';
import { SchemaForm } from '../schema-form';
import { useDocumentTitle } from '../title';
import { BudgetLinesTable, ProblemNotice, sentence, StatusBadge } from './common';

type Invitation = Schemas['PartnerInvitationDto'];

const readProposals = () => allPages((offset) => must(api.GET('/proposals', { params: { query: { limit: 200, offset } } })));
const readGrants = () => allPages((offset) => must(api.GET('/grants', { params: { query: { limit: 200, offset } } })));
const readInvitations = () => must(api.GET('/partner-invitations', {})).then((list) => list.items);

export function ApplicantView({ kind, id }: { kind?: string; id?: string }): JSX.Element {
  if (kind === 'proposal' && id) return <ProposalPage key={id} proposalId={id} />;
  if (kind === 'grant' && id) return <GrantPage key={id} grantId={id} />;
  return <ApplicantHome />;
}

/** Back to the applicant's home, from a record's page. */
function BackHome(): JSX.Element {
  const { t } = useLocale();
  return <p><a href="#/applicant">{t('applicant.back')}</a></p>;
}

/** A record the API does not show this applicant (another organisation's, or a mistyped address): said in words. */
function NotYours({ kind }: { kind: 'proposal' | 'grant' }): JSX.Element {
  const { t } = useLocale();
  return (
    <section class="panel" role="alert" data-testid="not-yours">
      <h2>{t(kind === 'proposal' ? 'applicant.proposalNotFound' : 'applicant.grantNotFound')}</h2>
      <BackHome />
    </section>
  );
}

/**
 * Reads the proposal again: a command refused 409 (the proposal changed since the page showed it,
 * `If-Match`) is followed by a fresh read, so the next attempt goes with the version now shown.
 */
const StaleContext = createContext<() => void>(() => undefined);
/** The problem a command answered, after reading the record again when it was stale (409). */
function useStale(): (problem: Problem) => Problem {
  const reread = useContext(StaleContext);
  return (problem) => {
    if (problem.status === 409) reread();
    return problem;
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a refused proposal command means, in the reader's language (the server's detail stays, in English, below). */
function explainProposalRule(problem: Problem, t: ReturnType<typeof useLocale>['t'], call: Schemas['CallViewDto'] | undefined, date: (iso: string) => string): string | undefined {
  switch (problem.rule) {
    case 'proposal.call.outside-window':
      return call ? t('applicant.explain.callClosed', { date: date(call.closesAt) }) : t('applicant.explain.callClosedNoDate');
    case 'proposal.call.not-published':
      return t('applicant.explain.callNotPublished');
    case 'proposal.partners.sign-off-missing':
    case 'proposal.partner.not-accepted':
      return t('applicant.explain.partnersNotAccepted');
    case 'proposal.partners.too-few':
      return call ? t('applicant.explain.tooFewPartners', { min: call.minPartners }) : undefined;
    case 'proposal.budget.sum-mismatch':
      return t('applicant.explain.budgetSum');
    case 'proposal.amount.out-of-range':
      return t('applicant.explain.amountRange');
    case 'proposal.lead.country-ineligible':
      return t('applicant.explain.countryIneligible');
    case 'proposal.revision.no-change':
      return t('applicant.explain.noChange');
    case 'proposal.clarification.not-open':
      return t('applicant.explain.clarificationClosed');
    default:
      return problem.status === 409 ? t('applicant.explain.changedMeanwhile') : undefined;
  }
}

function ProposalPage({ proposalId }: { proposalId: string }): JSX.Element {
  const locale = useLocale();
  const { t, money, date, count } = locale;
  const organisation = useOrganisation();
  const [proposal, setProposal] = useState<Schemas['ProposalDetailDto']>();
  const [call, setCall] = useState<Schemas['CallViewDto']>();
  const [problem, setProblem] = useState<Problem>();
  const [attempt, setAttempt] = useState(0);
  const [notice, setNotice] = useState<'revised' | 'submitted' | 'answered'>();
  const valid = UUID.test(proposalId);
  useDocumentTitle([t('applicant.proposal')], [proposal?.title]);
  const read = async () => {
    const detail = await must(api.GET('/proposals/{id}', { params: { path: { id: proposalId } } }));
    setProposal(detail);
    setCall(await must(api.GET('/calls/{id}', { params: { path: { id: detail.callId } } })).catch(() => undefined));
  };
  useEffect(() => {
    if (!valid) return;
    setProblem(undefined);
    read().catch((error: Problem) => setProblem(error));
  }, [proposalId, attempt]);
  /** After a command: the read model shows its version, then the page is read again. */
  const settled = async (version: number, what: 'revised' | 'submitted' | 'answered') => {
    await proposalAtVersion(proposalId, version);
    await read().catch((error: Problem) => setProblem(error));
    setNotice(what);
  };
  if (!valid || problem?.status === 404) return <NotYours kind="proposal" />;
  if (problem) return <><BackHome /><ProblemNotice problem={problem} onRetry={() => setAttempt((n) => n + 1)} /></>;
  if (!proposal) return <p>{t('common.loading')}</p>;
  const leads = proposal.leadOrganisationId === organisation;
  const open = proposal.clarifications.filter((c) => !c.providedAt);
  const answered = proposal.clarifications.filter((c) => c.providedAt);
  return (
    <article class="panel" aria-labelledby="proposal-title" data-testid="applicant-proposal-page">
      <BackHome />
      <h2 id="proposal-title"><bdi>{proposal.title}</bdi></h2>
      {notice && <p role="status" class="done" data-testid="proposal-notice">{t(`applicant.notice.${notice}`)}</p>}
      <p>
        <StatusBadge status={proposal.status} /> · {money(proposal.requestedMinor, proposal.currency)} · {count('reviews.duration', proposal.durationMonths)} ·{' '}
        {leads ? t('applicant.asLead') : t('applicant.asPartner')}
      </p>
      <dl class="facts" data-testid="proposal-facts">
        {call && <div><dt>{t('applicant.callLabel')}</dt><dd><bdi>{call.title}</bdi> ({t('applicant.callCloses', { date: date(call.closesAt) })})</dd></div>}
        <div><dt>{t('reviews.policyIssue')}</dt><dd><bdi>{proposal.policyIssue}</bdi></dd></div>
        <div><dt>{t('applicant.draftedLabel')}</dt><dd>{date(proposal.draftedAt)}</dd></div>
        {proposal.submission && <div><dt>{t('applicant.submittedLabel')}</dt><dd>{date(proposal.submission.submittedAt)}</dd></div>}
        {proposal.decision && (
          <div><dt>{t('applicant.decisionLabel')}</dt><dd>{locale.lookup(`form.decision=${proposal.decision.decision}`) ?? proposal.decision.decision} · {date(proposal.decision.decidedAt)}</dd></div>
        )}
      </dl>
      <p dir="auto" data-testid="proposal-summary">{proposal.summary}</p>
      <BudgetLinesTable lines={proposal.budgetLines} currency={proposal.currency} caption="reviews.budget" testId="budget" />
      <h3>{t('reviews.network')}</h3>
      <ul class="compact" data-testid="network">
        {proposal.partners.map((partner) => (
          <li key={partner.organisationId}>
            {t(partner.status === 'accepted' && partner.acceptedTermsVersion === proposal.termsVersion ? 'reviews.partnerAccepted' : partner.status === 'accepted' ? 'applicant.partnerSignOffAgain' : 'reviews.partnerInvited', { role: partner.role })}
          </li>
        ))}
      </ul>
      {answered.length > 0 && (
        <>
          <h3>{t('applicant.clarificationsAnswered')}</h3>
          <ul class="compact" data-testid="clarifications-answered">
            {answered.map((c) => (
              <li key={c.requestId}>
                <ul class="compact">{c.questions.map((q, i) => <li key={i} dir="auto">{q}</li>)}</ul>
                <p dir="auto">{c.answer}</p>
                <span class="meta">{t('applicant.answeredOn', { date: date(c.providedAt!) })}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <StaleContext.Provider value={() => void read().catch((error: Problem) => setProblem(error))}>
        {leads && proposal.status === 'draft' && <DraftActions proposal={proposal} call={call} onDone={settled} />}
        {leads && open.map((c) => <ClarificationForm key={c.requestId} proposal={proposal} request={c} call={call} onDone={(v) => settled(v, 'answered')} />)}
      </StaleContext.Provider>
      {!leads && (proposal.status === 'draft' || open.length > 0) && <p class="hint" data-testid="lead-acts">{t('applicant.leadActs')}</p>}
    </article>
  );
}

/** A draft, for its lead: edit it (PATCH, only the fields typed), and submit it after a confirmation. */
function DraftActions({ proposal, call, onDone }: { proposal: Schemas['ProposalDetailDto']; call?: Schemas['CallViewDto']; onDone(version: number, what: 'revised' | 'submitted'): Promise<void> }): JSX.Element {
  const { t, date } = useLocale();
  const stale = useStale();
  const params = { id: proposal.id };
  return (
    <section aria-labelledby="draft-actions" data-testid="draft-actions">
      <h3 id="draft-actions">{t('applicant.draftActions')}</h3>
      {call && <p class="hint">{t('applicant.submitBy', { date: date(call.closesAt) })}</p>}
      <p class="hint">{t('applicant.reviseHint')}</p>
      <SchemaForm
        path="/proposals/{id}"
        method="patch"
        title={t('applicant.revise')}
        submitLabel={t('applicant.revise')}
        currency={proposal.currency}
        explain={(problem) => explainProposalRule(problem, t, call, date)}
        submit={async (body) => {
          const answer = await sendKeyed({ path: '/proposals/{id}', params, body, version: proposal.version }, (headers) =>
            api.PATCH('/proposals/{id}', { params: { path: params }, headers, body: body as Schemas['ProposalContentChangesDto'] }),
          );
          if ('problem' in answer) return stale(answer.problem);
          await onDone(answer.version, 'revised');
          return undefined;
        }}
      />
      <SubmitProposal proposal={proposal} call={call} onDone={(version) => onDone(version, 'submitted')} />
    </section>
  );
}

function SubmitProposal({ proposal, call, onDone }: { proposal: Schemas['ProposalDetailDto']; call?: Schemas['CallViewDto']; onDone(version: number): Promise<void> }): JSX.Element {
  const { t, date } = useLocale();
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const stale = useStale();
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);
  const waiting = proposal.partners.filter((p) => p.status !== 'accepted' || p.acceptedTermsVersion !== proposal.termsVersion).length;
  const send = async () => {
    setBusy(true);
    try {
      const params = { id: proposal.id };
      const answer = await sendKeyed({ path: '/proposals/{id}/submit', params, body: undefined, version: proposal.version }, (headers) =>
        api.POST('/proposals/{id}/submit', { params: { path: params }, headers }),
      );
      setConfirming(false);
      if ('problem' in answer) {
        setProblem(stale(answer.problem));
        return;
      }
      setProblem(undefined);
      await onDone(answer.version);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="schema-form" data-testid="submit-proposal">
      <h4>{t('applicant.submit')}</h4>
      <p class="hint">{t('applicant.submitExplained')}</p>
      {waiting > 0 && <p class="warning" data-testid="partners-waiting">{t('applicant.partnersWaiting', { n: waiting })}</p>}
      <ProblemNotice problem={problem} explanation={problem ? explainProposalRule(problem, t, call, date) : undefined} testId="problem" />
      {confirming ? (
        <div class="confirm" role="alert" data-testid="confirm">
          <p>{t('applicant.submitConfirm')}</p>
          <button type="button" ref={confirmButton} disabled={busy} aria-busy={busy ? 'true' : undefined} onClick={() => void send()}>{t('form.confirm', { action: t('applicant.submit') })}</button>{' '}
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>{t('form.notNow')}</button>
        </div>
      ) : (
        <button type="button" disabled={busy} onClick={() => { setProblem(undefined); setConfirming(true); }}>{t('applicant.submit')}</button>
      )}
    </div>
  );
}

/** An open clarification request, for the lead: the questions and an answer. */
function ClarificationForm({ proposal, request, call, onDone }: { proposal: Schemas['ProposalDetailDto']; request: Schemas['ClarificationDto']; call?: Schemas['CallViewDto']; onDone(version: number): Promise<void> }): JSX.Element {
  const { t, date } = useLocale();
  const [answer, setAnswer] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const stale = useStale();
  const id = `clarification-${request.requestId}`;
  const fieldError = problem?.errors?.find((e) => e.field === 'answer')?.messages.join('; ');
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    try {
      const params = { id: proposal.id };
      const body = { requestId: request.requestId, answer };
      const result = await sendKeyed({ path: '/proposals/{id}/clarifications', params, body, version: proposal.version }, (headers) =>
        api.POST('/proposals/{id}/clarifications', { params: { path: params }, headers, body }),
      );
      if ('problem' in result) {
        setProblem(stale(result.problem));
        return;
      }
      setProblem(undefined);
      await onDone(result.version);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="schema-form" onSubmit={submit} aria-labelledby={`${id}-title`} noValidate data-testid="clarification">
      <h3 id={`${id}-title`}>{t('applicant.clarificationAsked', { date: date(request.requestedAt) })}</h3>
      <ul class="compact">{request.questions.map((q, i) => <li key={i} dir="auto">{q}</li>)}</ul>
      <ProblemNotice problem={problem} explanation={problem ? explainProposalRule(problem, t, call, date) : undefined} testId="problem" />
      <div class="field">
        <label for={`${id}-answer`}>{t('applicant.answer')} *</label>
        <textarea id={`${id}-answer`} rows={4} required dir="auto" value={answer} onInput={(e) => setAnswer(e.currentTarget.value)} {...(fieldError ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${id}-error` } : {})} />
        {fieldError && <span class="field-error" id={`${id}-error`} role="alert">{fieldError}</span>}
      </div>
      <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>{t('applicant.sendAnswer')}</button>
    </form>
  );
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
      <BudgetLinesTable lines={invitation.budgetLines} currency={invitation.currency} caption="applicant.termsBudget" testId="invitation-budget" />
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

type Grant = Schemas['GrantViewDto'];
type Report = Schemas['ReportViewDto'];

/** Reports the grantee still owes: scheduled, or sent back for a revision. */
const isOpen = (report: Report) => report.status === 'scheduled' || report.status === 'revision-requested';

/**
 * Whether an open report is overdue. The API says so of the grant only (`overdue`, judged on the
 * programme's clock, which the browser does not know), for its earliest open report (`nextReportDue`):
 * that report, and any open one due on the same day, is the overdue one.
 */
const isOverdue = (grant: Grant, report: Report) => isOpen(report) && grant.overdue && grant.nextReportDue === report.dueDate;

function grantAtVersion(id: string, version: number): Promise<boolean> {
  return untilRead(async () => {
    const { data } = await api.GET('/grants/{id}', { params: { path: { id } } });
    return data !== undefined && data.version >= version;
  });
}

function GrantPage({ grantId }: { grantId: string }): JSX.Element {
  const { t, money, date, lookup } = useLocale();
  const [grant, setGrant] = useState<Grant>();
  const [title, setTitle] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [attempt, setAttempt] = useState(0);
  const [sent, setSent] = useState<Report>();
  const valid = UUID.test(grantId);
  useDocumentTitle([t('applicant.grant')], [title]);
  const read = async () => {
    const next = await must(api.GET('/grants/{id}', { params: { path: { id: grantId } } }));
    setGrant(next);
    // The grant's title is its proposal's (the list names it; the grant's own read does not).
    if (title === undefined) setTitle(await must(api.GET('/proposals/{id}', { params: { path: { id: next.proposalId } } })).then((p) => p.title, () => undefined));
  };
  useEffect(() => {
    if (!valid) return;
    setProblem(undefined);
    read().catch((error: Problem) => setProblem(error));
  }, [grantId, attempt]);
  if (!valid || problem?.status === 404) return <NotYours kind="grant" />;
  if (problem) return <><BackHome /><ProblemNotice problem={problem} onRetry={() => setAttempt((n) => n + 1)} /></>;
  if (!grant) return <p>{t('common.loading')}</p>;
  const reports = [...grant.reports].sort((a, b) => a.dueDate.localeCompare(b.dueDate));
  // A terminated or closed grant takes no report.
  const takesReports = grant.status === 'active' || grant.status === 'awarded' || grant.status === 'suspended';
  return (
    <article class="panel" aria-labelledby="grant-title" data-testid="applicant-grant-page">
      <BackHome />
      <h2 id="grant-title"><bdi>{title ?? t('applicant.grant')}</bdi></h2>
      {sent && <p role="status" class="done" data-testid="grant-notice">{t('applicant.reportSent', { due: date(sent.dueDate) })}</p>}
      <p><StatusBadge status={grant.status} of="grant" />{grant.statusReason && <> · <bdi>{grant.statusReason}</bdi></>}</p>
      <dl class="facts" data-testid="grant-facts">
        <div><dt>{t('applicant.amountLabel')}</dt><dd>{money(grant.amountMinor, grant.currency)}</dd></div>
        <div><dt>{t('applicant.disbursedLabel')}</dt><dd>{money(grant.disbursedMinor, grant.currency)}</dd></div>
        <div><dt>{t('applicant.periodLabel')}</dt><dd>{t('applicant.period', { start: date(grant.periodStart), end: date(grant.periodEnd) })}</dd></div>
        <div><dt>{t('applicant.agreementLabel')}</dt><dd>{grant.agreementSignedAt ? t('applicant.signedOn', { date: date(grant.agreementSignedAt) }) : t('applicant.notSigned')}</dd></div>
      </dl>
      {grant.tranches.length > 0 && (
        <div class="table-scroll">
          <table data-testid="tranches">
            <caption>{t('applicant.tranches')}</caption>
            <tbody>
              {grant.tranches.map((tranche) => (
                <tr key={tranche.trancheId}>
                  <td class="num">{money(tranche.amountMinor, grant.currency)}</td>
                  <td><StatusBadge status={tranche.status} of="tranche" /></td>
                  <td>{tranche.paidAt ? date(tranche.paidAt) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>{t('applicant.reports')}</h3>
      {reports.length === 0 && <p>{t('applicant.noReports')}</p>}
      <ul class="cards" data-testid="reports">
        {reports.map((report) => {
          const overdue = isOverdue(grant, report);
          return (
            <li key={report.reportId} class={`card${overdue ? ' overdue' : ''}`} data-testid="report" data-report={report.reportId}>
              <strong>{lookup(`form.kind=${report.kind}`) ?? report.kind}</strong> <StatusBadge status={report.status} of="report" />
              <div class="meta">
                {overdue ? <strong class="warning">{t('applicant.reportOverdue', { date: date(report.dueDate) })}</strong> : t('applicant.reportDue', { date: date(report.dueDate) })}
                {report.submittedAt && <> · {t('applicant.submittedOn', { date: date(report.submittedAt) })}</>}
                {report.acceptedAt && <> · {t('applicant.acceptedOn', { date: date(report.acceptedAt) })}</>}
              </div>
              {report.status === 'revision-requested' && report.revisionRequest && (
                <p class="explanation" data-testid="revision-request">{sentence(t, 'applicant.revisionRequested', { date: date(report.revisionRequest.requestedAt) }, { reason: report.revisionRequest.reason })}</p>
              )}
              {report.status === 'waived' && report.waiver && (
                <p data-testid="waiver">{sentence(t, 'applicant.waived', { date: date(report.waiver.waivedAt) }, { reason: report.waiver.reason })}</p>
              )}
              {takesReports && isOpen(report) && report.kind !== 'financial' && (
                <ReportForm
                  grant={grant}
                  report={report}
                  onSent={async (version) => {
                    await grantAtVersion(grant.id, version);
                    await read().catch((error: Problem) => setProblem(error));
                    setSent(report);
                  }}
                  onStale={() => void read().catch((error: Problem) => setProblem(error))}
                />
              )}
              {takesReports && isOpen(report) && report.kind === 'financial' && <p class="hint" data-testid="financial-elsewhere">{t('applicant.financialNotHere')}</p>}
            </li>
          );
        })}
      </ul>
    </article>
  );
}

/** A file chosen for a report, read into memory only when the report is sent. */
const MAX_FILES = 5;

/**
 * A narrative report: its summary and, optionally, documents. Each document is uploaded first (POST
 * /grants/:id/documents, multipart, with an Idempotency-Key), then the submission names them; the
 * submission goes with `If-Match`, the version the last upload produced. A file the API refuses
 * (type, size) is said, and nothing is submitted.
 */
function ReportForm({ grant, report, onSent, onStale }: { grant: Grant; report: Report; onSent(version: number): Promise<void>; onStale(): void }): JSX.Element {
  const { t } = useLocale();
  const [summary, setSummary] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  /** Documents already uploaded for this report (by file), so a resend after a refusal does not upload them twice. */
  const uploaded = useRef(new Map<File, { documentId: string; version: number }>());
  const id = `report-${report.reportId}`;
  const summaryError = problem?.errors?.find((e) => e.field === 'summary')?.messages.join('; ');
  /** The Idempotency-Key of each file's upload, in this page's memory: an upload whose answer was lost is sent again with it, and stored once. */
  const keys = useRef(new Map<File, string>());
  const upload = async (file: File): Promise<{ documentId: string; version: number } | Problem> => {
    const done = uploaded.current.get(file);
    if (done) return done;
    if (navigator.onLine === false) return { ...asProblem(new Error('offline'), undefined, true), unreachable: 'offline', notSent: true };
    const key = keys.current.get(file) ?? `console-upload-${[...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
    keys.current.set(file, key);
    const form = new FormData();
    form.append('file', file, file.name);
    let response: Response;
    try {
      response = await fetch(`/grants/${grant.id}/documents`, { method: 'POST', headers: { ...authorization(), 'Idempotency-Key': key }, body: form });
    } catch (error) {
      return asProblem(error, undefined, true);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status === 401) dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    if (!response.ok) return asProblem(body, response, true);
    keys.current.delete(file);
    return body as Schemas['DocumentAttachedDto'];
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    try {
      let version = grant.version;
      const documentIds: string[] = [];
      for (const file of files) {
        const result = await upload(file);
        if ('status' in result) {
          setProblem({ ...result, detail: `${file.name}: ${result.detail}` });
          return;
        }
        uploaded.current.set(file, result);
        documentIds.push(result.documentId);
        version = Math.max(version, result.version);
      }
      const params = { id: grant.id, reportId: report.reportId };
      const body = { summary, ...(documentIds.length > 0 ? { documentIds } : {}) };
      const answer = await sendKeyed({ path: '/grants/{id}/reports/{reportId}/submission', params, body, version }, (headers) =>
        api.POST('/grants/{id}/reports/{reportId}/submission', { params: { path: params }, headers, body }),
      );
      if ('problem' in answer) {
        if (answer.problem.status === 409) onStale();
        setProblem(answer.problem);
        return;
      }
      setProblem(undefined);
      await onSent(answer.version);
    } finally {
      setBusy(false);
    }
  };
  const explanation =
    problem?.status === 413
      ? t('applicant.explain.fileTooLarge')
      : problem?.status === 415
        ? t('applicant.explain.fileType')
        : problem?.status === 409
          ? t('applicant.explain.grantChanged')
          : problem?.rule === 'grant.report.summary-required'
            ? t('applicant.explain.summaryRequired')
            : undefined;
  return (
    <form class="schema-form" onSubmit={submit} aria-labelledby={`${id}-title`} noValidate data-testid="report-form">
      <h4 id={`${id}-title`}>{t(report.status === 'revision-requested' ? 'applicant.resubmitReport' : 'applicant.submitReport')}</h4>
      <ProblemNotice problem={problem} explanation={explanation} testId="problem" />
      <div class="field">
        <label for={`${id}-summary`}>{t('applicant.reportSummary')} *</label>
        <textarea id={`${id}-summary`} rows={5} required dir="auto" value={summary} onInput={(e) => setSummary(e.currentTarget.value)} {...(summaryError ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${id}-summary-error` } : {})} />
        {summaryError && <span class="field-error" id={`${id}-summary-error`} role="alert">{summaryError}</span>}
      </div>
      <div class="field">
        <label for={`${id}-files`}>{t('applicant.reportFiles')}</label>
        <input
          id={`${id}-files`}
          type="file"
          multiple
          accept=".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.pptx,.odt,.ods,.odp"
          aria-describedby={`${id}-files-hint`}
          onChange={(e) => setFiles([...(e.currentTarget.files ?? [])].slice(0, MAX_FILES))}
        />
        <small class="hint" id={`${id}-files-hint`}>{t('applicant.reportFilesHint', { n: MAX_FILES })}</small>
      </div>
      <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>{t(report.status === 'revision-requested' ? 'applicant.resubmitReport' : 'applicant.submitReport')}</button>
    </form>
  );
}
