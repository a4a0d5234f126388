/**
 * The reviewer's queue: the proposals assigned to the signed-in reviewer, a conflict declaration,
 * and scoring by the call's criteria. Blind: the API shows other reviews only once this reviewer
 * has submitted, and the console shows only what the API sends. After a review or a conflict
 * declaration the queue waits until the read model shows it (commands.ts), as the board does, then
 * says what was recorded: a reviewed proposal moves to Reviewed, without its form; one this reviewer
 * is recused from leaves the queue.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { allPages, api, must, type Problem, type Schemas } from '../api';
import { proposalAtVersion, sendCommand, sendKeyed, untilRead } from '../commands';
import { useLocale } from '../i18n';
import { openApiDocument, requestSchema, resolve, SchemaForm } from '../schema-form';
import { useDocumentTitle } from '../title';
import { BudgetLinesTable, downloadFile, ProblemNotice, sentence, StatusBadge } from './common';

type QueueItem = Schemas['ReviewerQueueItemDto'];

const readQueue = () => allPages((offset) => must(api.GET('/reviews/assigned', { params: { query: { limit: 200, offset } } })));

/** What this reviewer just had recorded, for the confirmation. */
type Recorded = { kind: 'review' | 'conflict'; title: string };

export function ReviewQueue({ proposalId }: { proposalId?: string }): JSX.Element {
  const { t } = useLocale();
  const [items, setItems] = useState<QueueItem[]>();
  const [problem, setProblem] = useState<Problem>();
  const [refresh, setRefresh] = useState(0);
  const [recorded, setRecorded] = useState<Recorded>();
  const reload = () => readQueue().then(
    (queue) => {
      setProblem(undefined);
      setItems(queue);
    },
    (error: Problem) => setProblem(error),
  );
  useEffect(() => {
    void reload();
  }, []);
  useEffect(() => {
    if (recorded && proposalId) setRecorded(undefined);
  }, [proposalId]);
  const current = items?.find((item) => item.proposalId === proposalId);
  useDocumentTitle([t('reviews.title')], [current?.title]);
  // The read model shows the command by now: the queue and the panel are read again together, so
  // the panel never shows the form again for a review that is in.
  const onRecorded = async (next: Recorded) => {
    await reload();
    setRecorded(next);
    // Recused: the proposal is no longer this reviewer's to open (the API answers 404).
    if (next.kind === 'conflict') location.hash = '#/reviews';
    setRefresh((n) => n + 1);
  };
  // Only a proposal under review takes a review (the decider's rule): one decided, withdrawn or
  // screened out without this reviewer's review is listed apart, without a form the server would refuse.
  const open = (item: QueueItem) => item.status === 'under-review';
  const pending = items?.filter((item) => !item.reviewSubmitted && open(item)) ?? [];
  const done = items?.filter((item) => item.reviewSubmitted) ?? [];
  const closed = items?.filter((item) => !item.reviewSubmitted && !open(item)) ?? [];
  const list = (entries: Schemas['ReviewerQueueItemDto'][]) => (
    <ul class="cards">
      {entries.map((item) => (
        <li key={item.proposalId} class={`card${item.proposalId === proposalId ? ' selected' : ''}`}>
          <a href={`#/reviews/${item.proposalId}`} aria-current={item.proposalId === proposalId ? 'true' : undefined}><bdi>{item.title}</bdi></a> <StatusBadge status={item.status} />
          <div class="meta"><bdi>{item.policyIssue}</bdi></div>
        </li>
      ))}
    </ul>
  );
  return (
    <section aria-labelledby="reviews-title">
      <h2 id="reviews-title">{t('reviews.title')}</h2>
      {recorded && (
        <p role="status" class="done" data-testid="queue-notice">
          {sentence(t, recorded.kind === 'review' ? 'reviews.submittedNotice' : 'reviews.conflictNotice', {}, { title: recorded.title })}
        </p>
      )}
      <ProblemNotice problem={problem} onRetry={() => void reload()} />
      {!items && !problem && <p>{t('common.loading')}</p>}
      <div class="columns">
        <div>
          <h3>{t('reviews.pending')}</h3>
          {items && pending.length === 0 ? <p>{t('common.none')}</p> : list(pending)}
          <h3>{t('reviews.done')}</h3>
          {items && done.length === 0 ? <p>{t('common.none')}</p> : list(done)}
          {closed.length > 0 && (
            <>
              <h3>{t('reviews.closed')}</h3>
              {list(closed)}
            </>
          )}
        </div>
        {proposalId && items && <ReviewPanel key={`${proposalId}-${refresh}`} proposalId={proposalId} submitted={current?.reviewSubmitted ?? false} onRecorded={onRecorded} />}
      </div>
    </section>
  );
}

