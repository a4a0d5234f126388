/**
 * Awards made before AwardFunded existed: the old award process manager committed the funds and
 * created the grant, and recorded nothing on the proposal, so its award reads `pending` for ever.
 * The backfill consumer records AwardFunded for exactly those, once, and leaves live awards alone.
 */
import type { RecordedEvent } from '@app/event-store';
import { AwardOutcomeBackfill, awardGrantCommand, RecipientLedgerBackfill, systemActor } from '@app/application/process-managers';
import { callDecider, callStreamName } from '@app/domain/call';
import { grantDecider, grantStreamName } from '@app/domain/grant';
import { type FundingDecisionRecordedData, proposalDecider, proposalStreamName } from '@app/domain/proposal';
import { createTestApp, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';
import { GrantScenario } from './grants-support';

describe('award-outcome backfill', () => {
  let t: TestApp;
  let scenario: GrantScenario;

  beforeAll(async () => {
    // No worker: the award process manager must not finish these awards the new way.
    t = await createTestApp({ now: '2027-01-10T09:00:00Z', runWorker: false });
    scenario = new GrantScenario(t);
  });

  afterAll(async () => {
    await t.close();
  });

  const decisionOf = async (proposalId: string) => (await streamEvents(t, `proposal-${proposalId}`)).find((e) => e.type === 'FundingDecisionRecorded') as RecordedEvent;

  it('records AwardFunded for an award whose funds and grant exist but whose proposal never heard, once; never for an award still in progress', async () => {
    const lead = await scenario.organisation('LB');
    const partner = await scenario.organisation('PS');
    const callId = await scenario.publishedCall();
    const old = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 3_000_000 });
    const grantId = await scenario.award(old, 3_000_000);
    // What the award process manager did before AwardFunded existed: the commitment, then the grant.
    const context = { actor: systemActor('awards'), correlationId: 'old-award', causationId: 'old-award' };
    const { executor } = scenario;
    await executor.execute(callDecider, callStreamName(callId), callId, { type: 'CommitFunds', data: { callId, grantId, proposalId: old, amountMinor: 3_000_000 }, now: '2027-05-03T09:00:00.000Z' }, context);
    const { state: proposal } = await executor.load(proposalDecider, proposalStreamName(old));
    const decision = await decisionOf(old);
    await executor.execute(grantDecider, grantStreamName(grantId), grantId, awardGrantCommand({ ...(decision.data as FundingDecisionRecordedData), decision: 'award', grantId, amountMinor: 3_000_000 }, proposal, '2027-05-03T09:00:00.000Z'), context);

    const inProgress = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 2_000_000 });
    await scenario.award(inProgress, 2_000_000);

    const backfill = new AwardOutcomeBackfill({ executor, clock: t.clock });
    expect(await backfill.handle(decision)).toBe('recorded');
    const funded = (await streamEvents(t, `proposal-${old}`)).at(-1) as RecordedEvent;
    expect(funded).toMatchObject({ type: 'AwardFunded', data: { proposalId: old, grantId, amountMinor: 3_000_000 } });
    expect(funded.metadata).toMatchObject({ actorId: 'process-manager:award-outcomes-backfill', actorRole: 'system', causationId: decision.eventId });
    // Again (a redelivery): nothing more.
    expect(await backfill.handle(decision)).toBe('nothing-to-do');
    expect((await streamEvents(t, `proposal-${old}`)).filter((e) => e.type === 'AwardFunded')).toHaveLength(1);

    // An award whose funds are not committed yet belongs to the award process manager: untouched.
    const before = await streamEvents(t, `proposal-${inProgress}`);
    expect(await backfill.handle(await decisionOf(inProgress))).toBe('nothing-to-do');
    expect(await streamEvents(t, `proposal-${inProgress}`)).toHaveLength(before.length);

    // The old grant was never on the recipients' ledgers: the ledger backfill counts it for the
    // grantee and the partner, as a fact (not held to the ceiling), once.
    const ledgers = new RecipientLedgerBackfill({ executor, clock: t.clock, recipientCeilings: t.config.recipientCeiling });
    const grantAwarded = (await streamEvents(t, `grant-${grantId}`)).find((e) => e.type === 'GrantAwarded') as RecordedEvent;
    expect(await ledgers.handle(grantAwarded)).toBe('recorded');
    for (const [organisationId, role] of [[lead, 'lead'], [partner, 'partner']]) {
      const ledger = await streamEvents(t, `recipient-${organisationId}`);
      expect(ledger.map((e) => [e.type, e.data])).toEqual([
        ['RecipientFundsCommitted', expect.objectContaining({ grantId, callId, role, amountMinor: 3_000_000, totalMinor: 3_000_000, recordedAfterAward: true })],
      ]);
      expect(ledger[0].metadata).toMatchObject({ actorId: 'process-manager:recipient-ledger-backfill', causationId: grantAwarded.eventId });
    }
    expect(await ledgers.handle(grantAwarded)).toBe('nothing-to-do');
    expect(await streamEvents(t, `recipient-${lead}`)).toHaveLength(1);
  });
});
