/**
 * A grant that ends with money unspent — terminated, or closed below its amount — gives it back to
 * its call, and since 2026-12-07 also stops counting it on the recipient ledger of every
 * organisation of its network: the ceiling per recipient counts what an organisation can have
 * received, and a terminated grant no longer blocks its organisations' later awards. Driven from
 * the log by the grant-funds process manager, idempotently: a runner stopped half-way finishes on
 * redelivery, replays release nothing twice, and grant ends recorded before the change are caught
 * up by the recipient-release backfill.
 */
import type { RecordedEvent } from '@app/event-store';
import { AwardProcessManager, GrantFundsProcessManager } from '@app/application/process-managers';
import type { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { DEFAULT_RECIPIENT_CEILING_POLICY, recipientDecider } from '@app/domain/recipient';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';
import { GrantScenario } from './grants-support';

const silent = { log: () => undefined, error: () => undefined };

type LedgerEntry = { type: string; adjustmentId?: string; amountMinor: number; changeMinor?: number; totalMinor: number; actorId: string };
const ledgerOf = async (t: TestApp, organisationId: string): Promise<LedgerEntry[]> =>
  (await streamEvents(t, `recipient-${organisationId}`)).map((e) => {
    const data = e.data as { adjustmentId?: string; amountMinor: number; changeMinor?: number; totalMinor: number };
    return {
      type: e.type,
      ...(data.adjustmentId === undefined ? {} : { adjustmentId: data.adjustmentId, changeMinor: data.changeMinor }),
      amountMinor: data.amountMinor,
      totalMinor: data.totalMinor,
      actorId: e.metadata.actorId,
    };
  });
const callReleases = async (t: TestApp, callId: string) =>
  (await streamEvents(t, `call-${callId}`)).filter((e) => e.type === 'FundsReleased').map((e) => (e.data as { amountMinor: number }).amountMinor);

describe("a grant's end releases what it left unspent on its network's recipient ledgers (the worker following the log)", () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;

  beforeAll(async () => {
    // The real ceiling per recipient: EUR 60,000.
    t = await createTestApp({ now: '2027-01-10T09:00:00Z', config: { recipientCeiling: DEFAULT_RECIPIENT_CEILING_POLICY } });
    scenario = new GrantScenario(t);
    manager = `Bearer ${await t.token({ role: 'grant-manager', id: 'alice' })}`;
  });

  afterAll(async () => {
    await t.close();
  });

  const post = (path: string, body: object = {}) => t.http.post(path).set('Authorization', manager).send(body);
  const decide = (proposalId: string, amountMinor: number) =>
    post(`/proposals/${proposalId}/decision`, { decision: 'award', amountMinor, reasons: 'Ranked by the committee', committee: 'Programme committee' });
  const awarded = async (proposalId: string, amountMinor: number) => {
    const answer = await decide(proposalId, amountMinor).expect(200);
    await eventually(async () => {
      const res = await t.http.get(`/proposals/${proposalId}`).set('Authorization', manager);
      return res.body.award?.status === 'awarded' ? true : undefined;
    });
    return answer.body.award.grantId as string;
  };
  /** An active grant of `amountMinor` under a new call, `paidMinor` of it paid. */
  async function paidGrant(leadOrganisationId: string, partnerOrganisationIds: string[], amountMinor: number, paidMinor: number) {
    const callId = await scenario.publishedCall();
    const grantId = await awarded(await scenario.proposalReadyForDecision({ callId, leadOrganisationId, partnerOrganisationIds, requestedMinor: amountMinor }), amountMinor);
    await post(`/grants/${grantId}/agreement`, { signatories: [{ name: 'Amina Idrissi', role: 'Coordinator' }] }).expect(200);
    const tranche = await post(`/grants/${grantId}/disbursements`, { amountMinor: paidMinor, dueDate: '2027-06-15' }).expect(201);
    await post(`/grants/${grantId}/disbursements/${tranche.body.trancheId}/payment`, { paymentReference: 'SEPA-2027-0001' }).expect(200);
    return { callId, grantId };
  }
  const released = (organisationId: string, adjustmentId: string) =>
    eventually(async () => ((await ledgerOf(t, organisationId)).some((e) => e.adjustmentId === adjustmentId) ? true : undefined));

  it('an organisation near its ceiling, its grant terminated with money unspent: a new award that fits only thanks to the release goes through', async () => {
    const organisation = await scenario.organisation('LB');
    const partner = await scenario.organisation('PS');
    const otherLead = await scenario.organisation('MA');
    // EUR 50,000 as lead, EUR 10,000 of it paid: EUR 10,000 of its EUR 60,000 ceiling left.
    const { callId, grantId } = await paidGrant(organisation, [partner], 5_000_000, 1_000_000);
    const secondCall = await scenario.publishedCall({ title: 'Second call of the programme' });
    const next = await scenario.proposalReadyForDecision({ callId: secondCall, leadOrganisationId: otherLead, partnerOrganisationIds: [organisation], requestedMinor: 3_000_000 });
    // EUR 30,000 more, as a partner: EUR 80,000, past the ceiling. Refused at the door, nothing appended.
    expect((await decide(next, 3_000_000).expect(422)).body.rule).toBe('recipient.ceiling.exceeded');

    await post(`/grants/${grantId}/termination`, { reason: 'The network dissolved after the lead was closed down' }).expect(200);
    await released(organisation, 'unspent-at-termination');
    expect(await ledgerOf(t, organisation)).toEqual([
      { type: 'RecipientFundsCommitted', amountMinor: 5_000_000, totalMinor: 5_000_000, actorId: 'process-manager:awards' },
      // Only what was paid still counts: EUR 10,000.
      { type: 'RecipientCommitmentAdjusted', adjustmentId: 'unspent-at-termination', changeMinor: -4_000_000, amountMinor: 1_000_000, totalMinor: 1_000_000, actorId: 'process-manager:grant-funds' },
    ]);
    // Every organisation of the network counted the whole grant; every one is released alike.
    await released(partner, 'unspent-at-termination');
    expect((await ledgerOf(t, partner)).at(-1)).toMatchObject({ changeMinor: -4_000_000, amountMinor: 1_000_000, totalMinor: 1_000_000 });
    await eventually(async () => ((await callReleases(t, callId)).length > 0 ? true : undefined));
    expect(await callReleases(t, callId)).toEqual([4_000_000]);

    // EUR 10,000 + 30,000 = 40,000: within the ceiling now.
    await awarded(next, 3_000_000);
    expect((await ledgerOf(t, organisation)).at(-1)).toMatchObject({ type: 'RecipientFundsCommitted', amountMinor: 3_000_000, totalMinor: 4_000_000 });

    // Redelivered to the process manager and to the backfill (the runtime delivers at least once): nothing more anywhere.
    const terminated = (await streamEvents(t, `grant-${grantId}`)).find((e) => e.type === 'GrantTerminated') as RecordedEvent;
    const grantFunds = new GrantFundsProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent });
    const backfill = new GrantFundsProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent }, { ledgersOnly: true });
    expect(await Promise.all([grantFunds.handle(terminated), grantFunds.handle(terminated), backfill.handle(terminated)])).toEqual(['nothing-to-do', 'nothing-to-do', 'nothing-to-do']);
    expect((await ledgerOf(t, organisation)).filter((e) => e.type === 'RecipientCommitmentAdjusted')).toHaveLength(1);
    expect(await callReleases(t, callId)).toEqual([4_000_000]);
  });

  it('a grant closed below its amount counts on the ledgers of its network what it paid', async () => {
    const organisation = await scenario.organisation('TN');
    const partner = await scenario.organisation('LB');
    const { grantId } = await paidGrant(organisation, [partner], 4_000_000, 2_500_000);
    const final = await post(`/grants/${grantId}/reports`, { kind: 'final', dueDate: '2028-12-31' }).expect(201);
    await post(`/grants/${grantId}/reports/${final.body.reportId}/submission`, { summary: 'Hearings held; the brief went to parliament' }).expect(200);
    await post(`/grants/${grantId}/reports/${final.body.reportId}/acceptance`).expect(200);
    await post(`/grants/${grantId}/closure`).expect(200);
    await released(organisation, 'unspent-at-closure');
    expect((await ledgerOf(t, organisation)).at(-1)).toEqual({
      type: 'RecipientCommitmentAdjusted',
      adjustmentId: 'unspent-at-closure',
      changeMinor: -1_500_000,
      amountMinor: 2_500_000,
      totalMinor: 2_500_000,
      actorId: 'process-manager:grant-funds',
    });
    await released(partner, 'unspent-at-closure');
  });
});

