import type { RecordedEvent } from '@app/event-store';
import { buildDecisionDossier, callEventsAsOf, upToLastDecision } from './decision-dossier';

const proposalId = '0b7f6c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b';
const callId = '1c8a7d2f-3b4e-4f60-9b7c-1d2e3f4a5b6c';
let position = 0;

function recorded(streamId: string, streamVersion: number, type: string, data: object, at: string, actorId = 'alice'): RecordedEvent {
  position += 1;
  return {
    streamId, streamVersion, position: String(position).padStart(5, '0'), eventId: `${streamId}#${streamVersion}`, type, schemaVersion: 1, data,
    metadata: { eventId: `${streamId}#${streamVersion}`, actorId, actorRole: 'grant-manager', correlationId: 'c', causationId: 'c', recordedAt: at },
    recordedAt: new Date(at),
  };
}

const p = (v: number, type: string, data: object, at: string, actor?: string) => recorded(`proposal-${proposalId}`, v, type, { proposalId, ...data }, at, actor);
const c = (v: number, type: string, data: object, at: string) => recorded(`call-${callId}`, v, type, { callId, ...data }, at);

const proposal = [
  p(0, 'ProposalDrafted', {
    callId, leadOrganisationId: 'lead', partners: [{ organisationId: 'partner', role: 'research' }], title: 'T', summary: 'S', policyIssue: 'I',
    requestedMinor: 100, currency: 'EUR', budgetLines: [{ label: 'L', amountMinor: 100 }], durationMonths: 12, draftedAt: '2027-02-01T00:00:00.000Z',
  }, '2027-02-01T00:00:00.000Z', 'applicant'),
  p(1, 'ProposalSubmitted', { version: 1, contentHash: 'not-the-hash', submittedAt: '2027-02-02T00:00:00.000Z' }, '2027-02-02T00:00:00.000Z', 'applicant'),
  p(2, 'ReviewSubmitted', { reviewerId: 'r1', scores: [], weightedScore: 50, recommendation: 'fund', comment: 'ok', submittedAt: '2027-03-01T00:00:00.000Z' }, '2027-03-01T00:00:00.000Z', 'r1'),
  p(3, 'ReviewerRecused', { reviewerId: 'r1', reason: 'late conflict', recusedAt: '2027-03-02T00:00:00.000Z' }, '2027-03-02T00:00:00.000Z'),
  p(4, 'FundingDecisionRecorded', { decision: 'award', amountMinor: 100, reasons: 'first', decidedBy: 'alice', committee: 'C', grantId: 'g1', decidedAt: '2027-04-01T00:00:00.000Z' }, '2027-04-01T00:00:00.000Z'),
  p(5, 'AwardFundsUnavailable', { grantId: 'g1', amountMinor: 100, remainingMinor: 50, recordedAt: '2027-04-01T00:00:01.000Z' }, '2027-04-01T00:00:01.000Z', 'system'),
  p(6, 'FundingDecisionRecorded', { decision: 'reserve', reasons: 'budget exhausted', decidedBy: 'bob', committee: 'C', decidedAt: '2027-04-02T00:00:00.000Z' }, '2027-04-02T00:00:00.000Z', 'bob'),
  p(7, 'ClarificationRequested', { requestId: 'q', questions: ['?'], requestedBy: 'alice', requestedAt: '2027-05-01T00:00:00.000Z' }, '2027-05-01T00:00:00.000Z'),
];

const call = [
  c(0, 'CallDrafted', {
    programme: 'P', title: 'T', description: 'D', currency: 'EUR', budgetMinor: 1_000, minAwardMinor: 10, maxAwardMinor: 500, eligibleCountries: ['LB'],
    minPartners: 2, criteria: [{ id: 'a', name: 'A', weight: 100, maxScore: 10 }], reviewsRequired: 1,
    opensAt: '2027-01-15T00:00:00Z', closesAt: '2027-03-31T00:00:00Z', draftedAt: '2027-01-10T00:00:00.000Z',
  }, '2027-01-10T00:00:00.000Z'),
  c(1, 'CallPublished', { publishedAt: '2027-01-11T00:00:00.000Z' }, '2027-01-11T00:00:00.000Z'),
  c(2, 'FundsCommitted', { grantId: 'other', proposalId: 'other', amountMinor: 950, committedAt: '2027-03-15T00:00:00.000Z' }, '2027-03-15T00:00:00.000Z'),
  c(3, 'FundsCommitted', { grantId: 'later', proposalId: 'later', amountMinor: 10, committedAt: '2027-06-01T00:00:00.000Z' }, '2027-06-01T00:00:00.000Z'),
];

