/**
 * The auditor's time machine: find a record by name, read its timeline, slide back to any of its
 * events to see the record as it stood then (the `?asOf=` routes) and what changed since, read the
 * decision dossier, verify the whole ledger and download the evidence bundle.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { useMayDo } from '../access';
import { api, must, type Problem, type Schemas } from '../api';
import { directionOf, type MessageKey, useLocale } from '../i18n';
import { useDocumentTitle } from '../title';
import { downloadFile, ProblemNotice, sentence, StatusBadge } from './common';
import { fieldLabel, fieldValue, type RecordContext, Shown } from './record-fields';

type Kind = 'call' | 'proposal' | 'grant';
type AuditedEvent = Schemas['AuditedEventDto'];
type Hit = Schemas['RecordSearchHitDto'];

/** How many records the search shows; one more is asked for, to know whether the list was cut. */
export const SEARCH_SHOWN = 20;

export function RecordSearch({ initialQuery = '' }: { initialQuery?: string }): JSX.Element {
  const { t, lookup } = useLocale();
  const mayVerify = useMayDo('verify');
  const [query, setQuery] = useState(initialQuery);
  /** What was found, for the words it was searched by (the field may have changed since). */
  const [found, setFound] = useState<{ hits: Hit[]; cut: boolean; query: string }>();
  const [problem, setProblem] = useState<Problem>();
  useDocumentTitle([t('nav.audit')]);

  const latest = useRef(0);
  const search = async (event?: Event) => {
    event?.preventDefault();
    setProblem(undefined);
    // Only the latest search may show its answer: an earlier one answering late must not replace it.
    const ticket = (latest.current += 1);
    const words = query.trim();
    try {
      // The route answers no total: SEARCH_SHOWN + 1 asked for tells whether more match than are shown.
      const items = (await must(api.GET('/search', { params: { query: { q: query, limit: SEARCH_SHOWN + 1 } } }))).items;
      if (ticket === latest.current) setFound({ hits: items.slice(0, SEARCH_SHOWN), cut: items.length > SEARCH_SHOWN, query: words });
    } catch (error) {
      if (ticket !== latest.current) return;
      // The list of an earlier search is not this one's answer: it goes, and "Try again" brings this one.
      setFound(undefined);
      setProblem(error as Problem);
    }
  };
  const hits = found?.hits;
  useEffect(() => {
    void search();
  }, []);

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{t('audit.title')}</h2>
      <form role="search" class="inline-form" onSubmit={search}>
        <label for="record-search">{t('audit.search')}</label>
        <input id="record-search" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        <button type="submit">{t('audit.searchButton')}</button>
      </form>
      <ProblemNotice problem={problem} onRetry={() => void search()} />
      {hits && (
        <>
          <h3>{t('audit.results')}</h3>
          {found?.cut && (
            <p class="hint" role="status" data-testid="search-cut">
              {found.query ? sentence(t, 'audit.cut', { shown: SEARCH_SHOWN }, { query: found.query }) : t('audit.cutAll', { shown: SEARCH_SHOWN })}
            </p>
          )}
          {hits.length === 0 ? (
            <p>{t('audit.noResults')}</p>
          ) : (
            <ul class="cards" aria-label={t('audit.results')}>
              {hits.map((hit) => (
                <li key={hit.streamId} class="card">
                  <a href={`#/audit/${hit.kind}/${hit.id}`}>
                    <span class="kind">{lookup(`kind.${hit.kind}`) ?? hit.kind}</span> <bdi>{hit.title}</bdi>
                  </a>{' '}
                  <StatusBadge status={hit.status} of={hit.kind === 'grant' ? 'grant' : undefined} />
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {mayVerify && <VerifyPanel />}
    </section>
  );
}

async function readRecord(kind: Kind, id: string, asOf?: string): Promise<Record<string, unknown>> {
  const query = asOf ? { asOf } : {};
  if (kind === 'call') return (await must(api.GET('/calls/{id}', { params: { path: { id }, query } }))) as unknown as Record<string, unknown>;
  if (kind === 'proposal') return (await must(api.GET('/proposals/{id}', { params: { path: { id }, query } }))) as unknown as Record<string, unknown>;
  return (await must(api.GET('/grants/{id}', { params: { path: { id }, query } }))) as unknown as Record<string, unknown>;
}

async function readHistory(streamId: string): Promise<AuditedEvent[]> {
  const events: AuditedEvent[] = [];
  let fromVersion: number | null = 0;
  while (fromVersion !== null) {
    const page: Schemas['StreamHistoryDto'] = await must(api.GET('/audit/streams/{streamId}', { params: { path: { streamId }, query: { fromVersion, limit: 500 } } }));
    events.push(...page.items);
    fromVersion = page.nextFromVersion ?? null;
  }
  return events;
}

/** The reason an event gives, where it has one (free text the API returns as recorded). */
function whyOf(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const record = data as Record<string, unknown>;
  for (const key of ['reason', 'reasons', 'summary', 'description', 'comment', 'note']) if (typeof record[key] === 'string') return record[key] as string;
  return undefined;
}

/** Personal fields come back as `{ personalData: present | erased | unreadable }`: list where they are. */
function personalDataMarkers(data: unknown, path = ''): { path: string; state: string }[] {
  if (!data || typeof data !== 'object') return [];
  const record = data as Record<string, unknown>;
  if (typeof record.personalData === 'string' && Object.keys(record).length === 1) return [{ path: path || 'data', state: record.personalData }];
  return Object.entries(record).flatMap(([key, value]) => personalDataMarkers(value, path ? `${path}.${key}` : key));
}

/** The fields shown of the record as it stood, each with its translated label (record-fields.tsx). */
const SHOWN_FIELDS = ['title', 'status', 'version', 'consensusScore', 'reviewCount', 'reviewersAssigned', 'committedMinor', 'remainingMinor', 'amountMinor', 'disbursedMinor', 'overdue', 'updatedAt'] as const;

/** Short text for the dossier's free-form members. */
function short(value: unknown): string {
  if (value === null || value === undefined) return '—';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? '—' : text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

export function RecordView({ kind, id }: { kind: Kind; id: string }): JSX.Element {
  const locale = useLocale();
  const { t, dateTime, role } = locale;
  const mayVerify = useMayDo('verify');
  const mayDownload = useMayDo('bundle');
  const streamId = `${kind}-${id}`;
  const [events, setEvents] = useState<AuditedEvent[]>();
  const [index, setIndex] = useState(0);
  const [live, setLive] = useState<Record<string, unknown>>();
  /**
   * The record whose history and fields the state holds. Another record's hash renders once before
   * the load below resets the state: until this record is loaded, nothing of the last one shows
   * under this one's kind (a grant headed by the proposal's title, the proposal's bundle offered).
   */
  const [loadedFor, setLoadedFor] = useState<string>();
  const fresh = loadedFor === streamId;
  const [then, setThen] = useState<Record<string, unknown>>();
  const [problem, setProblem] = useState<Problem>();
  const [notYet, setNotYet] = useState(false);
  /** A grant has no title of its own: it goes by its proposal's, as in the portfolio and the search. */
  const [proposalTitle, setProposalTitle] = useState<string>();
  /** Bumped by "Try again" after a read that got no answer. */
  const [attempt, setAttempt] = useState(0);
  const retry = () => {
    setProblem(undefined);
    setAttempt((n) => n + 1);
  };
  const recordTitle = !fresh ? undefined : typeof live?.title === 'string' ? live.title : proposalTitle;
  useDocumentTitle([t(`kind.${kind}` as MessageKey), t('nav.audit')], [recordTitle]);

  useEffect(() => {
    // Another record: nothing of the one before stays on screen (its problem, its fields, its date).
    setEvents(undefined);
    setLive(undefined);
    setThen(undefined);
    setProblem(undefined);
    setNotYet(false);
    let current = true;
    setProposalTitle(undefined);
    Promise.all([readHistory(streamId), readRecord(kind, id)]).then(
      ([history, record]) => {
        if (!current) return;
        setEvents(history);
        setIndex(history.length - 1);
        setLive(record);
        setLoadedFor(streamId);
        if (kind === 'grant' && typeof record.proposalId === 'string') {
          api.GET('/proposals/{id}', { params: { path: { id: record.proposalId } } }).then(
            ({ data }) => current && data && setProposalTitle(data.title),
            () => undefined,
          );
        }
      },
      (error: unknown) => current && setProblem(error as Problem),
    );
    return () => {
      current = false;
    };
  }, [streamId, attempt]);

  // Events appended together share their instant, and the record never stood between them: a
  // position on the slider stands for its whole group (an as-of read by time could show no other).
  const groupEnd = events === undefined ? index : lastOfInstant(events, index);
  const asOf = events?.[index]?.recordedAt;
  useEffect(() => {
    if (!asOf) return;
    let current = true;
    // A drag passes many events: ask for the one it rests on (each as-of read replays the stream).
    setThen(undefined);
    const timer = setTimeout(() => {
      readRecord(kind, id, asOf).then(
        (record) => current && setThen(record),
        (error: unknown) => current && setProblem(error as Problem),
      );
    }, 120);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [asOf, attempt]);

  const contextOf = (record: Record<string, unknown>): RecordContext => ({ kind, ...(typeof record.currency === 'string' ? { currency: record.currency } : {}) });
  const changedFields = useMemo(() => {
    if (!then || !live) return [];
    return Object.keys(live).filter((key) => JSON.stringify(live[key]) !== JSON.stringify(then[key]));
  }, [then, live]);

  if (problem && !events) return <ProblemNotice problem={problem} onRetry={retry} />;
  if (!fresh || !events || !live) return <p>{t('common.loading')}</p>;
  const total = events.length;
  const selected = events[index];
  const first = groupStart(events, index);
  const group = events.slice(first, groupEnd + 1);
  const position = group.length === 1 ? String(index + 1) : `${first + 1}–${groupEnd + 1}`;
  const later = events.slice(groupEnd + 1);
  // Right to left, the Latin event names and the date are isolated (FSI … PDI): unisolated, the bidi
  // algorithm ran the date's digits into the name ("07 ،FundingDecisionRecorded/2026/12").
  const isolate = (text: string) => (directionOf(locale.language) === 'rtl' ? `\u2068${text}\u2069` : text);
  const valueText = t('audit.sliderValue', { n: position, total, type: isolate(group.map((event) => event.type).join(' + ')), when: isolate(dateTime(selected.recordedAt)) });

  return (
    <section aria-labelledby="record-title">
      <p><a href="#/audit">{t('common.back')}</a></p>
      <h2 id="record-title">
        <span class="kind">{t(`kind.${kind}` as MessageKey)}</span> <bdi>{String(live.title ?? proposalTitle ?? id)}</bdi>
      </h2>
      <div class="slider">
        <label for="as-of-slider">{t('audit.slider', { n: position, total })}</label>
        <input
          id="as-of-slider"
          type="range"
          min={0}
          max={total - 1}
          step={1}
          value={index}
          aria-valuetext={valueText}
          onInput={(e) => {
            setNotYet(false);
            setIndex(Number(e.currentTarget.value));
          }}
        />
        <output for="as-of-slider" data-testid="slider-value">{valueText}</output>
        <div class="inline-form">
          <label for="as-of-date">{t('audit.pickDate')}</label>
          <input
            id="as-of-date"
            type="datetime-local"
            step={1}
            onChange={(e) => {
              const picked = Date.parse(`${e.currentTarget.value}Z`);
              if (Number.isNaN(picked)) return;
              // The record changes only at its events: it stood then as after the last event at or before the date.
              const before = events.filter((event) => Date.parse(event.recordedAt) <= picked).length;
              setNotYet(before === 0);
              if (before > 0) setIndex(before - 1);
            }}
          />
        </div>
        {notYet && <p role="status">{t('audit.notYet')}</p>}
      </div>
      <ProblemNotice problem={problem} onRetry={retry} />
      <div class="columns">
        <article class="panel" aria-labelledby="as-of-heading" data-testid="as-of-record">
          <h3 id="as-of-heading">{groupEnd === total - 1 ? t('audit.now') : t('audit.asOf', { when: dateTime(selected.recordedAt) })}</h3>
          {notYet ? (
            <p>—</p>
          ) : then ? (
            <dl class="facts">
              {SHOWN_FIELDS.filter((key) => key in then).map((key) => (
                <div key={key}>
                  <dt>{fieldLabel(locale, key)}</dt>
                  <dd data-field={key}>{key === 'status' ? <StatusBadge status={String(then[key])} of={kind === 'grant' ? 'grant' : undefined} /> : <Shown>{fieldValue(locale, contextOf(then), key, then[key])}</Shown>}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p>{t('common.loading')}</p>
          )}
        </article>
        <article class="panel" aria-labelledby="changed-heading" data-testid="changed-since">
          <h3 id="changed-heading">{t('audit.changedSince')}</h3>
          {later.length === 0 ? (
            <p>{t('audit.nothingChanged')}</p>
          ) : (
            <>
              <ol class="compact">
                {later.map((event) => (
                  <li key={event.eventId}>
                    <strong>{event.type}</strong> — {dateTime(event.recordedAt)}, {t('audit.by', { role: role(event.actorRole), actor: event.actorId })}
                  </li>
                ))}
              </ol>
              {changedFields.length > 0 && then && (
                <div class="table-scroll">
                <table>
                  <caption>{t('audit.fieldChanges')}</caption>
                  <thead>
                    <tr><th scope="col">{t('audit.field')}</th><th scope="col">{t('audit.then')}</th><th scope="col">{t('audit.nowValue')}</th></tr>
                  </thead>
                  <tbody>
                    {changedFields.map((key) => (
                      <tr key={key} data-field={key}>
                        <th scope="row">{fieldLabel(locale, key)}</th>
                        <td><Shown>{fieldValue(locale, contextOf(then), key, then[key])}</Shown></td>
                        <td><Shown>{fieldValue(locale, contextOf(live), key, live[key])}</Shown></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                </div>
              )}
            </>
          )}
        </article>
      </div>
      <h3>{t('audit.timeline')}</h3>
      <ol class="timeline" data-testid="timeline">
        {events.map((event, i) => {
          const why = whyOf(event.data);
          const markers = personalDataMarkers(event.data);
          return (
            <li key={event.eventId} class={group.includes(event) ? 'current' : i > groupEnd ? 'later' : ''} aria-current={i === index ? 'step' : undefined}>
              <button type="button" class="link" onClick={() => setIndex(i)}>
                <time dateTime={event.recordedAt}>{dateTime(event.recordedAt)}</time> · <strong>{event.type}</strong>
              </button>
              <div class="meta">{t('audit.by', { role: role(event.actorRole), actor: event.actorId })} · v{event.streamVersion}</div>
              {why && <div class="why"><span>{t('audit.why')}:</span> <bdi>{why}</bdi></div>}
              {markers.map((marker) => (
                <div key={marker.path} class="pii">{marker.path}: {t('audit.personalData', { state: locale.lookup(`audit.pii.${marker.state}`) ?? marker.state })}</div>
              ))}
            </li>
          );
        })}
      </ol>
      {kind === 'proposal' && <Dossier proposalId={id} />}
      {mayDownload && <BundleDownload kind={kind} id={id} />}
      {mayVerify && <VerifyPanel />}
    </section>
  );
}

/** The first event recorded at the same instant as `events[index]` (appended with it). */
function groupStart(events: readonly AuditedEvent[], index: number): number {
  let start = index;
  while (start > 0 && events[start - 1].recordedAt === events[index].recordedAt) start--;
  return start;
}

/** The last event recorded at the same instant as `events[index]`. */
function lastOfInstant(events: readonly AuditedEvent[], index: number): number {
  let end = index;
  while (end + 1 < events.length && events[end + 1].recordedAt === events[index].recordedAt) end++;
  return end;
}

type DossierDecision = Schemas['DossierDecisionDto'];

function Dossier({ proposalId }: { proposalId: string }): JSX.Element {
  const locale = useLocale();
  const { t, dateTime, money, role, lookup } = locale;
  const [dossier, setDossier] = useState<Schemas['DecisionDossierDto'] | null>();
  const [problem, setProblem] = useState<Problem>();
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    setDossier(undefined);
    setProblem(undefined);
    let current = true;
    must(api.GET('/audit/decisions/{proposalId}', { params: { path: { proposalId } } })).then(
      (found) => current && setDossier(found),
      (error: Problem) => current && (error.status === 404 ? setDossier(null) : setProblem(error)),
    );
    return () => {
      current = false;
    };
  }, [proposalId, attempt]);
  if (problem) return <ProblemNotice problem={problem} onRetry={() => setAttempt((n) => n + 1)} />;
  if (dossier === undefined) return <p>{t('common.loading')}</p>;
  const currency = dossier?.budgetPosition?.currency;
  /** A decision as the board words it: what, how much, who recorded it and when, the committee, why. */
  const decisionOf = (decision: DossierDecision) => {
    const by = decision.recordedBy as Record<string, unknown>;
    return (
      <>
        <p>
          <strong data-decision={decision.decision}>{lookup(`form.decision=${decision.decision}`) ?? decision.decision}</strong>
          {decision.amountMinor !== undefined && currency && <> {money(decision.amountMinor, currency)}</>}
        </p>
        <p>
          {t('audit.decidedBy', { role: role(String(by.actorRole ?? '')), actor: String(by.actorId ?? ''), when: dateTime(decision.recordedAt) })} (<bdi>{decision.committee}</bdi>)
        </p>
        <p><strong>{t('audit.reasons')}:</strong> <bdi>{decision.reasons}</bdi></p>
      </>
    );
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : t('audit.erasedText'));
  const rows = (items: readonly unknown[]) => items as Record<string, unknown>[];
  return (
    <article class="panel" aria-labelledby="dossier-heading" data-testid="dossier">
      <h3 id="dossier-heading">{t('audit.dossier')}</h3>
      {dossier === null ? (
        <p>{t('audit.noDossier')}</p>
      ) : (
        <>
          {decisionOf(dossier.decision)}
          {dossier.consensus && (
            <p><strong>{t('audit.consensus')}:</strong> {short((dossier.consensus as Record<string, unknown>).score)} — <bdi>{short((dossier.consensus as Record<string, unknown>).summary)}</bdi></p>
          )}
          <h4>{t('audit.reviews')}</h4>
          <ul class="compact" data-testid="dossier-reviews">
            {rows(dossier.reviews).map((r, i) => {
              const scores = (r.scores as { criterionId: string; score: number }[] | undefined) ?? [];
              return (
                <li key={i} class={r.counted === false ? 'later' : undefined}>
                  {String(r.reviewerId)}: {scores.map((s) => `${s.criterionId} ${s.score}`).join(', ')} — {lookup(`form.recommendation=${String(r.recommendation)}`) ?? String(r.recommendation)}
                  {r.counted === false && <> · <em data-testid="not-counted">{t('audit.notCounted')}</em></>}
                  {r.recusedAfterDecision === true && <> · <em data-testid="recused-after-decision">{t('audit.recusedAfterDecision')}</em></>}
                </li>
              );
            })}
          </ul>
          {dossier.conflictDeclarations.length > 0 && (
            <>
              <h4>{t('audit.conflicts')}</h4>
              <ul class="compact" data-testid="dossier-conflicts">
                {rows(dossier.conflictDeclarations).map((c, i) => (
                  <li key={i}>
                    {String(c.reviewerId)}, {dateTime(String(c.declaredAt))}: <bdi>{text(c.description)}</bdi>
                    {c.afterDecision === true && <> · <em data-testid="after-decision">{t('audit.afterDecision')}</em></>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {dossier.recusals.length > 0 && (
            <>
              <h4>{t('audit.recusals')}</h4>
              <ul class="compact" data-testid="dossier-recusals">
                {rows(dossier.recusals).map((r, i) => (
                  <li key={i}>
                    {String(r.reviewerId)}, {dateTime(String(r.recusedAt))}
                    {(r.by === 'staff' || r.by === 'reviewer') && (
                      <>
                        {' · '}
                        <span data-testid="recused-by" data-by={r.by}>
                          {t(r.by === 'staff' ? 'audit.recusedByStaff' : 'audit.recusedByReviewer', { actor: String(r.recusedBy ?? '—') })}
                        </span>
                      </>
                    )}
                    {typeof r.reason === 'string' && <>{' · '}{sentence(t, 'audit.recusalReason', {}, { reason: r.reason })}</>}
                    {r.afterDecision === true && <> · <em data-testid="after-decision">{t('audit.afterDecision')}</em></>}
                  </li>
                ))}
              </ul>
            </>
          )}
          {dossier.budgetPosition && (
            <p>
              {t('audit.budgetPosition', {
                committed: money(dossier.budgetPosition.committedMinor, dossier.budgetPosition.currency),
                budget: money(dossier.budgetPosition.budgetMinor, dossier.budgetPosition.currency),
              })}
            </p>
          )}
          {dossier.earlierDecisions.length > 0 && (
            <>
              <h4>{t('audit.earlierDecisions')}</h4>
              <div data-testid="dossier-earlier">{dossier.earlierDecisions.map((decision) => <div key={decision.recordedAt}>{decisionOf(decision)}</div>)}</div>
            </>
          )}
          {dossier.redress.length > 0 && (
            <>
              <h4>{t('audit.redress')}</h4>
              <ul class="compact" data-testid="dossier-redress">
                {rows(dossier.redress).map((r, i) => {
                  const outcome = r.outcome as Record<string, unknown> | null;
                  return (
                    <li key={i}>
                      {dateTime(String(r.requestedAt))}: {text(r.grounds)} —{' '}
                      {outcome ? `${lookup(`audit.redressOutcome.${String(outcome.outcome)}`) ?? String(outcome.outcome)}: ${String(outcome.reasons ?? '')}` : t('audit.redressPending')}
                    </li>
                  );
                })}
              </ul>
            </>
          )}
        </>
      )}
    </article>
  );
}

export function VerifyPanel(): JSX.Element {
  const { t, count } = useLocale();
  const [report, setReport] = useState<Schemas['AuditVerifyReportDto']>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const verify = async () => {
    setBusy(true);
    setProblem(undefined);
    setReport(undefined);
    try {
      setReport(await must(api.GET('/audit/verify')));
    } catch (error) {
      setProblem(error as Problem);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="panel" aria-live="polite">
      <button type="button" onClick={verify} disabled={busy}>{t('audit.verify')}</button>
      {busy && <p>{t('audit.verifying')}</p>}
      <ProblemNotice problem={problem} onRetry={() => void verify()} />
      {report && (
        <p class={report.ok ? 'verdict ok' : 'verdict broken'} data-testid="verify-result" role="status">
          {report.ok
            ? t('audit.intact', { events: count('audit.events', report.eventsChecked), streams: count('audit.streams', report.streamsChecked), seals: count('audit.seals', report.sealsChecked) })
            : t('audit.broken', {
                kind: report.firstBreak?.kind ?? '?',
                stream: report.firstBreak?.streamId ?? '—',
                version: report.firstBreak?.streamVersion ?? '—',
                detail: report.firstBreak?.detail ?? '',
              })}
        </p>
      )}
      {report?.ok && (report.heldBackEvents ?? 0) > 0 && (
        <p class="verdict held-back" data-testid="verify-held-back">{t('audit.heldBack', { count: report.heldBackEvents ?? 0 })}</p>
      )}
    </div>
  );
}

function BundleDownload({ kind, id }: { kind: Kind; id: string }): JSX.Element {
  const { t } = useLocale();
  const [link, setLink] = useState<{ url: string; name: string; size: number }>();
  const [problem, setProblem] = useState<Problem>();
  /** While the bundle is fetched: a second click would fetch (and hand over) it twice. */
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const download = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setProblem(undefined);
    try {
      const path = kind === 'call' ? `/audit/calls/${id}/bundle` : `/audit/streams/${kind}-${id}/bundle`;
      const file = await downloadFile(path, `${kind}-${id}.tar`);
      if (link) URL.revokeObjectURL(link.url);
      setLink(file);
    } catch (error) {
      setProblem(error as Problem);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  return (
    <div class="panel">
      <button type="button" onClick={download} disabled={busy} aria-busy={busy ? 'true' : undefined}>{t('audit.download')}</button>
      <ProblemNotice problem={problem} onRetry={() => void download()} />
      {link && (
        <p role="status" data-testid="bundle-ready">
          <a href={link.url} download={link.name}>{t('audit.downloaded', { name: link.name, size: Math.ceil(link.size / 1024) })}</a>
        </p>
      )}
    </div>
  );
}
