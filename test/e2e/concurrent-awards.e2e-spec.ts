import { EVENT_STORE, type RecordedEvent } from '@app/event-store';
import { EVENT_CODEC } from '@app/application/event-codec';
import { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { AwardProcessManager, DEFAULT_RETRY } from '@app/application/process-managers';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventsWhere, streamEvents } from '../support/log';
import { GrantScenario } from './grants-support';

const ROUNDS = 5;
const PROPOSALS_PER_ROUND = 12;
const BUDGET_MINOR = 10_000_000;
/** 12 awards between 1.0m and 1.55m: about 15m asked of a 10m budget. */
const amountOf = (i: number) => 1_000_000 + 50_000 * i;

const silent = { log: () => undefined, error: () => undefined };

/**
 * The budget invariant under concurrent awards: all decisions of a round are recorded at once, the
 * worker's award process manager takes them from the log, and a second award process manager (as
 * if a second worker, or a redelivery racing the first) handles the very same decisions at the same
 * time. Neither may ever commit more than the call's budget, commit a grant twice, or leave an
 * award without an outcome.
 */
describe('the sum of funds committed under a call never exceeds its budget, also under concurrent awards', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let lead: string;
  let partner: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z' });
    scenario = new GrantScenario(t);
    lead = await scenario.organisation('TN');
    partner = await scenario.organisation('MA');
  });

  afterAll(async () => {
    await t.close();
  });

  const eventsOfType = async (type: string, field: string, value: string) =>
    (await eventsWhere(t, type, field, value)).map((e) => e.data as { grantId: string; amountMinor: number });

  it(`holds over ${ROUNDS} rounds of ${PROPOSALS_PER_ROUND} concurrent awards, each on a fresh call, racing a second process manager`, async () => {
    let competingRetries = 0;
    for (let round = 1; round <= ROUNDS; round += 1) {
      const callId = await scenario.publishedCall({ budgetMinor: BUDGET_MINOR, minAwardMinor: 500_000, maxAwardMinor: 2_000_000 });
      const proposals = await Promise.all(
        Array.from({ length: PROPOSALS_PER_ROUND }, (_, i) =>
          scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: amountOf(i) }),
        ),
      );

      const grantIds = await Promise.all(proposals.map((proposalId, i) => scenario.award(proposalId, amountOf(i))));
      const awards = proposals.map((proposalId, i) => ({ proposalId, grantId: grantIds[i], amountMinor: amountOf(i) }));

      // A competing award process manager handles the same decisions while the worker does.
      const decisions = await Promise.all(
        proposals.map(async (proposalId) => (await streamEvents(t, `proposal-${proposalId}`)).find((e) => e.type === 'FundingDecisionRecorded') as RecordedEvent),
      );
      // Its own executor, to count the version conflicts it meets (and retries, re-deciding on a fresh read).
      const executor = new StreamCommandExecutor(t.app.get(EVENT_STORE), t.app.get(EVENT_CODEC), { ...DEFAULT_RETRY, attempts: 40, onRetry: () => (competingRetries += 1) });
      const competitor = new AwardProcessManager({ executor, clock: t.clock, logger: silent, recipientCeilings: t.config.recipientCeiling });
      const outcomes = await Promise.all(decisions.map((decision) => competitor.handle(decision)));
      expect(outcomes.every((o) => o === 'awarded' || o === 'funds-unavailable' || o === 'already-unfunded')).toBe(true);

      // Every award ends with exactly one outcome: a grant, or funds unavailable.
      await eventually(async () => {
        const done = await Promise.all(
          awards.map(async ({ grantId }) => (await eventsOfType('GrantAwarded', 'grantId', grantId)).length + (await eventsOfType('AwardFundsUnavailable', 'grantId', grantId)).length),
        );
        return done.every((n) => n > 0) ? true : undefined;
      }, 15_000);

      const committed = await eventsOfType('FundsCommitted', 'callId', callId);
      const committedSum = committed.reduce((sum, e) => sum + e.amountMinor, 0);
      expect(committedSum).toBeLessThanOrEqual(BUDGET_MINOR);
      expect(new Set(committed.map((e) => e.grantId)).size).toBe(committed.length);

      const fundedIds = new Set<string>();
      for (const { grantId, amountMinor } of awards) {
        const awarded = await eventsOfType('GrantAwarded', 'grantId', grantId);
        const unavailable = await eventsOfType('AwardFundsUnavailable', 'grantId', grantId);
        const commitments = committed.filter((e) => e.grantId === grantId);
        expect({ grantId, awarded: awarded.length, unavailable: unavailable.length }).toEqual(
          awarded.length === 1 ? { grantId, awarded: 1, unavailable: 0 } : { grantId, awarded: 0, unavailable: 1 },
        );
        expect(commitments.length).toBe(awarded.length);
        if (awarded.length === 1) {
          fundedIds.add(grantId);
          expect(commitments[0].amountMinor).toBe(amountMinor);
        } else {
          // No award was turned down while the budget still had room for it.
          expect(committedSum + amountMinor).toBeGreaterThan(BUDGET_MINOR);
        }
      }
      expect(fundedIds.size).toBeGreaterThan(0);
      expect(fundedIds.size).toBeLessThan(PROPOSALS_PER_ROUND);

      // The calls read model agrees with the log.
      const manager = await t.token({ role: 'grant-manager' });
      const view = await eventually(async () => {
        const res = await t.http.get(`/calls/${callId}`).set('Authorization', `Bearer ${manager}`);
        return res.status === 200 && res.body.committedMinor === committedSum ? res.body : undefined;
      }, 5_000);
      expect(view.remainingMinor).toBe(BUDGET_MINOR - committedSum);
    }
    // The competitor did race the worker (and itself): version conflicts on the call were retried.
    expect(competingRetries).toBeGreaterThan(0);
  }, 120_000);
});