describe('a decision dossier shows the decision in force as it stood when it was made', () => {
  const events = upToLastDecision(proposal)!;
  const dossier = buildDecisionDossier(events, callEventsAsOf(call, events[events.length - 1].recordedAt));

  it('ends at the last decision: what came after it is not part of the record', () => {
    expect(events.map((e) => e.streamVersion)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(upToLastDecision(proposal.slice(0, 4))).toBeNull();
  });

  it('shows the decision in force and keeps the earlier one that did not stand', () => {
    expect(dossier.decision).toMatchObject({ decision: 'reserve', decidedBy: 'bob', recordedBy: { actorId: 'bob', actorRole: 'grant-manager' } });
    expect(dossier.decision.evidence).toMatchObject({ streamVersion: 6, eventId: `proposal-${proposalId}#6` });
    expect(dossier.earlierDecisions).toEqual([expect.objectContaining({ decision: 'award', grantId: 'g1', reasons: 'first' })]);
  });

  it('marks the review of a reviewer recused before the decision as not counted', () => {
    expect(dossier.reviews).toEqual([expect.objectContaining({ reviewerId: 'r1', counted: false, recusedAfterDecision: false })]);
    expect(dossier.recusals).toEqual([expect.objectContaining({ reviewerId: 'r1', reason: 'late conflict', afterDecision: false })]);
  });

  it('shows a conflict declared and a recusal made after the decision, and the review that counted though its reviewer was recused since', () => {
    const stream = [
      proposal[0],
      proposal[1],
      p(2, 'ReviewSubmitted', { reviewerId: 'r2', scores: [], weightedScore: 70, recommendation: 'fund', comment: 'ok', submittedAt: '2027-03-01T00:00:00.000Z' }, '2027-03-01T00:00:00.000Z', 'r2'),
      p(3, 'FundingDecisionRecorded', { decision: 'award', amountMinor: 100, reasons: 'first', decidedBy: 'alice', committee: 'C', grantId: 'g1', decidedAt: '2027-04-01T00:00:00.000Z' }, '2027-04-01T00:00:00.000Z'),
      p(4, 'ConflictOfInterestDeclared', { reviewerId: 'r2', description: 'Board member of the lead', declaredAt: '2027-05-01T00:00:00.000Z' }, '2027-05-01T00:00:00.000Z', 'r2'),
      p(5, 'ReviewerRecused', { reviewerId: 'r2', reason: 'conflict of interest', recusedAt: '2027-05-01T00:00:00.000Z' }, '2027-05-01T00:00:00.000Z', 'r2'),
    ];
    const decided = upToLastDecision(stream)!;
    const later = buildDecisionDossier(decided, call, stream.slice(decided.length));
    expect(later.reviews).toEqual([expect.objectContaining({ reviewerId: 'r2', counted: true, recusedAfterDecision: true })]);
    expect(later.conflictDeclarations).toEqual([
      expect.objectContaining({ reviewerId: 'r2', description: 'Board member of the lead', afterDecision: true, evidence: expect.objectContaining({ streamVersion: 4 }) }),
    ]);
    expect(later.recusals).toEqual([expect.objectContaining({ reviewerId: 'r2', afterDecision: true, evidence: expect.objectContaining({ streamVersion: 5 }) })]);
    expect(later.decision).toMatchObject({ decision: 'award', grantId: 'g1' });
  });

  it('recomputes the submitted content hash and says when it does not match', () => {
    expect(dossier.submission).toMatchObject({ version: 1, contentHash: 'not-the-hash', contentHashMatches: false, content: expect.objectContaining({ title: 'T' }) });
    expect(dossier.submission?.recomputedContentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('folds the call only up to the decision: later commitments are not in its budget position', () => {
    expect(dossier.budgetPosition).toMatchObject({ budgetMinor: 1_000, committedMinor: 950, remainingMinor: 50, callVersion: 2 });
  });
});

describe('a decision dossier shows the network consent and redress around the decision', () => {
  const at = (day: string) => `2027-${day}T00:00:00.000Z`;
  const stream = [
    proposal[0],
    p(1, 'PartnerInvitationAccepted', { organisationId: 'partner', acceptedBy: 'applicant-partner', mandateStatement: 'Board resolution', termsVersion: 1, acceptedAt: at('02-01') }, at('02-01'), 'applicant-partner'),
    p(2, 'ProposalSubmitted', { version: 1, contentHash: 'h', submittedAt: at('02-02') }, at('02-02'), 'applicant'),
    p(3, 'FundingDecisionRecorded', { decision: 'reject', reasons: 'below the line', decidedBy: 'alice', committee: 'C', decidedAt: at('04-01') }, at('04-01')),
    p(4, 'RedressRequested', { requestId: 'r-1', organisationId: 'partner', grounds: 'Annex ignored', requestedBy: 'applicant-partner', windowEndsAt: at('05-01'), requestedAt: at('04-10') }, at('04-10'), 'applicant-partner'),
    p(5, 'RedressOutcomeRecorded', { requestId: 'r-1', outcome: 'upheld', reasons: 'Annex not read', decidedBy: 'bob', decidedAt: at('04-20') }, at('04-20'), 'bob'),
    p(6, 'FundingDecisionRecorded', { decision: 'reject', reasons: 'still below the line', decidedBy: 'alice', committee: 'C', decidedAt: at('05-10') }, at('05-10')),
    p(7, 'RedressRequested', { requestId: 'r-2', organisationId: 'lead', grounds: 'Same again', requestedBy: 'applicant', windowEndsAt: at('06-09'), requestedAt: at('05-12') }, at('05-12'), 'applicant'),
  ];
  const events = upToLastDecision(stream)!;
  const dossier = buildDecisionDossier(events, call, stream.slice(events.length));

  it("records each partner's acceptance with its terms version and mandate, with evidence", () => {
    expect(dossier.partnerAnswers).toEqual([
      expect.objectContaining({ organisationId: 'partner', answer: 'accepted', termsVersion: 1, mandateStatement: 'Board resolution', answeredBy: 'applicant-partner', evidence: expect.objectContaining({ streamVersion: 1 }) }),
    ]);
  });

  it('shows every redress request with its outcome, also one filed after the last decision', () => {
    expect(dossier.redress).toEqual([
      expect.objectContaining({
        requestId: 'r-1', grounds: 'Annex ignored', evidence: expect.objectContaining({ streamVersion: 4 }),
        outcome: expect.objectContaining({ outcome: 'upheld', reasons: 'Annex not read', decidedBy: 'bob', evidence: expect.objectContaining({ streamVersion: 5 }) }),
      }),
      expect.objectContaining({ requestId: 'r-2', organisationId: 'lead', outcome: null, evidence: expect.objectContaining({ streamVersion: 7 }) }),
    ]);
    expect(dossier.earlierDecisions).toEqual([expect.objectContaining({ reasons: 'below the line' })]);
  });
});