function ReviewPanel({ proposalId, submitted, onRecorded }: { proposalId: string; submitted: boolean; onRecorded(recorded: Recorded): Promise<void> }): JSX.Element {
  const { t, money, count, lookup } = useLocale();
  const [proposal, setProposal] = useState<Schemas['ProposalDetailDto']>();
  const [call, setCall] = useState<Schemas['CallViewDto']>();
  const [documents, setDocuments] = useState<Schemas['DocumentDto'][]>([]);
  const [problem, setProblem] = useState<Problem>();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    setProblem(undefined);
    must(api.GET('/proposals/{id}', { params: { path: { id: proposalId } } }))
      .then(async (detail) => {
        setProposal(detail);
        setCall(await must(api.GET('/calls/{id}', { params: { path: { id: detail.callId } } })));
      })
      .catch((error: Problem) => setProblem(error));
    // What the reviewer scores: the documents too (a list that cannot be read leaves the panel usable).
    must(api.GET('/proposals/{id}/documents', { params: { path: { id: proposalId } } })).then(
      (list) => setDocuments(list.items),
      () => undefined,
    );
  }, [proposalId, attempt]);
  // Not assigned, or recused (the API answers 404 to both, never saying which proposals exist).
  if (problem?.status === 404) return <p role="status" data-testid="not-in-queue">{t('reviews.notInQueue')}</p>;
  if (problem) return <ProblemNotice problem={problem} onRetry={() => setAttempt((n) => n + 1)} />;
  if (!proposal || !call) return <p>{t('common.loading')}</p>;
  return (
    <article class="panel" aria-labelledby="review-heading">
      <h3 id="review-heading"><bdi>{proposal.title}</bdi></h3>
      <p><StatusBadge status={proposal.status} /> · {money(proposal.requestedMinor, proposal.currency)} · <span data-testid="duration">{count('reviews.duration', proposal.durationMonths)}</span></p>
      <p dir="auto">{proposal.summary}</p>
      <ProposalFacts proposal={proposal} documents={documents} />
      {proposal.reviews.length > 0 ? (
        <>
          <h4>{t('reviews.otherReviews')}</h4>
          <ul class="compact" data-testid="visible-reviews">
            {proposal.reviews.map((review, i) => (
              <li key={i}>{review.reviewerId}: {review.scores.map((s) => `${s.criterionId} ${s.score}`).join(', ')} — {lookup(`form.recommendation=${review.recommendation}`) ?? review.recommendation}</li>
            ))}
          </ul>
        </>
      ) : (
        <p class="hint">{t('reviews.blind')}</p>
      )}
      {submitted ? (
        <p class="done">{t('reviews.yoursIsIn')}</p>
      ) : proposal.status !== 'under-review' ? (
        <p data-testid="no-longer-open">{t('reviews.noLongerOpen')} <StatusBadge status={proposal.status} /></p>
      ) : (
        <>
          <ScoreForm proposalId={proposalId} criteria={call.criteria} onDone={() => onRecorded({ kind: 'review', title: proposal.title })} />
          <SchemaForm
            path="/proposals/{id}/conflicts"
            title={t('action.conflicts')}
            submit={async (body) => {
              const answer = await sendCommand('/proposals/{id}/conflicts', proposalId, body);
              if ('problem' in answer) return answer.problem;
              // Recused at once: the proposal is no longer readable to this reviewer, so the queue is
              // what shows the read model caught up: it no longer lists the proposal.
              await untilRead(async () => !(await readQueue()).some((item) => item.proposalId === proposalId));
              await onRecorded({ kind: 'conflict', title: proposal.title });
              return undefined;
            }}
          />
        </>
      )}
    </article>
  );
}

