import type { RecordedEvent } from '@app/event-store';
import type { Clock } from '@app/platform/clock';
import { callDecider, callStreamName, type CallState } from '@app/domain/call';
import { grantDecider, grantStreamName, type GrantAmendedData, type GrantClosedData, type GrantTerminatedData } from '@app/domain/grant';
import { decideGrantFunds, type GrantFundsInput } from './grant-funds.workflow';
import type { StreamCommandExecutor } from '../stream-command-executor';
import { isRefusal, refusalRule, type ProcessManagerLogger } from './process-manager-logger';
import { DEFAULT_RETRY, retryOnConflict, type RetryOptions } from '../retry-on-conflict';
import { reactionContext } from './system-context';

export type GrantFundsOutcome = 'ignored' | 'released' | 'adjusted' | 'nothing-to-do' | 'refused';

export interface GrantFundsProcessManagerDependencies {
  executor: StreamCommandExecutor;
  clock: Clock;
  logger: ProcessManagerLogger;
  retry?: RetryOptions;
}

/**
 * Runs the grant-funds workflow (grant-funds.workflow.ts) from the log: GrantAmended, GrantClosed
 * and GrantTerminated in log order (an amendment's adjustment always lands before the closure's
 * release of the same grant). A release appends only onto the call state it was decided on
 * (expected version), so a concurrent change to the commitment makes it read and decide again.
 */
export class GrantFundsProcessManager {
  static readonly processName = 'grant-funds';
  readonly name = `process-manager:${GrantFundsProcessManager.processName}`;
  readonly filter = { eventTypes: ['GrantAmended', 'GrantClosed', 'GrantTerminated'] };

  constructor(private readonly deps: GrantFundsProcessManagerDependencies) {}

  async handle(event: RecordedEvent): Promise<GrantFundsOutcome> {
    if (event.type !== 'GrantAmended' && event.type !== 'GrantClosed' && event.type !== 'GrantTerminated') return 'ignored';
    if (event.type === 'GrantAmended' && (event.data as GrantAmendedData).kind !== 'amount-change') return 'ignored';
    const grantId = (event.data as { grantId: string }).grantId;
    const context = reactionContext(GrantFundsProcessManager.processName, event);
    const { executor } = this.deps;
    const { state: grant } = await executor.load(grantDecider, grantStreamName(grantId));
    const callId = grant.terms?.callId;
    if (callId === undefined) return 'refused';
    try {
      return await retryOnConflict(async () => {
        const { state: call, version } = await executor.load(callDecider, callStreamName(callId));
        const now = this.deps.clock.now().toISOString();
        const outputs = decideGrantFunds(inputOf(event, callId, call, now));
        let appended = 0;
        for (const { id, command } of outputs) {
          // A release is decided on the state just read; an adjustment is idempotent by its id and
          // judged afresh by the executor on a conflict.
          const pinned = command.type === 'ReleaseFunds' ? { ...context, expectedVersion: version } : context;
          appended += (await executor.execute(callDecider, callStreamName(id), id, command, pinned)).events.length;
        }
        if (appended === 0) return 'nothing-to-do';
        return event.type === 'GrantAmended' ? 'adjusted' : 'released';
      }, this.deps.retry ?? DEFAULT_RETRY);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      // Only an increase that bypassed the amendment handler can be refused: the call's budget wins,
      // and the step is logged for reconciliation, not forced.
      this.deps.logger.error('grant funds: refused', { grantId, callId, eventType: event.type, rule: refusalRule(error) });
      return 'refused';
    }
  }
}

function inputOf(event: RecordedEvent, callId: string, call: CallState, now: string): GrantFundsInput {
  switch (event.type) {
    case 'GrantAmended':
      return { type: 'GrantAmended', data: event.data as GrantAmendedData, callId, now };
    case 'GrantClosed':
      return { type: 'GrantClosed', data: event.data as GrantClosedData, callId, call, now };
    default:
      return { type: 'GrantTerminated', data: event.data as GrantTerminatedData, callId, call, now };
  }
}