describe('a runner stopped half-way, and grant ends recorded before the ledgers followed them (no worker: the consumers run by hand)', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z', runWorker: false, config: { recipientCeiling: DEFAULT_RECIPIENT_CEILING_POLICY } });
    scenario = new GrantScenario(t);
    manager = `Bearer ${await t.token({ role: 'grant-manager', id: 'alice' })}`;
  });

  afterAll(async () => {
    await t.close();
  });

  const post = (path: string, body: object = {}) => t.http.post(path).set('Authorization', manager).send(body);
  const lastOf = async (streamId: string, type: string) => (await streamEvents(t, streamId)).filter((e) => e.type === type).at(-1) as RecordedEvent;

  /** Awarded through the award process manager (run by hand), signed, nothing paid, then terminated. */
  async function terminatedGrant(lead: string, partner: string) {
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 3_000_000 });
    const grantId = await scenario.award(proposalId, 3_000_000);
    const awards = new AwardProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent, recipientCeilings: DEFAULT_RECIPIENT_CEILING_POLICY });
    expect(await awards.handle(await lastOf(`proposal-${proposalId}`, 'FundingDecisionRecorded'))).toBe('awarded');
    await post(`/grants/${grantId}/agreement`, { signatories: [{ name: 'Amina Idrissi', role: 'Coordinator' }] }).expect(200);
    await post(`/grants/${grantId}/termination`, { reason: 'The grantee declined to go on' }).expect(200);
    return { callId, grantId, terminated: await lastOf(`grant-${grantId}`, 'GrantTerminated') };
  }

  /** The executor of a worker killed as it turns to the ledgers: the call's release is appended, no ledger's. */
  const killedBeforeTheLedgers = (executor: StreamCommandExecutor) =>
    new Proxy(executor, {
      get(target, property, receiver) {
        if (property !== 'execute') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<StreamCommandExecutor['execute']>) => {
          if (args[0] === recipientDecider) throw new Error('worker killed');
          return target.execute(...args);
        };
      },
    });
  const adjustments = async (organisationId: string) => (await ledgerOf(t, organisationId)).filter((e) => e.type === 'RecipientCommitmentAdjusted');

  it('released on the call, killed before the ledgers: the redelivered termination releases the ledgers, not the call again; replays release nothing', async () => {
    const [lead, partner] = [await scenario.organisation('LB'), await scenario.organisation('PS')];
    const { callId, terminated } = await terminatedGrant(lead, partner);
    const dying = new GrantFundsProcessManager({ executor: killedBeforeTheLedgers(scenario.executor), clock: t.clock, logger: silent });
    await expect(dying.handle(terminated)).rejects.toThrow('worker killed');
    expect(await callReleases(t, callId)).toEqual([3_000_000]);
    expect(await adjustments(lead)).toEqual([]);

    const restarted = new GrantFundsProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent });
    expect(await restarted.handle(terminated)).toBe('released');
    expect(await callReleases(t, callId)).toEqual([3_000_000]);
    for (const organisationId of [lead, partner]) {
      expect(await adjustments(organisationId)).toEqual([
        { type: 'RecipientCommitmentAdjusted', adjustmentId: 'unspent-at-termination', changeMinor: -3_000_000, amountMinor: 0, totalMinor: 0, actorId: 'process-manager:grant-funds' },
      ]);
    }
    expect(await Promise.all([restarted.handle(terminated), restarted.handle(terminated)])).toEqual(['nothing-to-do', 'nothing-to-do']);
    expect(await adjustments(lead)).toHaveLength(1);
  });

  it('a termination the call released before the ledgers followed grant ends: the recipient-release backfill releases the ledgers once, and never the call', async () => {
    const [lead, partner] = [await scenario.organisation('MA'), await scenario.organisation('TN')];
    const { callId, terminated } = await terminatedGrant(lead, partner);
    // What the grant-funds process manager did until 2026-12-07: the call's release alone.
    await expect(new GrantFundsProcessManager({ executor: killedBeforeTheLedgers(scenario.executor), clock: t.clock, logger: silent }).handle(terminated)).rejects.toThrow();
    const backfill = new GrantFundsProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent }, { ledgersOnly: true });
    expect(backfill.name).toBe('process-manager:recipient-release-backfill');
    expect(backfill.filter.eventTypes).toEqual(['GrantClosed', 'GrantTerminated']);
    expect(await backfill.handle(terminated)).toBe('released');
    expect(await backfill.handle(terminated)).toBe('nothing-to-do');
    expect(await callReleases(t, callId)).toEqual([3_000_000]);
    for (const organisationId of [lead, partner]) {
      expect(await adjustments(organisationId)).toEqual([
        // Recorded as the grant-funds workflow, as a live release is: the ledger reads the same whoever caught up.
        { type: 'RecipientCommitmentAdjusted', adjustmentId: 'unspent-at-termination', changeMinor: -3_000_000, amountMinor: 0, totalMinor: 0, actorId: 'process-manager:grant-funds' },
      ]);
    }
    // The grant-funds process manager, redelivered, finds everything done.
    expect(await new GrantFundsProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent }).handle(terminated)).toBe('nothing-to-do');
  });
});
