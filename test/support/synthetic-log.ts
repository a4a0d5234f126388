import { createHash, randomUUID } from 'node:crypto';
import { newEventId } from '@app/platform/ids';
import type { EventMetadata, EventStore, NewEvent } from '@app/event-store';
import { callStreamName, type CallEvent } from '@app/domain/call';
import { grantStreamName, type GrantEvent } from '@app/domain/grant';
import { organisationStreamName, type OrganisationEvent } from '@app/domain/organisation';
import { proposalStreamName, type ProposalEvent } from '@app/domain/proposal';
import { mulberry32 } from './mulberry32';

export type SyntheticEvent = CallEvent | OrganisationEvent | ProposalEvent | GrantEvent;

/** Events to append to one stream, in order (a stream may come back in several chunks, e.g. a call's commitments). */
export interface SyntheticChunk {
  streamId: string;
  events: SyntheticEvent[];
}

export interface SyntheticLogOptions {
  /** Roughly how many events to produce (the last programme is completed, so a few more may come). */
  events: number;
  seed?: number;
  organisations?: number;
  proposalsPerCall?: number;
  /** Also produce one call stream of exactly this many events (for as-of timings); 0 for none. */
  longCallEvents?: number;
}

const COUNTRIES = ['LB', 'PS', 'MA', 'TN'];
const ISSUES = ['housing rights for minorities', 'nationality rights for stateless people', 'decriminalisation of homosexuality', 'representation of religious minorities'];
const FOCUS = ['stateless people', 'Dom community', 'Amazigh rights', 'LGBTQI+', 'religious minorities'];
const CRITERIA = [
  { id: 'relevance', name: 'Relevance', weight: 40, maxScore: 10 },
  { id: 'network', name: 'Network strength', weight: 30, maxScore: 10 },
  { id: 'feasibility', name: 'Feasibility', weight: 30, maxScore: 10 },
];

/**
 * A realistic, deterministic grant programme as domain events, for benchmarks and for tests that
 * need volume and variety: organisations with contact persons (some updated, some erased), calls
 * published and extended, proposals drafted, revised, submitted, screened, reviewed (with conflicts
 * and recusals), clarified and decided, and awarded grants with their agreement, tranches tied to
 * reports, amendments, suspensions and closure, the funds committed and released on the call.
 */
