import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import { AwardProcessManager, GrantFundsProcessManager } from '@app/application/process-managers';
import { callDecider } from '@app/domain/call';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventsWhere, streamEvents } from '../support/log';
import { GrantScenario, humanContext } from './grants-support';

const silent = { log: () => undefined, error: () => undefined };

describe('award process manager', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let lead: string;
  let partner: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z' });
    scenario = new GrantScenario(t);
    lead = await scenario.organisation('LB');
    partner = await scenario.organisation('PS');
  });

  afterAll(async () => {
    await t.close();
  });

  const typesIn = async (streamId: string) => (await streamEvents(t, streamId)).map((e) => e.type);
  const countOf = async (type: string, grantId: string) => (await eventsWhere(t, type, 'grantId', grantId)).length;
  const decisionEvent = async (proposalId: string, grantId: string): Promise<RecordedEvent> => {
    const events = await streamEvents(t, `proposal-${proposalId}`);
    const decision = events.find((e) => e.type === 'FundingDecisionRecorded' && (e.data as { grantId?: string }).grantId === grantId);
    if (!decision) throw new Error('no decision');
    return decision;
  };
  const settled = (grantId: string) =>
    eventually(async () => ((await countOf('GrantAwarded', grantId)) + (await countOf('AwardFundsUnavailable', grantId)) > 0 ? true : undefined));
  const freshManager = () => new AwardProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent });

  it('commits the funds on the call, then awards the grant to the lead with its partners, as the system actor', async () => {
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 3_000_000, durationMonths: 18 });
    const grantId = await scenario.award(proposalId, 2_500_000, randomUUID(), '2027-05-03T09:00:00.000Z');
    await settled(grantId);

    expect(await typesIn(`grant-${grantId}`)).toEqual(['GrantAwarded']);
    const [awarded] = await streamEvents(t, `grant-${grantId}`);
    expect(awarded.data).toEqual({
      grantId,
      proposalId,
      callId,
      granteeOrganisationId: lead,
      partnerOrganisationIds: [partner],
      amountMinor: 2_500_000,
      currency: 'EUR',
      periodStart: '2027-05-03',
      periodEnd: '2028-11-02',
      conditions: [],
      awardedAt: expect.any(String),
    });
    const decision = await decisionEvent(proposalId, grantId);
    const committed = (await streamEvents(t, `call-${callId}`)).find((e) => e.type === 'FundsCommitted');
    for (const caused of [committed, awarded]) {
      expect(caused?.metadata).toMatchObject({
        actorId: 'process-manager:awards',
        actorRole: 'system',
        causationId: decision.eventId,
        correlationId: decision.metadata.correlationId,
      });
    }
    const manager = await t.token({ role: 'grant-manager' });
    const call = await eventually(async () => {
      const res = await t.http.get(`/calls/${callId}`).set('Authorization', `Bearer ${manager}`);
      return res.body.committedMinor === 2_500_000 ? res.body : undefined;
    });
    expect(call.remainingMinor).toBe(20_000_000 - 2_500_000);
  });

  it('is idempotent: a decision delivered again (also twice at once) commits once and awards once', async () => {
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 3_000_000 });
    const grantId = await scenario.award(proposalId, 3_000_000);
    await settled(grantId);
    const decision = await decisionEvent(proposalId, grantId);

    const manager = freshManager();
    expect(await manager.handle(decision)).toBe('awarded');
    await Promise.all([manager.handle(decision), freshManager().handle(decision)]);

    expect(await countOf('FundsCommitted', grantId)).toBe(1);
    expect(await countOf('GrantAwarded', grantId)).toBe(1);
    expect(await typesIn(`call-${callId}`)).toEqual(['CallDrafted', 'CallPublished', 'FundsCommitted']);
  });

  it('records AwardFundsUnavailable when the budget cannot cover the award, once, and never funds it on a later delivery', async () => {
    const callId = await scenario.publishedCall({ budgetMinor: 5_000_000, maxAwardMinor: 4_000_000 });
    const first = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 4_000_000 });
    const second = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 2_000_000 });
    const funded = await scenario.award(first, 4_000_000);
    await settled(funded);
    const unfunded = await scenario.award(second, 2_000_000);
    await settled(unfunded);

    expect(await countOf('GrantAwarded', unfunded)).toBe(0);
    expect(await typesIn(`grant-${unfunded}`)).toEqual([]);
    const [unavailable] = (await streamEvents(t, `proposal-${second}`)).filter((e) => e.type === 'AwardFundsUnavailable');
    expect(unavailable.data).toMatchObject({ grantId: unfunded, amountMinor: 2_000_000, remainingMinor: 1_000_000 });

    // Budget is freed meanwhile: a redelivered decision must still not fund what the committee was told had failed.
    await scenario.executor.execute(
      callDecider,
      `call-${callId}`,
      callId,
      { type: 'ReleaseFunds', data: { callId, grantId: funded, amountMinor: 4_000_000, reason: 'Grantee declined the grant' }, now: '2027-06-01T00:00:00.000Z' },
      humanContext(),
    );
    expect(await freshManager().handle(await decisionEvent(second, unfunded))).toBe('already-unfunded');
    expect(await countOf('FundsCommitted', unfunded)).toBe(0);
    expect(await countOf('AwardFundsUnavailable', unfunded)).toBe(1);
  });

  it('refuses an award while an organisation of the network failed its due diligence, or on a cancelled call (422, nothing appended); a later check that passes lifts it', async () => {
    const manager = `Bearer ${await t.token({ role: 'grant-manager', id: 'alice' })}`;
    const decide = (proposalId: string, decision = 'award') =>
      t.http
        .post(`/proposals/${proposalId}/decision`)
        .set('Authorization', manager)
        .send({ decision, ...(decision === 'award' ? { amountMinor: 1_000_000 } : {}), reasons: 'Ranked by the committee', committee: 'Programme committee' });
    const dueDiligence = (organisationId: string, outcome: string) =>
      t.http.post(`/organisations/${organisationId}/due-diligence`).set('Authorization', manager).send({ outcome, notes: 'Sanctions screening' }).expect(200);

    const checkedPartner = await scenario.organisation('PS');
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [checkedPartner], requestedMinor: 1_000_000 });
    await dueDiligence(checkedPartner, 'failed');
    const before = (await streamEvents(t, `proposal-${proposalId}`)).length;
    const refused = await decide(proposalId).expect(422);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ rule: 'proposal.award.due-diligence-failed', detail: expect.stringContaining(checkedPartner) });
    expect(await streamEvents(t, `proposal-${proposalId}`)).toHaveLength(before);
    await dueDiligence(checkedPartner, 'passed');
    expect((await decide(proposalId).expect(200)).body.award).toEqual({ status: 'pending', grantId: expect.any(String) });

    const cancelledCallId = await scenario.publishedCall();
    const onCancelled = await scenario.proposalReadyForDecision({ callId: cancelledCallId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 1_000_000 });
    await t.http.post(`/calls/${cancelledCallId}/cancel`).set('Authorization', manager).send({ reason: 'Programme suspended' }).expect(200);
    expect((await decide(onCancelled).expect(422)).body.rule).toBe('proposal.award.call-cancelled');
    await decide(onCancelled, 'reject').expect(200);
  });

  it('ignores decisions other than awards', async () => {
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 1_000_000 });
    const grantId = await scenario.award(proposalId, 1_000_000);
    const decision = await decisionEvent(proposalId, grantId);
    const rejected = { ...decision, data: { ...(decision.data as object), decision: 'reject', grantId: undefined, amountMinor: undefined } };
    expect(await freshManager().handle(rejected)).toBe('not-an-award');
    const funds = new GrantFundsProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent });
    expect(await funds.handle(decision)).toBe('ignored');
  });
});

