/**
 * The ceiling per recipient under concurrent awards in different calls: one organisation leads a
 * proposal in each of several calls, every award is decided at once (past the decision route's
 * check, as two committees deciding at the same moment would be), the worker's award process
 * manager and a competing one race on the same decisions, and the log must show that the
 * organisation was never awarded more than its ceiling — its ledger and the grants both — and that
 * every award ended with exactly one outcome.
 */
import { EVENT_STORE, type RecordedEvent } from '@app/event-store';
import { EVENT_CODEC } from '@app/application/event-codec';
import { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { AwardProcessManager, DEFAULT_RETRY } from '@app/application/process-managers';
import { DEFAULT_RECIPIENT_CEILING_POLICY } from '@app/domain/recipient';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventsWhere, streamEvents } from '../support/log';
import { GrantScenario } from './grants-support';

const ROUNDS = 3;
const CALLS_PER_ROUND = 6;
const CEILING_MINOR = DEFAULT_RECIPIENT_CEILING_POLICY.defaultMinor;
/** Six awards between 1.5m and 2.25m: about 11m asked of one organisation's 6m ceiling. */
const amountOf = (i: number) => 1_500_000 + 150_000 * i;

const silent = { log: () => undefined, error: () => undefined };

describe('the ceiling per recipient holds under concurrent awards in different calls', () => {
  let t: TestApp;
  let scenario: GrantScenario;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z', config: { recipientCeiling: DEFAULT_RECIPIENT_CEILING_POLICY } });
    scenario = new GrantScenario(t);
  });

  afterAll(async () => {
    await t.close();
  });

  const dataOf = async (type: string, field: string, value: string) => (await eventsWhere(t, type, field, value)).map((e) => e.data as { grantId: string; amountMinor: number; reason?: string });

  it(`holds over ${ROUNDS} rounds of ${CALLS_PER_ROUND} awards to one organisation, each under its own call, racing a second process manager`, async () => {
    let competingRetries = 0;
    for (let round = 1; round <= ROUNDS; round += 1) {
      const organisation = await scenario.organisation('LB');
      const calls = await Promise.all(Array.from({ length: CALLS_PER_ROUND }, (_, i) => scenario.publishedCall({ title: `Round ${round}, call ${i + 1}` })));
      // A partner of its own per proposal: only the organisation is contended.
      const partners = await Promise.all(calls.map(() => scenario.organisation('PS')));
      const proposals = await Promise.all(
        calls.map((callId, i) => scenario.proposalReadyForDecision({ callId, leadOrganisationId: organisation, partnerOrganisationIds: [partners[i]], requestedMinor: amountOf(i) })),
      );
      const grantIds = await Promise.all(proposals.map((proposalId, i) => scenario.award(proposalId, amountOf(i))));
      const awards = proposals.map((proposalId, i) => ({ proposalId, grantId: grantIds[i], amountMinor: amountOf(i) }));

      const decisions = await Promise.all(
        proposals.map(async (proposalId) => (await streamEvents(t, `proposal-${proposalId}`)).find((e) => e.type === 'FundingDecisionRecorded') as RecordedEvent),
      );
      const executor = new StreamCommandExecutor(t.app.get(EVENT_STORE), t.app.get(EVENT_CODEC), { ...DEFAULT_RETRY, attempts: 40, onRetry: () => (competingRetries += 1) });
      const competitor = new AwardProcessManager({ executor, clock: t.clock, logger: silent, recipientCeilings: t.config.recipientCeiling });
      const outcomes = await Promise.all(decisions.map((decision) => competitor.handle(decision)));
      expect(outcomes.every((o) => o === 'awarded' || o === 'funds-unavailable' || o === 'already-unfunded')).toBe(true);

      await eventually(async () => {
        const done = await Promise.all(awards.map(async ({ grantId }) => (await dataOf('GrantAwarded', 'grantId', grantId)).length + (await dataOf('AwardFundsUnavailable', 'grantId', grantId)).length));
        return done.every((n) => n > 0) ? true : undefined;
      }, 20_000);

      // The organisation's ledger, from the log: what counts never passes the ceiling, at any point.
      const ledger = await streamEvents(t, `recipient-${organisation}`);
      let counted = 0;
      for (const event of ledger) {
        const data = event.data as { amountMinor: number; totalMinor: number };
        if (event.type === 'RecipientFundsCommitted') counted += data.amountMinor;
        if (event.type === 'RecipientFundsReleased') counted -= data.amountMinor;
        expect(counted).toBeLessThanOrEqual(CEILING_MINOR);
        if (event.type !== 'RecipientFundsRefused') expect(data.totalMinor).toBe(counted);
      }
      const committedGrants = ledger.filter((e) => e.type === 'RecipientFundsCommitted').map((e) => (e.data as { grantId: string }).grantId);
      expect(new Set(committedGrants).size).toBe(committedGrants.length);

      // And the grants: what the organisation was awarded, as grantee, is within the ceiling.
      let awardedSum = 0;
      let funded = 0;
      for (const { grantId, amountMinor } of awards) {
        const awarded = await dataOf('GrantAwarded', 'grantId', grantId);
        const unavailable = await dataOf('AwardFundsUnavailable', 'grantId', grantId);
        expect({ grantId, awarded: awarded.length, unavailable: unavailable.length }).toEqual(
          awarded.length === 1 ? { grantId, awarded: 1, unavailable: 0 } : { grantId, awarded: 0, unavailable: 1 },
        );
        if (awarded.length === 1) {
          funded += 1;
          awardedSum += amountMinor;
          expect(committedGrants).toContain(grantId);
        } else {
          expect(unavailable[0].reason).toBe('recipient.ceiling.exceeded');
          expect(ledger.some((e) => e.type === 'RecipientFundsRefused' && (e.data as { grantId: string }).grantId === grantId)).toBe(true);
          // The refused award's call committed nothing for it.
          expect(await dataOf('FundsCommitted', 'grantId', grantId)).toEqual([]);
        }
      }
      expect(awardedSum).toBe(counted);
      expect(awardedSum).toBeLessThanOrEqual(CEILING_MINOR);
      for (const { grantId, amountMinor } of awards) {
        // No award was turned down while the ceiling still had room for it (the calls never refuse here).
        if ((await dataOf('GrantAwarded', 'grantId', grantId)).length === 0) expect(awardedSum + amountMinor).toBeGreaterThan(CEILING_MINOR);
      }
      expect(funded).toBeGreaterThan(0);
      expect(funded).toBeLessThan(CALLS_PER_ROUND);
    }
    // The competitor did race the worker on the organisation's ledger: conflicts were retried on fresh reads.
    expect(competingRetries).toBeGreaterThan(0);
  }, 180_000);
});