export function* syntheticLog(options: SyntheticLogOptions): Generator<SyntheticChunk> {
  const random = mulberry32(options.seed ?? 42);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)];
  const chance = (p: number) => random() < p;
  const uuid = () => {
    const hex = createHash('sha1').update(String(random())).update(String(random())).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
  let clock = Date.parse('2027-01-10T09:00:00.000Z');
  const at = (stepMs = 60_000) => new Date((clock += stepMs)).toISOString();
  const day = (iso: string, plusDays: number) => new Date(Date.parse(iso) + plusDays * 86_400_000).toISOString().slice(0, 10);
  let produced = 0;
  const chunk = (streamId: string, events: SyntheticEvent[]): SyntheticChunk => {
    produced += events.length;
    return { streamId, events };
  };

  const organisationIds: string[] = [];
  const organisationCount = options.organisations ?? 200;
  for (let i = 0; i < organisationCount; i++) {
    const organisationId = uuid();
    organisationIds.push(organisationId);
    const events: OrganisationEvent[] = [
      {
        type: 'OrganisationRegistered',
        data: {
          organisationId, name: `${pick(FOCUS)} network ${i + 1}`, country: pick(COUNTRIES), legalStatus: pick(['registered-ngo', 'registered-association', 'unregistered-group'] as const),
          focusGroups: [pick(FOCUS)], contactPerson: { name: `Contact ${i + 1}`, email: `contact${i + 1}@example.org`, phone: '+961 1 000 000' },
          memberUserIds: [`applicant-${i + 1}`], registeredAt: at(),
        },
      },
      { type: 'DueDiligenceRecorded', data: { organisationId, outcome: pick(['passed', 'passed', 'conditional'] as const), notes: 'Statutes and references checked', checkedBy: 'alice', recordedAt: at() } },
    ];
    if (chance(0.3)) events.push({ type: 'OrganisationProfileUpdated', data: { organisationId, contactPerson: { name: `New contact ${i + 1}`, email: `new${i + 1}@example.org` }, updatedAt: at() } });
    if (chance(0.05)) events.push({ type: 'OrganisationPersonalDataErased', data: { organisationId, reason: 'Data subject request', requestedBy: 'admin', erasedAt: at() } });
    yield chunk(organisationStreamName(organisationId), events);
  }

  if (options.longCallEvents) {
    const callId = uuid();
    const opened = at();
    const events: CallEvent[] = [drafted(callId, opened, 1_000_000_000_000_000), { type: 'CallPublished', data: { callId, publishedAt: at() } }];
    while (events.length < options.longCallEvents) {
      const grantId = uuid();
      events.push({ type: 'FundsCommitted', data: { callId, grantId, proposalId: uuid(), amountMinor: 1_000_000, committedAt: at() } });
      if (events.length < options.longCallEvents) events.push({ type: 'FundsReleased', data: { callId, grantId, amountMinor: 250_000, reason: 'Unspent at closure', releasedAt: at() } });
    }
    yield chunk(callStreamName(callId), events);
  }

  const proposalsPerCall = options.proposalsPerCall ?? 500;
  while (produced < options.events) {
    const callId = uuid();
    const callEvents: CallEvent[] = [drafted(callId, at(), 50_000_000_000), { type: 'CallPublished', data: { callId, publishedAt: at() } }];
    if (chance(0.5)) callEvents.push({ type: 'CallDeadlineExtended', data: { callId, previousClosesAt: '2027-03-31T23:59:59.000Z', newClosesAt: '2027-04-30T23:59:59.000Z', reason: 'Network consultations', extendedAt: at() } });
    yield chunk(callStreamName(callId), callEvents);
    let commitments: CallEvent[] = [];
    for (let p = 0; p < proposalsPerCall && produced < options.events; p++) {
      const proposalId = uuid();
      const lead = pick(organisationIds);
      const partner = pick(organisationIds);
      const requestedMinor = 1_000_000 + Math.floor(random() * 40) * 100_000;
      const reviewers = [`reviewer-${1 + Math.floor(random() * 40)}`, `reviewer-${41 + Math.floor(random() * 40)}`, `reviewer-${81 + Math.floor(random() * 40)}`];
      const events: ProposalEvent[] = [
        {
          type: 'ProposalDrafted',
          data: {
            proposalId, callId, leadOrganisationId: lead, partners: [{ organisationId: partner, role: 'community outreach' }], title: `Network proposal ${p + 1}`,
            summary: 'Legal aid, documentation and advocacy with affected communities.', policyIssue: pick(ISSUES), requestedMinor, currency: 'EUR',
            budgetLines: [{ label: 'Legal aid', amountMinor: requestedMinor - 500_000 }, { label: 'Advocacy', amountMinor: 500_000 }], durationMonths: 24, draftedAt: at(),
          },
        },
      ];
      if (chance(0.3)) events.push({ type: 'ProposalRevised', data: { proposalId, summary: 'Revised summary after partner consultation.', revisedAt: at() } });
      events.push({ type: 'ProposalSubmitted', data: { proposalId, version: 1, contentHash: createHash('sha256').update(proposalId).digest('hex'), submittedAt: at() } });
      const eligible = !chance(0.1);
      events.push({
        type: 'EligibilityScreened',
        data: { proposalId, results: [{ rule: 'lead-country', passed: eligible, note: 'Lead country eligible' }, { rule: 'min-partners', passed: true, note: '2 organisations' }], eligible, screenedBy: 'alice', screenedAt: at() },
      });
      if (!eligible) {
        yield chunk(proposalStreamName(proposalId), events);
        continue;
      }
      for (const reviewerId of reviewers) events.push({ type: 'ReviewerAssigned', data: { proposalId, reviewerId, assignedBy: 'alice', assignedAt: at() } });
      const recused = chance(0.1) ? reviewers[0] : undefined;
      if (recused) {
        events.push({ type: 'ConflictOfInterestDeclared', data: { proposalId, reviewerId: recused, description: 'Former board member of the lead', declaredAt: at() } });
        events.push({ type: 'ReviewerRecused', data: { proposalId, reviewerId: recused, reason: 'Conflict of interest', by: 'reviewer', recusedBy: recused, recusedAt: at() } });
      }
      let total = 0;
      for (const reviewerId of reviewers.filter((r) => r !== recused)) {
        const scores = CRITERIA.map((c) => ({ criterionId: c.id, score: 4 + Math.floor(random() * 7), comment: 'Convincing' }));
        const weightedScore = Math.round(scores.reduce((sum, s, i) => sum + (s.score / CRITERIA[i].maxScore) * CRITERIA[i].weight, 0) * 100) / 100;
        total += weightedScore;
        events.push({ type: 'ReviewSubmitted', data: { proposalId, reviewerId, scores, weightedScore, recommendation: weightedScore >= 70 ? 'fund' : 'reserve', comment: 'Solid network', submittedAt: at() } });
      }
      if (chance(0.1)) {
        const requestId = uuid();
        events.push({ type: 'ClarificationRequested', data: { proposalId, requestId, questions: ['Please detail the legal-aid budget'], requestedBy: 'alice', requestedAt: at() } });
        events.push({ type: 'ClarificationProvided', data: { proposalId, requestId, answer: 'Detailed in the revised budget', revisedFields: { durationMonths: 30 }, providedAt: at() } });
      }
      const score = Math.round((total / (recused ? 2 : 3)) * 100) / 100;
      events.push({ type: 'ConsensusRecorded', data: { proposalId, score, summary: 'Panel consensus', recordedBy: 'alice', recordedAt: at() } });
      const decision = score >= 65 ? 'award' : chance(0.5) ? 'reject' : 'reserve';
      const grantId = decision === 'award' ? uuid() : undefined;
      const decidedAt = at();
      events.push({
        type: 'FundingDecisionRecorded',
        data: { proposalId, decision, ...(grantId ? { amountMinor: requestedMinor, grantId } : {}), reasons: 'Ranked by consensus score', decidedBy: 'committee-chair', committee: 'Programme committee', decidedAt },
      });
      yield chunk(proposalStreamName(proposalId), events);
      if (!grantId) continue;

      commitments.push({ type: 'FundsCommitted', data: { callId, grantId, proposalId, amountMinor: requestedMinor, committedAt: at() } });
      const awardedAt = at();
      const periodStart = day(awardedAt, 30);
      const grant: GrantEvent[] = [
        {
          type: 'GrantAwarded',
          data: { grantId, proposalId, callId, granteeOrganisationId: lead, partnerOrganisationIds: [partner], amountMinor: requestedMinor, currency: 'EUR', periodStart, periodEnd: day(awardedAt, 760), conditions: ['Annual audit'], awardedAt },
        },
        { type: 'GrantAgreementSigned', data: { grantId, signedAt: at(), signatories: [{ name: 'Rania Haddad', role: 'Director' }] } },
      ];
      const interim = uuid();
      const final = uuid();
      grant.push({ type: 'ReportScheduled', data: { grantId, reportId: interim, kind: 'interim', dueDate: day(awardedAt, 400), scheduledAt: at() } });
      grant.push({ type: 'ReportScheduled', data: { grantId, reportId: final, kind: 'final', dueDate: day(awardedAt, 790), scheduledAt: at() } });
      const tranche = Math.floor(requestedMinor / 3);
      const tranches = [uuid(), uuid(), uuid()];
      grant.push({ type: 'DisbursementScheduled', data: { grantId, trancheId: tranches[0], amountMinor: tranche, dueDate: periodStart, scheduledAt: at() } });
      grant.push({ type: 'DisbursementScheduled', data: { grantId, trancheId: tranches[1], amountMinor: tranche, dueDate: day(awardedAt, 420), condition: { reportId: interim }, scheduledAt: at() } });
      grant.push({ type: 'DisbursementPaid', data: { grantId, trancheId: tranches[0], paymentReference: `SEPA-${p}-1`, amountMinor: tranche, paidAt: at() } });
      if (chance(0.15)) grant.push({ type: 'GrantAmended', data: { grantId, amendmentId: uuid(), kind: 'no-cost-extension', previousPeriodEnd: day(awardedAt, 760), newPeriodEnd: day(awardedAt, 850), reason: 'Elections delayed activities', approvedBy: 'alice', amendedAt: at() } });
      if (chance(0.05)) {
        grant.push({ type: 'GrantSuspended', data: { grantId, reason: 'Audit query', suspendedAt: at() } });
        grant.push({ type: 'GrantReinstated', data: { grantId, reason: 'Audit query answered', reinstatedAt: at() } });
      }
      grant.push({ type: 'ReportSubmitted', data: { grantId, reportId: interim, summary: 'Hearings held; 120 families assisted.', submittedAt: at() } });
      if (chance(0.2)) {
        grant.push({ type: 'ReportRevisionRequested', data: { grantId, reportId: interim, reason: 'Add the financial annex', requestedBy: 'alice', requestedAt: at() } });
        grant.push({ type: 'ReportSubmitted', data: { grantId, reportId: interim, summary: 'With financial annex.', submittedAt: at() } });
      }
      grant.push({ type: 'ReportAccepted', data: { grantId, reportId: interim, acceptedBy: 'alice', acceptedAt: at() } });
      grant.push({ type: 'DisbursementPaid', data: { grantId, trancheId: tranches[1], paymentReference: `SEPA-${p}-2`, amountMinor: tranche, paidAt: at() } });
      if (chance(0.7)) {
        grant.push({ type: 'DisbursementScheduled', data: { grantId, trancheId: tranches[2], amountMinor: tranche, dueDate: day(awardedAt, 800), condition: { reportId: final }, scheduledAt: at() } });
        grant.push({
          type: 'ReportSubmitted',
          data: { grantId, reportId: final, summary: 'Final narrative and financial report.', documents: [{ name: 'final.pdf', sha256: createHash('sha256').update(grantId).digest('hex') }], submittedAt: at() },
        });
        grant.push({ type: 'ReportAccepted', data: { grantId, reportId: final, acceptedBy: 'alice', acceptedAt: at() } });
        grant.push({ type: 'DisbursementPaid', data: { grantId, trancheId: tranches[2], paymentReference: `SEPA-${p}-3`, amountMinor: tranche, paidAt: at() } });
        const unspentMinor = requestedMinor - 3 * tranche;
        grant.push({ type: 'GrantClosed', data: { grantId, unspentMinor, closedAt: at() } });
        if (unspentMinor > 0) commitments.push({ type: 'FundsReleased', data: { callId, grantId, amountMinor: unspentMinor, reason: 'Unspent at closure', releasedAt: at() } });
      }
      yield chunk(grantStreamName(grantId), grant);
      if (commitments.length >= 100) {
        yield chunk(callStreamName(callId), commitments);
        commitments = [];
      }
    }
    commitments.push({ type: 'CallClosed', data: { callId, closedAt: at(), reason: 'Deadline passed' } });
    yield chunk(callStreamName(callId), commitments);
  }

  function drafted(callId: string, draftedAt: string, budgetMinor: number): CallEvent {
    return {
      type: 'CallDrafted',
      data: {
        callId, programme: 'Civic Space and Minority Rights Programme 2027', title: 'Small grants for issue-based networks', description: 'Networks in Lebanon, Palestine, Morocco and Tunisia.',
        currency: 'EUR', budgetMinor, minAwardMinor: 500_000, maxAwardMinor: 8_000_000, eligibleCountries: COUNTRIES, minPartners: 2, criteria: CRITERIA, reviewsRequired: 2,
        opensAt: '2027-01-15T00:00:00.000Z', closesAt: '2027-03-31T23:59:59.000Z', draftedAt,
      },
    };
  }
}

