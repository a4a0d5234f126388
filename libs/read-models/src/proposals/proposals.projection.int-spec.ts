import { randomBytes, randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import type { ProposalEvent } from '@app/domain/proposal';
import { sealEnvelope } from '@app/personal-data/personal-data-envelope';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import { ProposalsProjection } from './proposals.projection';
import { ProposalsQuery } from './proposals.query';
import { ProposalView, ReviewerAssignmentView } from './proposal-view.entity';

const callId = randomUUID();
const AT = '2027-02-01T10:00:00.000Z';

function recorded(proposalId: string, event: ProposalEvent, streamVersion: number): RecordedEvent {
  const recordedAt = new Date(AT);
  return {
    streamId: `proposal-${proposalId}`, streamVersion, position: `p${streamVersion}`, eventId: randomUUID(), type: event.type, schemaVersion: 1, data: event.data,
    metadata: { eventId: randomUUID(), actorId: 'alice', actorRole: 'grant-manager', correlationId: 'c', causationId: 'c', recordedAt: AT },
    recordedAt,
  };
}

function history(proposalId: string, consensus: number, decision: 'award' | 'reject', inCall = callId): ProposalEvent[] {
  const score = (s: number) => [{ criterionId: 'relevance', score: s, comment: '' }];
  return [
    {
      type: 'ProposalDrafted',
      data: {
        proposalId, callId: inCall, leadOrganisationId: 'org-lb', partners: [{ organisationId: 'org-ps', role: 'research' }], title: 'Tenure', summary: 'S',
        policyIssue: 'housing', requestedMinor: 5_000_000, currency: 'EUR', budgetLines: [{ label: 'All', amountMinor: 5_000_000 }], durationMonths: 24, draftedAt: AT,
      },
    },
    { type: 'PartnerJoined', data: { proposalId, organisationId: 'org-tn', role: 'outreach', joinedAt: AT } },
    { type: 'ProposalSubmitted', data: { proposalId, version: 2, contentHash: 'a'.repeat(64), submittedAt: AT } },
    { type: 'EligibilityScreened', data: { proposalId, results: [{ rule: 'r', passed: true, note: '' }], eligible: true, screenedBy: 'alice', screenedAt: AT } },
    { type: 'ReviewerAssigned', data: { proposalId, reviewerId: 'nadia', assignedBy: 'alice', assignedAt: AT } },
    { type: 'ReviewerAssigned', data: { proposalId, reviewerId: 'omar', assignedBy: 'alice', assignedAt: AT } },
    { type: 'ReviewerAssigned', data: { proposalId, reviewerId: 'leila', assignedBy: 'alice', assignedAt: AT } },
    { type: 'ReviewSubmitted', data: { proposalId, reviewerId: 'leila', scores: score(2), weightedScore: 20, recommendation: 'do-not-fund', comment: '', submittedAt: AT } },
    // Leila declares a conflict after reviewing: her review stays on record but stops counting.
    { type: 'ConflictOfInterestDeclared', data: { proposalId, reviewerId: 'leila', description: 'Former board member', declaredAt: AT } },
    { type: 'ReviewerRecused', data: { proposalId, reviewerId: 'leila', reason: 'conflict of interest declared', by: 'reviewer', recusedBy: 'leila', recusedAt: AT } },
    { type: 'ReviewSubmitted', data: { proposalId, reviewerId: 'nadia', scores: score(8), weightedScore: 80, recommendation: 'fund', comment: '', submittedAt: AT } },
    { type: 'ReviewSubmitted', data: { proposalId, reviewerId: 'omar', scores: score(7), weightedScore: 70, recommendation: 'fund', comment: '', submittedAt: AT } },
    { type: 'ConsensusRecorded', data: { proposalId, score: consensus, summary: 'ok', recordedBy: 'alice', recordedAt: AT } },
    decision === 'award'
      ? { type: 'FundingDecisionRecorded', data: { proposalId, decision, amountMinor: 4_000_000, reasons: 'r', decidedBy: 'alice', committee: 'c', grantId: 'g-1', decidedAt: AT } }
      : { type: 'FundingDecisionRecorded', data: { proposalId, decision, reasons: 'r', decidedBy: 'alice', committee: 'c', decidedAt: AT } },
  ];
}

describe('proposals projection', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const projection = new ProposalsProjection();
  const applyAll = async (proposalId: string, events: ProposalEvent[], from = 0) => {
    for (const [i, event] of events.entries()) await dataSource.transaction((tx) => projection.apply(recorded(proposalId, event, from + i), tx));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  const rows = async (proposalId: string) => ({
    proposal: await dataSource.getRepository(ProposalView).findOneByOrFail({ id: proposalId }),
    assignments: await dataSource.getRepository(ReviewerAssignmentView).find({ where: { proposalId }, order: { reviewerId: 'ASC' } }),
  });

  it('changes nothing when the same events are applied twice', async () => {
    const proposalId = randomUUID();
    const events = history(proposalId, 75, 'award');
    await applyAll(proposalId, events);
    const once = await rows(proposalId);
    await applyAll(proposalId, events);
    expect(await rows(proposalId)).toEqual(once);

    expect(once.proposal).toMatchObject({
      status: 'awarded',
      partnerOrganisationIds: ['org-ps', 'org-tn'],
      contentVersion: 2,
      submittedVersion: 2,
      submittedTermsVersion: 2,
      termsVersion: 2,
      assignedReviewerIds: ['nadia', 'omar', 'leila'],
      recusedReviewerIds: ['leila'],
      reviewCount: 2,
      consensusScore: 75,
      decision: expect.objectContaining({ decision: 'award', grantId: 'g-1', amountMinor: 4_000_000 }),
      version: events.length - 1,
    });
    expect(Object.keys(once.proposal.reviews).sort()).toEqual(['leila', 'nadia', 'omar']);
    expect(once.assignments.map((a) => [a.reviewerId, a.recusedAt !== null, a.reviewSubmittedAt !== null])).toEqual([
      ['leila', true, true],
      ['nadia', false, true],
      ['omar', false, true],
    ]);
  });

  it('shows an award pending, then funds-unavailable with the reason and what the call had left; back to awaiting a decision, the award decision and the failed award on record', async () => {
    const proposalId = randomUUID();
    const events = history(proposalId, 75, 'award');
    await applyAll(proposalId, events);
    expect((await rows(proposalId)).proposal.award).toEqual({ status: 'pending', grantId: 'g-1', amountMinor: 4_000_000, previousStatus: 'under-review' });
    const unavailable: ProposalEvent = {
      type: 'AwardFundsUnavailable',
      data: { proposalId, grantId: 'g-1', amountMinor: 4_000_000, remainingMinor: 1_000, reason: 'call.budget.exceeded', recordedAt: AT },
    };
    await applyAll(proposalId, [unavailable], events.length);
    const { proposal } = await rows(proposalId);
    expect(proposal).toMatchObject({
      status: 'under-review',
      decision: expect.objectContaining({ decision: 'award', grantId: 'g-1', amountMinor: 4_000_000 }),
      award: { status: 'funds-unavailable', grantId: 'g-1', amountMinor: 4_000_000, reason: 'call.budget.exceeded', remainingMinor: 1_000, recordedAt: AT },
      unfundedAwards: [{ grantId: 'g-1', amountMinor: 4_000_000, remainingMinor: 1_000, reason: 'call.budget.exceeded', recordedAt: AT }],
    });
  });

  it('returns an award from the reserve list whose funds were unavailable to the reserve list; an event without a reason reads as null', async () => {
    const proposalId = randomUUID();
    const awarded = history(proposalId, 75, 'award');
    const reserved: ProposalEvent = { type: 'FundingDecisionRecorded', data: { proposalId, decision: 'reserve', reasons: 'r', decidedBy: 'alice', committee: 'c', decidedAt: AT } };
    const events = [...awarded.slice(0, -1), reserved, awarded[awarded.length - 1]];
    await applyAll(proposalId, events);
    await applyAll(proposalId, [{ type: 'AwardFundsUnavailable', data: { proposalId, grantId: 'g-1', amountMinor: 4_000_000, remainingMinor: 0, recordedAt: AT } }], events.length);
    const { proposal } = await rows(proposalId);
    expect(proposal).toMatchObject({ status: 'reserved', award: { status: 'funds-unavailable', reason: null, remainingMinor: 0 } });
  });

  it('lists invited partners apart from accepted ones, counts terms versions, and shows every listed partner once submitted', async () => {
    const proposalId = randomUUID();
    const [drafted, invited] = history(proposalId, 75, 'reject');
    const accepted = (organisationId: string, termsVersion: number): ProposalEvent => ({
      type: 'PartnerInvitationAccepted',
      data: { proposalId, organisationId, acceptedBy: `u-${organisationId}`, mandateStatement: 'Board resolution', termsVersion, acceptedAt: AT },
    });
    await applyAll(proposalId, [drafted, invited, accepted('org-ps', 2)]);
    const query = new ProposalsQuery(dataSource.getRepository(ProposalView), dataSource.getRepository(ReviewerAssignmentView));
    expect((await rows(proposalId)).proposal).toMatchObject({
      partnerOrganisationIds: ['org-ps'],
      termsVersion: 2,
      partners: [
        { organisationId: 'org-ps', role: 'research', status: 'accepted', acceptedTermsVersion: 2 },
        { organisationId: 'org-tn', role: 'outreach', status: 'invited', acceptedTermsVersion: null },
      ],
    });
    expect((await query.invitationsFor('org-tn')).map((p) => p.id)).toContain(proposalId);
    expect((await query.list({ scope: { kind: 'organisation', organisationId: 'org-tn' }, limit: 50, offset: 0 })).items.map((p) => p.id)).not.toContain(proposalId);
    const revised: ProposalEvent = { type: 'ProposalRevised', data: { proposalId, requestedMinor: 4_000_000, budgetLines: [{ label: 'All', amountMinor: 4_000_000 }], revisedAt: AT } };
    const declined: ProposalEvent = { type: 'PartnerInvitationDeclined', data: { proposalId, organisationId: 'org-tn', declinedBy: 'u-tn', declinedAt: AT } };
    await applyAll(proposalId, [revised, declined], 3);
    expect((await rows(proposalId)).proposal).toMatchObject({ termsVersion: 4, partnerOrganisationIds: ['org-ps'], partners: [{ organisationId: 'org-ps', acceptedTermsVersion: 2 }] });
    expect((await query.invitationsFor('org-tn')).map((p) => p.id)).not.toContain(proposalId);
  });

  it('keeps the consensus per criterion and redress requests with their outcome; an upheld request takes the proposal back to evaluation', async () => {
    const proposalId = randomUUID();
    const events = history(proposalId, 55, 'reject');
    const criteria = [{ criterionId: 'relevance', score: 6, comment: 'Relevant, thin evidence' }];
    events[events.length - 2] = { type: 'ConsensusRecorded', data: { proposalId, score: 55, summary: 'below the line', criteria, recordedBy: 'alice', recordedAt: AT } };
    // Grounds in clear: as requests filed before grounds were personal data are stored (and kept).
    const requested: ProposalEvent = {
      type: 'RedressRequested',
      data: { proposalId, requestId: 'r-1', organisationId: 'org-lb', grounds: 'Annex ignored', requestedBy: 'u-lb', windowEndsAt: '2027-03-03T10:00:00.000Z', requestedAt: AT },
    };
    const upheld: ProposalEvent = { type: 'RedressOutcomeRecorded', data: { proposalId, requestId: 'r-1', outcome: 'upheld', reasons: 'Annex not read', decidedBy: 'bob', decidedAt: AT } };
    await applyAll(proposalId, [...events, requested]);
    expect((await rows(proposalId)).proposal).toMatchObject({
      status: 'rejected',
      consensus: { score: 55, criteria },
      redressRequests: [{ requestId: 'r-1', organisationId: 'org-lb', grounds: 'Annex ignored', outcome: null, reasons: null }],
    });
    await applyAll(proposalId, [upheld], events.length + 1);
    expect((await rows(proposalId)).proposal).toMatchObject({
      status: 'under-review',
      consensus: null,
      consensusScore: null,
      decision: null,
      redressRequests: [{ requestId: 'r-1', outcome: 'upheld', reasons: 'Annex not read', decidedBy: 'bob', decidedAt: AT }],
    });
  });

  it('ranks a call by consensus score, equal scores sharing a rank, and queues a reviewer only where not recused', async () => {
    const [rankedCall, first, tiedA, tiedB] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await applyAll(tiedA, history(tiedA, 60, 'reject', rankedCall));
    await applyAll(first, history(first, 90, 'award', rankedCall));
    await applyAll(tiedB, history(tiedB, 60, 'reject', rankedCall));
    const query = new ProposalsQuery(dataSource.getRepository(ProposalView), dataSource.getRepository(ReviewerAssignmentView));

    const ranking = await query.ranking(rankedCall);
    expect(ranking.map((r) => [r.proposal.id === first ? 'first' : 'tied', r.rank, r.proposal.consensusScore])).toEqual([
      ['first', 1, 90],
      ['tied', 2, 60],
      ['tied', 2, 60],
    ]);

    const leila = await query.reviewerQueue('leila', { limit: 50, offset: 0 });
    expect(leila.items.map((i) => i.proposal.id)).not.toContain(first);
    const nadia = await query.reviewerQueue('nadia', { limit: 50, offset: 0 });
    expect(nadia.items.map((i) => i.proposal.id)).toEqual(expect.arrayContaining([first, tiedA, tiedB]));
  });

  it("keeps redress grounds sealed as the log holds them, bound to their event, and no partner's mandate at all", async () => {
    const proposalId = randomUUID();
    const events = history(proposalId, 55, 'reject');
    const key = { keyId: 'k-1', key: randomBytes(32) };
    const subject = 'organisation-org-tn';
    const grounds = 'Walid Testperson, our treasurer, is named in the annex';
    const mandate = 'Board resolution signed by Rania Testperson';
    // As the log stores them: the personal fields already sealed (the projection reads events sealed).
    const sealedAt = (event: ProposalEvent, streamVersion: number, path: string, clear: string) => {
      const stored = recorded(proposalId, event, streamVersion);
      return { ...stored, data: { ...(stored.data as object), [path]: sealEnvelope(clear, { subject, eventId: stored.eventId, path }, key) } };
    };
    const accepted = sealedAt(
      { type: 'PartnerInvitationAccepted', data: { proposalId, organisationId: 'org-tn', acceptedBy: 'u-tn', mandateStatement: null, termsVersion: 2, acceptedAt: AT } },
      2, 'mandateStatement', mandate,
    );
    await applyAll(proposalId, events.slice(0, 2));
    await dataSource.transaction((tx) => projection.apply(accepted, tx));
    await applyAll(proposalId, events.slice(2), 3);
    const requested = sealedAt(
      { type: 'RedressRequested', data: { proposalId, requestId: 'r-1', organisationId: 'org-tn', grounds: null, requestedBy: 'u-tn', windowEndsAt: AT, requestedAt: AT } },
      events.length + 1, 'grounds', grounds,
    );
    await dataSource.transaction((tx) => projection.apply(requested, tx));

    const { proposal } = await rows(proposalId);
    expect(proposal.redressRequests).toEqual([
      expect.objectContaining({ requestId: 'r-1', organisationId: 'org-tn', grounds: { ...(requested.data as { grounds: object }).grounds, eventId: requested.eventId, path: 'grounds' } }),
    ]);
    const [raw] = (await dataSource.query('SELECT to_jsonb(p)::text AS row FROM proposals p WHERE id = $1', [proposalId])) as { row: string }[];
    expect(raw.row).not.toContain('Testperson');
  });
});
