/**
 * An amount increase moves the call's commitment and the network's ledgers before the grant records
 * it, and gives them back if the grant moved on meanwhile (409). Retried with its Idempotency-Key,
 * it must commit the increase again: the first attempt's steps were given back, so answering the
 * retry from them (as a keyed step normally is) raised the grant alone, past the call's budget.
 */
import { randomUUID } from 'node:crypto';
import { callDecider, callStreamName, commitmentOf } from '@app/domain/call';
import { recipientDecider, recipientStreamName } from '@app/domain/recipient';
import { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { nameBasedId } from '@app/platform/ids';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { GrantScenario } from './grants-support';

const NOW = '2027-01-10T09:00:00Z';

describe('a retried amount increase after its first attempt was given back', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let executor: StreamCommandExecutor;
  let manager: string;
  let lead: string;
  let partner: string;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    scenario = new GrantScenario(t);
    executor = t.app.get(StreamCommandExecutor);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    lead = await scenario.organisation('LB');
    partner = await scenario.organisation('PS');
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  const grantAt = (grantId: string, version: number) =>
    eventually(async () => {
      const res = await t.http.get(`/grants/${grantId}`).set(as(manager));
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    });
  const committedOnCall = async (callId: string, grantId: string) => {
    const { state } = await executor.load(callDecider, callStreamName(callId));
    return state.status === 'none' ? undefined : commitmentOf(state, grantId)?.amountMinor;
  };

  async function activeGrant(amountMinor: number) {
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: amountMinor });
    const grantId = await scenario.award(proposalId, amountMinor);
    await grantAt(grantId, 0);
    await t.http.post(`/grants/${grantId}/agreement`).set(as(manager)).send({ signatories: [{ name: 'Rania Haddad', role: 'Director' }] }).expect(200);
    await eventually(async () => ((await committedOnCall(callId, grantId)) === amountMinor ? true : undefined));
    return { callId, grantId };
  }

  /** What a first attempt that met a moved grant leaves: its steps under the key, each given back without it. */
  async function givenBackAttempt(callId: string, grantId: string, key: string, increaseMinor: number) {
    const amendmentId = nameBasedId('alice', key, 'amendment'); // as the route derives it from the key
    const keyed = { actor: { id: 'alice', role: 'grant-manager' }, correlationId: 'c', causationId: 'first-attempt', idempotencyKey: key };
    const unkeyed = { actor: { id: 'alice', role: 'grant-manager' }, correlationId: 'c', causationId: 'first-attempt' };
    const now = NOW;
    for (const organisationId of [lead, partner]) {
      const adjust = (adjustmentId: string, changeMinor: number, context: typeof unkeyed) =>
        executor.execute(recipientDecider, recipientStreamName(organisationId), organisationId, { type: 'AdjustRecipientCommitment', data: { organisationId, grantId, adjustmentId, changeMinor, reason: 'test' }, now }, context);
      await adjust(amendmentId, increaseMinor, keyed);
      await adjust(`${amendmentId}:reverted`, -increaseMinor, unkeyed);
    }
    const adjustCall = (adjustmentId: string, changeMinor: number, context: typeof unkeyed) =>
      executor.execute(callDecider, callStreamName(callId), callId, { type: 'AdjustCommitment', data: { callId, grantId, adjustmentId, changeMinor, reason: 'test' }, now }, context);
    await adjustCall(amendmentId, increaseMinor, keyed);
    await adjustCall(`${amendmentId}:reverted`, -increaseMinor, unkeyed);
    return amendmentId;
  }

  it('commits the increase on the call and the ledgers again, once, and a further retry changes nothing', async () => {
    const { callId, grantId } = await activeGrant(5_000_000);
    const key = `raise-${randomUUID()}`;
    const amendmentId = await givenBackAttempt(callId, grantId, key, 1_000_000);
    expect(await committedOnCall(callId, grantId)).toBe(5_000_000);

    const amend = () =>
      t.http.post(`/grants/${grantId}/amendments`).set(as(manager)).set('Idempotency-Key', key).send({ kind: 'amount-change', reason: 'Second city added', newAmountMinor: 6_000_000 });
    const retried = await amend().expect(201);
    expect(retried.body).toMatchObject({ id: grantId, amendmentId });
    expect(await committedOnCall(callId, grantId)).toBe(6_000_000);
    for (const organisationId of [lead, partner]) {
      const { state } = await executor.load(recipientDecider, recipientStreamName(organisationId));
      expect(state.commitments[grantId]).toMatchObject({ amountMinor: 6_000_000, released: false });
    }

    const again = await amend().expect(201);
    expect(again.body).toEqual(retried.body);
    expect(await committedOnCall(callId, grantId)).toBe(6_000_000);
    expect((await grantAt(grantId, retried.body.version)).amountMinor).toBe(6_000_000);
  });

  it('copies of one keyed amendment sent at once are all answered alike, none refused as a duplicate', async () => {
    const { grantId } = await activeGrant(2_000_000);
    for (let round = 0; round < 6; round++) {
      const key = `extend-${round}-${randomUUID()}`;
      const body = { kind: 'no-cost-extension', reason: 'Hearings postponed', newPeriodEnd: `2031-0${round + 1}-28` };
      const answers = await Promise.all(Array.from({ length: 3 }, () => t.http.post(`/grants/${grantId}/amendments`).set(as(manager)).set('Idempotency-Key', key).send(body)));
      expect(answers.map((res) => [res.status, res.body.rule])).toEqual([[201, undefined], [201, undefined], [201, undefined]]);
      expect(new Set(answers.map((res) => JSON.stringify(res.body))).size).toBe(1);
    }
  });
});