/**
 * What a reviewer judges besides the summary: the policy issue, the network (each partner's role and
 * whether it accepted the terms; organisations' names are withheld from reviewers by the API), the
 * budget lines, and the documents, each downloaded with the reviewer's token.
 */
function ProposalFacts({ proposal, documents }: { proposal: Schemas['ProposalDetailDto']; documents: Schemas['DocumentDto'][] }): JSX.Element {
  const { t } = useLocale();
  const [problem, setProblem] = useState<Problem>();
  const download = (document: Schemas['DocumentDto']) => {
    setProblem(undefined);
    downloadFile(`/proposals/${proposal.id}/documents/${document.documentId}`, document.name ?? document.documentId).then(
      (file) => setTimeout(() => URL.revokeObjectURL(file.url), 60_000),
      (error: Problem) => setProblem(error),
    );
  };
  return (
    <div data-testid="proposal-facts">
      <dl class="facts">
        <div><dt>{t('reviews.policyIssue')}</dt><dd><bdi>{proposal.policyIssue}</bdi></dd></div>
      </dl>
      <h4>{t('reviews.network')}</h4>
      <ul class="compact" data-testid="network">
        {proposal.partners.map((partner) => (
          <li key={partner.organisationId}>{t(partner.status === 'accepted' ? 'reviews.partnerAccepted' : 'reviews.partnerInvited', { role: partner.role })}</li>
        ))}
      </ul>
      <BudgetLinesTable lines={proposal.budgetLines} currency={proposal.currency} caption="reviews.budget" testId="budget" />
      {documents.length > 0 && (
        <>
          <h4>{t('reviews.documents')}</h4>
          <ul class="compact" data-testid="documents">
            {documents.map((document) => (
              <li key={document.documentId}>
                <bdi>{document.name ?? t('reviews.nameErased')}</bdi> ({Math.ceil(document.sizeBytes / 1024)} kB){' '}
                <button type="button" class="secondary" onClick={() => download(document)} aria-label={`${t('reviews.download')}: ${document.name ?? t('reviews.nameErased')}`}>
                  {t('reviews.download')}
                </button>
              </li>
            ))}
          </ul>
          <ProblemNotice problem={problem} />
        </>
      )}
    </div>
  );
}