export type EncodeEvent = (streamId: string, event: SyntheticEvent, metadata: EventMetadata) => Promise<NewEvent>;

/**
 * Appends chunks through the codec (personal data encrypted as in production), `concurrency`
 * appends in flight; chunks of the same stream are appended in their order. Returns the number of events.
 *
 * `eventsPerAppend` (default: a whole chunk per append) cuts each chunk into appends of at most
 * that many events, as commands append them one or two at a time: the appends in flight then
 * interleave their streams in the global log, as a programme's streams interleave in production.
 * Whole chunks put a stream's life in one run of the log, which flatters whatever reads the log
 * in order (the audit verifier checks an event that continues its stream's run more cheaply).
 */
export async function appendSyntheticLog(
  store: EventStore,
  encode: EncodeEvent,
  chunks: Iterable<SyntheticChunk>,
  options: { concurrency?: number; eventsPerAppend?: number; onAppended?: (events: number) => void } = {},
): Promise<number> {
  const concurrency = options.concurrency ?? 8;
  const inFlight = new Set<Promise<void>>();
  const streamTails = new Map<string, Promise<void>>();
  let appended = 0;
  let failure: unknown;
  for (const chunk of cutChunks(chunks, options.eventsPerAppend)) {
    if (failure) break;
    const previous = streamTails.get(chunk.streamId) ?? Promise.resolve();
    const work = previous.then(async () => {
      const correlationId = randomUUID();
      const events = await Promise.all(
        chunk.events.map((event) =>
          encode(chunk.streamId, event, { eventId: newEventId(), actorId: 'alice', actorRole: 'grant-manager', correlationId, causationId: correlationId }),
        ),
      );
      await store.append(chunk.streamId, events, 'any');
      appended += events.length;
      options.onAppended?.(appended);
    });
    const tracked = work.catch((error: unknown) => {
      failure ??= error;
    });
    streamTails.set(chunk.streamId, tracked);
    inFlight.add(tracked);
    void tracked.finally(() => {
      inFlight.delete(tracked);
      if (streamTails.get(chunk.streamId) === tracked) streamTails.delete(chunk.streamId);
    });
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return appended;
}

/** Each chunk as chunks of at most `size` events (all of it when size is undefined or 0). */
function* cutChunks(chunks: Iterable<SyntheticChunk>, size: number | undefined): Generator<SyntheticChunk> {
  for (const chunk of chunks) {
    if (!size || chunk.events.length <= size) yield chunk;
    else for (let i = 0; i < chunk.events.length; i += size) yield { streamId: chunk.streamId, events: chunk.events.slice(i, i + size) };
  }
}
