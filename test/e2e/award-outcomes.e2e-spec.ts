/**
 * Award outcomes are explicit (issue 13): an award outside the call's range is refused at the door;
 * the answer to an award never hands out a grant id as if the grant existed (award: pending); the
 * proposal then shows awarded, or funds-unavailable with the call's refusal rule, what the call
 * truly had left, and the decision that was made.
 */
import { createTestApp, eventually, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';
import { GrantScenario } from './grants-support';

describe('award outcomes', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let lead: string;
  let partner: string;
  let manager: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z' });
    scenario = new GrantScenario(t);
    lead = await scenario.organisation('LB');
    partner = await scenario.organisation('PS');
    manager = `Bearer ${await t.token({ role: 'grant-manager', id: 'alice' })}`;
  });

  afterAll(async () => {
    await t.close();
  });

  const decide = (proposalId: string, body: Record<string, unknown>) =>
    t.http.post(`/proposals/${proposalId}/decision`).set('Authorization', manager).send({ reasons: 'Ranked by the committee', committee: 'Programme committee', ...body });
  /** The proposal as GET shows it once its award reads `status` (the read model follows the log). */
  const awardOf = async (proposalId: string, status: string) => {
    const res = await t.http.get(`/proposals/${proposalId}`).set('Authorization', manager);
    return res.status === 200 && res.body.award?.status === status ? res.body : undefined;
  };

  it("refuses an award below the call's minimum, or above the amount requested, with the rule and nothing appended", async () => {
    const callId = await scenario.publishedCall({ minAwardMinor: 500_000, maxAwardMinor: 8_000_000 });
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 3_000_000 });
    const before = await streamEvents(t, `proposal-${proposalId}`);

    const below = await decide(proposalId, { decision: 'award', amountMinor: 400_000 }).expect(422);
    expect(below.body.rule).toBe('proposal.award.outside-call-range');
    const above = await decide(proposalId, { decision: 'award', amountMinor: 3_000_001 }).expect(422);
    expect(above.body.rule).toBe('proposal.award.exceeds-request');

    expect(await streamEvents(t, `proposal-${proposalId}`)).toHaveLength(before.length);
    expect((await streamEvents(t, `call-${callId}`)).map((e) => e.type)).toEqual(['CallDrafted', 'CallPublished']);
  });

  it('answers an award as pending with the grant to be created; the proposal then shows it awarded once the grant exists', async () => {
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 3_000_000 });

    const answer = await decide(proposalId, { decision: 'award', amountMinor: 2_500_000 }).expect(200);
    expect(answer.body).toEqual({ id: proposalId, version: expect.any(Number), award: { status: 'pending', grantId: expect.any(String) } });
    const { grantId } = answer.body.award;

    const shown = await eventually(() => awardOf(proposalId, 'awarded'));
    expect(shown.award).toEqual({ status: 'awarded', grantId, amountMinor: 2_500_000 });
    expect(shown.status).toBe('awarded');
    // The grants read model is another projection with its own checkpoint: it may show the grant a moment after the proposals one.
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set('Authorization', manager)).status === 200 ? true : undefined));
    // The outcome is a fact of the proposal's own stream, recorded once the grant exists (so its version, ETag and as-of move with it).
    const events = await streamEvents(t, `proposal-${proposalId}`);
    expect(events.slice(-2).map((e) => e.type)).toEqual(['FundingDecisionRecorded', 'AwardFunded']);
    expect(shown.version).toBe(events.length - 1);
    const decidedAt = events[events.length - 2].recordedAt.toISOString();
    const asOfDecision = await t.http.get(`/proposals/${proposalId}`).query({ asOf: decidedAt }).set('Authorization', manager).expect(200);
    expect(asOfDecision.body.award).toEqual({ status: 'pending', grantId, amountMinor: 2_500_000 });
  });

  it("shows funds-unavailable with the call's refusal and its true remaining budget; the award decision and the earlier reserve stay visible", async () => {
    const callId = await scenario.publishedCall({ budgetMinor: 5_000_000, maxAwardMinor: 4_000_000 });
    const first = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 4_000_000 });
    const second = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 2_000_000 });

    await decide(second, { decision: 'reserve' }).expect(200);
    const funded = await decide(first, { decision: 'award', amountMinor: 4_000_000 }).expect(200);
    await eventually(() => awardOf(first, 'awarded'));

    const unfunded = await decide(second, { decision: 'award', amountMinor: 2_000_000 }).expect(200);
    expect(unfunded.body.award).toEqual({ status: 'pending', grantId: expect.any(String) });
    expect(unfunded.body.grantId).toBeUndefined();
    const { grantId } = unfunded.body.award;

    const shown = await eventually(() => awardOf(second, 'funds-unavailable'));
    expect(shown.award).toEqual({
      status: 'funds-unavailable',
      grantId,
      amountMinor: 2_000_000,
      reason: 'call.budget.exceeded',
      remainingMinor: 1_000_000,
      recordedAt: expect.any(String),
    });
    // Back on the reserve list it was awarded from, and the award decision is still on record.
    expect(shown.status).toBe('reserved');
    expect(shown.decision).toMatchObject({ decision: 'award', amountMinor: 2_000_000, grantId, decidedBy: 'alice' });
    expect(shown.unfundedAwards).toEqual([{ grantId, amountMinor: 2_000_000, remainingMinor: 1_000_000, reason: 'call.budget.exceeded', recordedAt: expect.any(String) }]);
    await t.http.get(`/grants/${grantId}`).set('Authorization', manager).expect(404);
    expect(funded.body.award.grantId).not.toBe(grantId);
  });
});