/** Scoring by criterion: one score and comment per criterion of the call, ranges from the call, the recommendation's choices from the schema. */
function ScoreForm({ proposalId, criteria, onDone }: { proposalId: string; criteria: Schemas['ScoringCriterionDto'][]; onDone(): Promise<void> }): JSX.Element {
  const { t, lookup } = useLocale();
  const [scores, setScores] = useState<Record<string, { score: string; comment: string }>>({});
  const [recommendation, setRecommendation] = useState('');
  const [comment, setComment] = useState('');
  const [recommendations, setRecommendations] = useState<string[]>([]);
  const [problem, setProblem] = useState<Problem>();
  const [sent, setSent] = useState(false);
  /** While the review is sent (and until the queue shows it): a second click would send it twice. */
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  useEffect(() => {
    openApiDocument().then((doc) => {
      const schema = requestSchema(doc, '/proposals/{id}/reviews', 'post');
      setRecommendations((resolve(doc, schema?.properties?.recommendation).enum ?? []).map(String));
    }, () => undefined);
  }, []);
  const fieldErrors = new Map((problem?.errors ?? []).map((error) => [error.field, error.messages.join('; ')]));
  const submit = async (event: Event) => {
    event.preventDefault();
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    try {
      await send();
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  const send = async () => {
    const body = {
      scores: criteria.map((criterion) => ({
        criterionId: criterion.id,
        score: scores[criterion.id]?.score === undefined || scores[criterion.id].score === '' ? (undefined as unknown as number) : Number(scores[criterion.id].score),
        comment: scores[criterion.id]?.comment ?? '',
      })),
      recommendation: recommendation as Schemas['SubmitReviewDto']['recommendation'],
      comment,
    };
    const answer = await sendKeyed({ path: '/proposals/{id}/reviews', params: { id: proposalId }, body }, (headers) => api.POST('/proposals/{id}/reviews', { params: { path: { id: proposalId } }, headers, body }));
    if ('problem' in answer) {
      const refused = answer.problem;
      // Sent from another tab (or a retry whose answer was lost): the review is in, so the panel
      // shows it as the queue does, not a form the server will refuse again.
      if (refused.rule === 'proposal.review.already-submitted') {
        await onDone();
        return;
      }
      setProblem(refused);
      return;
    }
    setProblem(undefined);
    setSent(true);
    await proposalAtVersion(proposalId, answer.version);
    await onDone();
  };
  if (sent) return <p role="status" data-testid="review-sent">{t('reviews.submitted')}</p>;
  const error = (field: string) => fieldErrors.get(field) && <span class="field-error" id={`err-${field}`} role="alert">{fieldErrors.get(field)}</span>;
  /** A field the server refused points to its message (`aria-describedby`), as the generated forms' fields do. */
  const invalid = (field: string) => (fieldErrors.has(field) ? { 'aria-invalid': 'true' as const, 'aria-describedby': `err-${field}` } : {});
  return (
    <form class="schema-form" onSubmit={submit} aria-label={t('reviews.submit')} noValidate>
      <h4>{t('reviews.submit')}</h4>
      {problem && <ProblemNotice problem={problem} />}
      {criteria.map((criterion, index) => (
        <fieldset key={criterion.id} class="nested">
          <legend>{criterion.name}</legend>
          <div class="field">
            <label for={`score-${criterion.id}`}>{t('reviews.score', { criterion: criterion.name, max: criterion.maxScore })}</label>
            <input
              id={`score-${criterion.id}`}
              type="number"
              min={0}
              max={criterion.maxScore}
              step={1}
              required
              {...invalid(`scores.${index}.score`)}
              value={scores[criterion.id]?.score ?? ''}
              onInput={(e) => setScores({ ...scores, [criterion.id]: { comment: scores[criterion.id]?.comment ?? '', score: e.currentTarget.value } })}
            />
            {error(`scores.${index}.score`)}
          </div>
          <div class="field">
            <label for={`comment-${criterion.id}`}>{t('reviews.comment', { criterion: criterion.name })}</label>
            <textarea
              id={`comment-${criterion.id}`}
              rows={2}
              {...invalid(`scores.${index}.comment`)}
              value={scores[criterion.id]?.comment ?? ''}
              onInput={(e) => setScores({ ...scores, [criterion.id]: { score: scores[criterion.id]?.score ?? '', comment: e.currentTarget.value } })}
            />
            {error(`scores.${index}.comment`)}
          </div>
        </fieldset>
      ))}
      <div class="field">
        <label for="recommendation">{t('reviews.recommendation')} *</label>
        <select id="recommendation" required value={recommendation} onChange={(e) => setRecommendation(e.currentTarget.value)} {...invalid('recommendation')}>
          <option value="">—</option>
          {recommendations.map((option) => <option key={option} value={option}>{lookup(`form.recommendation=${option}`) ?? option}</option>)}
        </select>
        {error('recommendation')}
      </div>
      <div class="field">
        <label for="overall-comment">{t('reviews.overall')}</label>
        <textarea id="overall-comment" rows={3} {...invalid('comment')} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        {error('comment')}
      </div>
      <button type="submit" disabled={busy} aria-busy={busy ? 'true' : undefined}>{t('reviews.submit')}</button>
    </form>
  );
}
