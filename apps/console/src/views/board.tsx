/**
 * The grant manager's board: a call's proposals by status with their scores and ranking, the
 * call's budget committed and remaining, and the next actions on each proposal as forms generated
 * from the OpenAPI schema. The grant portfolio lists grants, overdue reports first, and opens one
 * (`#/portfolio/<grantId>`) in the grant panel (grant.tsx).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { useMayDo } from '../access';
import { allPages, api, must, type Problem, type Schemas } from '../api';
import { awardSettled, proposalAtVersion, sendCommand } from '../commands';
import { type MessageKey, useLocale } from '../i18n';
import { SchemaForm } from '../schema-form';
import { useDocumentTitle } from '../title';
import { ProblemNotice, sentence, StatusBadge } from './common';
import { GrantPanel } from './grant';

type Proposal = Schemas['ProposalListItemDto'];
type ProposalStatus = Proposal['status'];

const COLUMNS: ProposalStatus[] = ['submitted', 'under-review', 'reserved', 'awarded', 'rejected', 'ineligible', 'withdrawn'];

/** The commands a grant manager may take next, by status (the server still judges every one). */
const NEXT_ACTIONS: Partial<Record<ProposalStatus, { path: string; title: MessageKey }[]>> = {
  submitted: [{ path: '/proposals/{id}/eligibility', title: 'action.eligibility' }],
  'under-review': [
    { path: '/proposals/{id}/reviewers', title: 'action.reviewers' },
    { path: '/proposals/{id}/consensus', title: 'action.consensus' },
    { path: '/proposals/{id}/decision', title: 'action.decision' },
  ],
  reserved: [{ path: '/proposals/{id}/decision', title: 'action.decision' }],
};