describe('award process manager: an award whose call was cancelled before its funds were committed', () => {
  let t: TestApp;
  let scenario: GrantScenario;

  beforeAll(async () => {
    // No worker: the call is cancelled between the decision and the process manager's step.
    t = await createTestApp({ now: '2027-01-10T09:00:00Z', runWorker: false });
    scenario = new GrantScenario(t);
  });

  afterAll(async () => {
    await t.close();
  });

  it('records funds-unavailable with a rule code (call.state.cancelled), not an exception class name, and nothing left on the call', async () => {
    const lead = await scenario.organisation('LB');
    const partner = await scenario.organisation('PS');
    const callId = await scenario.publishedCall({ budgetMinor: 5_000_000, maxAwardMinor: 4_000_000 });
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 2_000_000 });
    const grantId = await scenario.award(proposalId, 2_000_000);
    await scenario.executor.execute(callDecider, `call-${callId}`, callId, { type: 'CancelCall', data: { callId, reason: 'Programme suspended' }, now: '2027-05-04T09:00:00.000Z' }, humanContext());

    const decision = (await streamEvents(t, `proposal-${proposalId}`)).find((e) => e.type === 'FundingDecisionRecorded') as RecordedEvent;
    const manager = new AwardProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent });
    expect(await manager.handle(decision)).toBe('funds-unavailable');

    // Until 2026-12-07: reason "InvalidStateTransition", remainingMinor 5,000,000 (the cancelled call's uncommitted budget).
    const [unavailable] = (await streamEvents(t, `proposal-${proposalId}`)).filter((e) => e.type === 'AwardFundsUnavailable');
    expect(unavailable.data).toMatchObject({ grantId, amountMinor: 2_000_000, remainingMinor: 0, reason: 'call.state.cancelled' });
    expect((await streamEvents(t, `call-${callId}`)).map((e) => e.type)).toEqual(['CallDrafted', 'CallPublished', 'CallCancelled']);
    expect(await streamEvents(t, `grant-${grantId}`)).toEqual([]);
    // The network's ledgers counted the award first, and gave it back.
    for (const organisationId of [lead, partner]) {
      expect((await streamEvents(t, `recipient-${organisationId}`)).map((e) => e.type)).toEqual(['RecipientFundsCommitted', 'RecipientFundsReleased']);
    }
  });
});
