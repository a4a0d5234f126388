import type { RecordedEvent } from '@app/event-store';
import { AmendGrantCommand, AmendGrantCommandHandler } from '@app/application/grants/grant-commands';
import { GrantFundsProcessManager } from '@app/application/process-managers';
import type { StreamCommandExecutor } from '@app/application/stream-command-executor';
import { grantDecider, grantStreamName } from '@app/domain/grant';
import { ConflictException } from '@nestjs/common';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';
import { GrantScenario, humanContext } from './grants-support';

const silent = { log: () => undefined, error: () => undefined };

/** How a grant's commitment on its call follows the grant after the award. */
describe('grant funds on the call', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let manager: string;
  let lead: string;
  let partner: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z' });
    scenario = new GrantScenario(t);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    lead = await scenario.organisation('MA');
    partner = await scenario.organisation('TN');
  });

  afterAll(async () => {
    await t.close();
  });

  const callEvents = async (callId: string) =>
    (await streamEvents(t, `call-${callId}`)).map(({ type, data }) => ({ type, data: data as Record<string, unknown> }));
  const post = (path: string, body: object = {}) => t.http.post(path).set('Authorization', `Bearer ${manager}`).send(body);

  async function activeGrant(amountMinor: number) {
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: amountMinor });
    const grantId = await scenario.award(proposalId, amountMinor);
    await eventually(async () => ((await streamEvents(t, grantStreamName(grantId))).length > 0 ? true : undefined));
    await post(`/grants/${grantId}/agreement`, { signatories: [{ name: 'Amina Idrissi', role: 'Coordinator' }] }).expect(200);
    return { callId, grantId };
  }

  it('releases the unspent funds of a terminated grant once, however often the termination is delivered', async () => {
    const { callId, grantId } = await activeGrant(3_000_000);
    await post(`/grants/${grantId}/termination`, { reason: 'Network dissolved' }).expect(200);
    await eventually(async () => ((await callEvents(callId)).some((e) => e.type === 'FundsReleased') ? true : undefined));

    const terminated = (await streamEvents(t, grantStreamName(grantId))).find((e) => e.type === 'GrantTerminated') as RecordedEvent;
    const funds = new GrantFundsProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent });
    expect(await funds.handle(terminated)).toBe('nothing-to-do');
    await Promise.all([funds.handle(terminated), funds.handle(terminated)]);

    const releases = (await callEvents(callId)).filter((e) => e.type === 'FundsReleased');
    expect(releases.map((e) => e.data.amountMinor)).toEqual([3_000_000]);
  });

  it('applies an amount change to the call once: the handler commits an increase, the process manager only confirms it', async () => {
    const { callId, grantId } = await activeGrant(2_000_000);
    await post(`/grants/${grantId}/amendments`, { kind: 'amount-change', reason: 'Third partner joins', newAmountMinor: 2_600_000 }).expect(201);
    const amended = (await streamEvents(t, grantStreamName(grantId))).find((e) => e.type === 'GrantAmended') as RecordedEvent;
    const funds = new GrantFundsProcessManager({ executor: scenario.executor, clock: t.clock, logger: silent });
    expect(await funds.handle(amended)).toBe('nothing-to-do');
    const adjustments = (await callEvents(callId)).filter((e) => e.type === 'CommitmentAdjusted');
    expect(adjustments.map((e) => [e.data.adjustmentId, e.data.changeMinor])).toEqual([[(amended.data as { amendmentId: string }).amendmentId, 600_000]]);
  });

  it('gives an increase back when the grant moved on before the amendment could be recorded', async () => {
    const { callId, grantId } = await activeGrant(2_000_000);
    // An executor that lets another write land on the grant just before the amendment is appended.
    const real = scenario.executor;
    let interfered = false;
    const racing = new Proxy(real, {
      get(target, property, receiver) {
        if (property !== 'execute') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<StreamCommandExecutor['execute']>) => {
          const [decider, , , command] = args;
          if (decider === grantDecider && (command as { type: string }).type === 'AmendGrant' && !interfered) {
            interfered = true;
            await real.execute(
              grantDecider,
              grantStreamName(grantId),
              grantId,
              { type: 'ScheduleReport', data: { grantId, reportId: 'report-raced', kind: 'interim', dueDate: '2027-12-31' }, now: '2027-06-01T00:00:00.000Z' },
              humanContext('bob'),
            );
          }
          return target.execute(...args);
        };
      },
    });
    const handler = new AmendGrantCommandHandler(racing, t.clock);
    const amendment = { grantId, amendmentId: 'amendment-raced', kind: 'amount-change' as const, reason: 'More hearings', approvedBy: 'alice', newAmountMinor: 2_500_000 };
    await expect(handler.execute(new AmendGrantCommand(amendment, humanContext()))).rejects.toBeInstanceOf(ConflictException);

    expect((await streamEvents(t, grantStreamName(grantId))).map((e) => e.type)).not.toContain('GrantAmended');
    const adjustments = (await callEvents(callId)).filter((e) => e.type === 'CommitmentAdjusted');
    expect(adjustments.map((e) => [e.data.adjustmentId, e.data.changeMinor])).toEqual([
      ['amendment-raced', 500_000],
      ['amendment-raced:reverted', -500_000],
    ]);
    const view = await eventually(async () => {
      const res = await t.http.get(`/calls/${callId}`).set('Authorization', `Bearer ${manager}`);
      return res.body.version === 4 ? res.body : undefined;
    });
    expect(view.committedMinor).toBe(2_000_000);
  });
});