export function Board({ callId, proposalId }: { callId?: string; proposalId?: string }): JSX.Element {
  const { t, money, date } = useLocale();
  const [calls, setCalls] = useState<Schemas['CallViewDto'][]>();
  const [call, setCall] = useState<Schemas['CallViewDto']>();
  const [proposals, setProposals] = useState<Proposal[]>();
  const [ranks, setRanks] = useState<Map<string, Schemas['RankedProposalDto']>>(new Map());
  const [problem, setProblem] = useState<Problem>();
  const [refresh, setRefresh] = useState(0);
  /** Bumped by "Try again" after the list of calls got no answer. */
  const [callsAttempt, setCallsAttempt] = useState(0);
  /**
   * The last action that went through, said in the panel once the board shows its result: the form
   * that had focus is gone (the proposal's status offers others), so the notice takes the focus.
   */
  const [recorded, setRecorded] = useState<{ proposalId: string; action: string }>();
  const notice = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (recorded) notice.current?.focus();
  }, [recorded]);

  // Another call or proposal picked: the problem of the last one (a 400 for a hash that is no id)
  // is not this one's. Declared before the loads, so a load's own problem still shows.
  useEffect(() => setProblem(undefined), [callId, proposalId]);
  // Another call: nothing of the last one stays on screen beside this one's problem.
  useEffect(() => {
    setCall(undefined);
    setProposals(undefined);
    setRanks(new Map());
  }, [callId]);

  useEffect(() => {
    allPages((offset) => must(api.GET('/calls', { params: { query: { limit: 200, offset } } }))).then(setCalls, (error: Problem) => setProblem(error));
  }, [callsAttempt]);
  const retry = () => {
    setProblem(undefined);
    if (!calls) setCallsAttempt((n) => n + 1);
    setRefresh((n) => n + 1);
  };

  useEffect(() => {
    if (!callId) return;
    // An answer for a call no longer selected is dropped (its problem too).
    let current = true;
    Promise.all([
      must(api.GET('/calls/{id}', { params: { path: { id: callId } } })),
      allPages((offset) => must(api.GET('/proposals', { params: { query: { callId, limit: 200, offset } } }))),
      must(api.GET('/calls/{id}/ranking', { params: { path: { id: callId } } })),
    ]).then(
      ([shown, list, ranking]) => {
        if (!current) return;
        setCall(shown);
        setProposals(list);
        setRanks(new Map(ranking.items.map((item) => [item.proposalId, item])));
      },
      (error: Problem) => current && setProblem(error),
    );
    return () => {
      current = false;
    };
  }, [callId, refresh]);

  // The selected proposal as GET /proposals/:id shows it to the programme team: its last award
  // outcome (an award the call could not fund sends the proposal back where it was, and the panel
  // says why rather than leave it unexplained) and who its reviewers are (the lists count them only).
  const [detail, setDetail] = useState<Schemas['ProposalDetailDto']>();
  useEffect(() => {
    setDetail(undefined);
    if (!proposalId) return;
    // An answer for a proposal no longer selected (another was picked meanwhile) is dropped.
    let current = true;
    api.GET('/proposals/{id}', { params: { path: { id: proposalId } } }).then(
      ({ data }) => current && setDetail(data),
      () => current && setDetail(undefined),
    );
    return () => {
      current = false;
    };
  }, [proposalId, refresh]);
  const award = detail?.id === proposalId ? detail?.award : undefined;

  const selected = proposals?.find((p) => p.id === proposalId);
  useDocumentTitle([call ? undefined : t('board.title'), call ? t('nav.board') : undefined], [selected?.title, call?.title]);

  return (
    <section aria-labelledby="board-title">
      <h2 id="board-title">{t('board.title')}</h2>
      <ProblemNotice problem={problem} onRetry={retry} />
      <div class="inline-form">
        <label for="call-select">{t('board.call')}</label>
        <select id="call-select" value={callId ?? ''} onChange={(e) => (location.hash = e.currentTarget.value ? `#/board/${e.currentTarget.value}` : '#/board')}>
          <option value="">{t('board.chooseCall')}</option>
          {calls?.map((c) => (
            <option key={c.id} value={c.id}>{c.title}</option>
          ))}
        </select>
      </div>
      {call && (
        <p class="budget" data-testid="budget">
          {t('board.budget', { budget: money(call.budgetMinor, call.currency), committed: money(call.committedMinor, call.currency), remaining: money(call.remainingMinor, call.currency) })}
          {call.recipientCeiling && (
            <>
              <br />
              <span data-testid="recipient-ceiling" data-source={call.recipientCeiling.source}>
                {t('board.recipientCeiling', {
                  amount: money(call.recipientCeiling.amountMinor, call.recipientCeiling.currency),
                  source: t(`board.ceilingSource.${call.recipientCeiling.source}` as MessageKey),
                })}
              </span>
            </>
          )}
        </p>
      )}
      {proposals && (
        <div class="board">
          {COLUMNS.map((status) => {
            const inColumn = proposals.filter((p) => p.status === status).sort((a, b) => (ranks.get(a.id)?.rank ?? 1e9) - (ranks.get(b.id)?.rank ?? 1e9));
            return (
              <section key={status} class="column" aria-label={t(`status.${status}` as MessageKey)} data-column={status}>
                <h3><StatusBadge status={status} /> <span class="count">{inColumn.length}</span></h3>
                <ul>
                  {inColumn.map((p) => (
                    <li key={p.id} class={`card${p.id === proposalId ? ' selected' : ''}`}>
                      <a href={`#/board/${callId}/${p.id}`} aria-current={p.id === proposalId ? 'true' : undefined}><bdi>{p.title}</bdi></a>
                      <div class="meta">
                        {ranks.has(p.id) && <span>{t('board.rank', { rank: ranks.get(p.id)?.rank ?? '' })} · </span>}
                        {p.consensusScore !== null && p.consensusScore !== undefined && <span>{t('board.score', { score: p.consensusScore })} · </span>}
                        {p.reviewCount > 0 && (
                          <span>
                            {t('board.reviews', { count: p.reviewCount })}
                            {typeof ranks.get(p.id)?.averageReviewScore === 'number' && ` (${t('board.average', { average: ranks.get(p.id)?.averageReviewScore ?? '' })})`} ·{' '}
                          </span>
                        )}
                        <span>{t('board.requested', { amount: money(p.requestedMinor, p.currency) })}</span>
                        {p.reviewersAssigned > 0 && (
                          <span data-testid="reviewers">
                            {' · '}
                            {t('board.reviewers', { assigned: p.reviewersAssigned })}
                            {p.reviewersRecused > 0 && ` (${t('board.recused', { recused: p.reviewersRecused })})`}
                          </span>
                        )}
                        {needsReviewer(p, call) && (
                          <>
                            {' · '}
                            <strong class="warning" data-testid="needs-reviewer">{t('board.needsReviewer')}</strong>
                          </>
                        )}
                      </div>
                    </li>
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
      )}
      {selected && (
        <aside class="panel" aria-labelledby="actions-heading">
          <h3 id="actions-heading">{sentence(t, 'board.act', {}, { title: selected.title })}</h3>
          {recorded?.proposalId === selected.id && (
            <p class="done" role="status" tabIndex={-1} ref={notice} data-testid="board-recorded">{t('board.recorded', { action: recorded.action })}</p>
          )}
          <p>
            <StatusBadge status={selected.status} /> · <a href={`#/audit/proposal/${selected.id}`}>{t('nav.audit')}</a>
            {grantIdOf(selected, award) && (
              <> · <a href={`#/portfolio/${grantIdOf(selected, award)}`} data-testid="manage-grant">{t('board.manageGrant')}</a></>
            )}
          </p>
          {/* What is recorded now (reloaded after a 409): the next submit is made knowing what another manager recorded. */}
          <p data-testid="recorded-so-far">
            {selected.consensusScore !== null && selected.consensusScore !== undefined ? t('board.consensusNow', { score: selected.consensusScore }) : t('board.noConsensus')}
            {' · '}
            {selected.decision
              ? selected.decision.decision === 'award' && selected.decision.amountMinor !== undefined
                ? t('board.decisionAward', { amount: money(selected.decision.amountMinor, selected.currency), date: date(selected.decision.decidedAt) })
                : t('board.decisionNow', { decision: t(`form.decision=${selected.decision.decision}` as MessageKey), date: date(selected.decision.decidedAt) })
              : t('board.noDecision')}
          </p>
          {detail?.id === selected.id && (
            <AssignedReviewers
              proposal={detail}
              version={selected.version}
              onRecused={(action) => {
                setRefresh((n) => n + 1);
                setRecorded({ proposalId: selected.id, action });
              }}
              onConflict={() => setRefresh((n) => n + 1)}
            />
          )}
          {award?.status === 'funds-unavailable' && (
            <p class="warning" role="status" data-testid="award-outcome">
              {t(award.reason === 'recipient.ceiling.exceeded' ? 'board.fundsUnavailableCeiling' : 'board.fundsUnavailable', {
                amount: money(award.amountMinor, selected.currency),
                remaining: money(award.remainingMinor ?? 0, selected.currency),
                date: award.recordedAt ? date(award.recordedAt) : '—',
              })}
            </p>
          )}
          {award?.status === 'pending' && (
            <p role="status" data-testid="award-outcome">{t('board.awardPending', { amount: money(award.amountMinor, selected.currency) })}</p>
          )}
          {(NEXT_ACTIONS[selected.status] ?? []).map((action) => (
            <SchemaForm
              key={`${selected.id}-${action.path}`}
              path={action.path}
              title={t(action.title)}
              currency={selected.currency}
              explain={(refused) => explainRule(refused, selected, call, t, money)}
              submit={async (body) => {
                const answer = await sendCommand(action.path, selected.id, body, selected.version);
                if ('problem' in answer) {
                  // Someone else changed it: show their problem, and the proposal as it now is. Its
                  // version is read before the problem shows (the button stays disabled meanwhile), so
                  // the next submit goes with what the server has, not the version that was refused.
                  if (answer.problem.status === 409) {
                    const { data: current } = await api.GET('/proposals/{id}', { params: { path: { id: selected.id } } }).catch(() => ({ data: undefined }));
                    if (current) setProposals((list) => list?.map((p) => (p.id === current.id ? { ...p, version: current.version } : p)));
                    setRefresh((n) => n + 1);
                  }
                  return answer.problem;
                }
                await proposalAtVersion(selected.id, answer.version);
                if (action.path === '/proposals/{id}/decision' && call && (body as { decision?: string }).decision === 'award') await awardSettled(selected.id, call.id, call.version);
                setRefresh((n) => n + 1);
                setRecorded({ proposalId: selected.id, action: t(action.title) });
                return undefined;
              }}
            />
          ))}
        </aside>
      )}
    </section>
  );
}

/** The grant a `#/portfolio/<grantId>` hash names, following the hash as it changes. */
function useGrantInHash(): string | undefined {
  const read = () => /^#\/portfolio\/([^/]+)/.exec(location.hash)?.[1];
  const [grantId, setGrantId] = useState(read);
  useEffect(() => {
    const onChange = () => setGrantId(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return grantId;
}

/** The portfolio, or the grant its hash names (`#/portfolio/<grantId>`). */
export function Portfolio(): JSX.Element {
  const grantId = useGrantInHash();
  return grantId ? <GrantPanel key={grantId} grantId={grantId} /> : <GrantList />;
}

function GrantList(): JSX.Element {
  const { t, money, date } = useLocale();
  const [overdueOnly, setOverdueOnly] = useState(false);
  const [grants, setGrants] = useState<Schemas['GrantListItemDto'][]>();
  const [problem, setProblem] = useState<Problem>();
  const [attempt, setAttempt] = useState(0);
  useDocumentTitle([t('portfolio.title')]);
  useEffect(() => {
    setProblem(undefined);
    const overdue = overdueOnly ? { overdue: 'true' as const } : {};
    allPages((offset) => must(api.GET('/grants', { params: { query: { ...overdue, limit: 200, offset } } }))).then(
      (list) => setGrants([...list].sort((a, b) => Number(b.overdue) - Number(a.overdue))),
      (error: Problem) => setProblem(error),
    );
  }, [overdueOnly, attempt]);
  return (
    <section aria-labelledby="portfolio-title">
      <h2 id="portfolio-title">{t('portfolio.title')}</h2>
      <div class="field checkbox">
        <input id="overdue-only" type="checkbox" checked={overdueOnly} onChange={(e) => setOverdueOnly(e.currentTarget.checked)} />
        <label for="overdue-only">{t('portfolio.overdueOnly')}</label>
      </div>
      <ProblemNotice problem={problem} onRetry={() => setAttempt((n) => n + 1)} />
      {grants && grants.length === 0 && <p>{t('common.none')}</p>}
      <ul class="cards">
        {grants?.map((g) => (
          <li key={g.id} class={`card${g.overdue ? ' overdue' : ''}`}>
            <a href={`#/portfolio/${g.id}`}><bdi>{g.title ?? g.id}</bdi></a> <StatusBadge status={g.status} of="grant" /> · <a href={`#/audit/grant/${g.id}`}>{t('nav.audit')}</a>
            <div class="meta">
              {g.granteeOrganisationName && <><bdi>{g.granteeOrganisationName}</bdi> · </>}
              {t('portfolio.disbursed', { disbursed: money(g.disbursedMinor, g.currency), amount: money(g.amountMinor, g.currency) })}
              {g.nextReportDue && <> · {g.overdue ? <strong class="warning">{t('portfolio.overdue', { date: date(g.nextReportDue) })}</strong> : t('portfolio.nextReport', { date: date(g.nextReportDue) })}</>}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Who reviews the selected proposal, as GET /proposals/:id names them to the programme team (their
 * user ids: the API keeps no reviewer's name), each with where their review stands: recused (after
 * a conflict of interest they declared, or by the programme's staff), reviewed, or awaited. Grant
 * managers and admins may recuse a reviewer not recused yet (POST /proposals/:id/recusals), with a
 * reason, confirmed; not on a withdrawn proposal (409).
 *
 * The proposal's read names the recused reviewers but not who recused them: a recused reviewer who
 * declared no conflict (`conflicts`) was recused by the staff (the decision dossier says `by`).
 */
function AssignedReviewers({ proposal, version, onRecused, onConflict }: { proposal: Schemas['ProposalDetailDto']; version: number; onRecused(action: string): void; onConflict(): void }): JSX.Element | null {
  const { t } = useLocale();
  const mayRecuse = useMayDo('recuse') && proposal.status !== 'withdrawn';
  const [recusing, setRecusing] = useState<string>();
  useEffect(() => setRecusing(undefined), [proposal.id]);
  const assigned = proposal.reviewers?.assigned ?? [];
  if (!proposal.reviewers) return null;
  const recused = new Set(proposal.reviewers.recused);
  const declared = new Set((proposal.conflicts ?? []).map((conflict) => conflict.reviewerId));
  const reviewed = new Set(proposal.reviews.map((review) => review.reviewerId));
  const standing = (reviewerId: string): MessageKey =>
    recused.has(reviewerId) ? (declared.has(reviewerId) ? 'board.reviewerRecused' : 'board.reviewerRecusedByStaff') : reviewed.has(reviewerId) ? 'board.reviewerReviewed' : 'board.reviewerAwaited';
  return (
    <div data-testid="assigned-reviewers">
      <h4>{t('board.assignedReviewers')}</h4>
      {assigned.length === 0 ? (
        <p>{t('board.noReviewers')}</p>
      ) : (
        <ul class="compact">
          {assigned.map((reviewerId) => (
            <li key={reviewerId} data-reviewer={reviewerId} data-standing={standing(reviewerId)}>
              <bdi>{reviewerId}</bdi> — {t(standing(reviewerId))}
              {mayRecuse && !recused.has(reviewerId) && (
                <>
                  {' '}
                  <button
                    type="button"
                    class={recusing === reviewerId ? undefined : 'secondary'}
                    aria-expanded={recusing === reviewerId ? 'true' : 'false'}
                    aria-controls="recusal-form"
                    aria-label={t('board.recuseReviewer', { reviewer: reviewerId })}
                    onClick={() => setRecusing((now) => (now === reviewerId ? undefined : reviewerId))}
                  >
                    {t('board.recuse')}
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <div id="recusal-form">
        {recusing && !recused.has(recusing) && (
          <SchemaForm
            key={`${proposal.id}-${recusing}`}
            path="/proposals/{id}/recusals"
            title={t('board.recuseReviewer', { reviewer: recusing })}
            fixed={{ reviewerId: recusing }}
            confirm={t('board.confirmRecusal', { reviewer: recusing })}
            explain={(refused) => explainRecusal(refused, t)}
            submit={async (body) => {
              const answer = await sendCommand('/proposals/{id}/recusals', proposal.id, body, version);
              if ('problem' in answer) {
                if (answer.problem.status === 409) onConflict();
                return answer.problem;
              }
              await proposalAtVersion(proposal.id, answer.version);
              setRecusing(undefined);
              onRecused(t('board.recuseReviewer', { reviewer: recusing }));
              return undefined;
            }}
          />
        )}
      </div>
    </div>
  );
}

/** A recusal's refusals, in the reader's language; undefined for any other problem. */
function explainRecusal(problem: Problem, t: ReturnType<typeof useLocale>['t']): string | undefined {
  switch (problem.rule) {
    case 'proposal.reviewer.not-assigned':
      return t('rule.reviewerNotAssigned');
    case 'proposal.reviewer.recused':
      return t('rule.reviewerAlreadyRecused');
    case 'proposal.reason.required':
      return t('rule.recusalReasonRequired');
    default:
      return problem.status === 409 ? t('rule.recusalConflict') : undefined;
  }
}

/** The grant an awarded proposal became, once the award workflow created it (not while the call's commitment is pending). */
function grantIdOf(proposal: Proposal, award: Schemas['AwardOutcomeDto'] | null | undefined): string | undefined {
  return proposal.status === 'awarded' && award?.status === 'awarded' ? award.grantId : undefined;
}

/** Under review with fewer reviewers (not recused) than the call needs reviews: another reviewer is to be assigned. */
function needsReviewer(proposal: Proposal, call: Schemas['CallViewDto'] | undefined): boolean {
  return proposal.status === 'under-review' && call !== undefined && proposal.reviewersAssigned - proposal.reviewersRecused < call.reviewsRequired;
}

/**
 * The decision's and the consensus's refusals a manager meets most, said with the amounts as the
 * board shows them (the server's detail counts minor units); undefined for any other problem.
 */
function explainRule(
  problem: Problem,
  proposal: Proposal,
  call: Schemas['CallViewDto'] | undefined,
  t: ReturnType<typeof useLocale>['t'],
  money: ReturnType<typeof useLocale>['money'],
): string | undefined {
  switch (problem.rule) {
    case 'proposal.award.exceeds-request':
      return t('rule.awardExceedsRequest', { requested: money(proposal.requestedMinor, proposal.currency) });
    case 'proposal.award.outside-call-range':
      return call ? t('rule.awardOutsideCallRange', { min: money(call.minAwardMinor, call.currency), max: money(call.maxAwardMinor, call.currency) }) : undefined;
    case 'proposal.decision.consensus-required':
      return t('rule.consensusRequired');
    case 'proposal.reviews.too-few':
      return call ? t('rule.tooFewReviews', { required: call.reviewsRequired }) : undefined;
    case 'recipient.ceiling.exceeded':
      // Refused at the door (the network's organisations are known to be past the ceiling already); its detail counts minor units and names ids.
      return t('rule.recipientCeiling');
    case 'proposal.partners.sign-off-missing':
      // At a decision: a clarification answer changed the budget the partners signed off.
      return t('rule.partnersSignOffAgain');
    case 'proposal.redress.open':
      return t('rule.redressOpen');
    case 'proposal.award.due-diligence-failed':
      return t('rule.dueDiligenceFailed');
    case 'proposal.award.call-cancelled':
      return t('rule.callCancelled');
    case 'proposal.reviewer.affiliated':
      return t('rule.reviewerAffiliated');
    default:
      return undefined;
  }
}
