import type { RecordedEvent } from '@app/event-store';
import type { Clock } from '@app/platform/clock';
import { callDecider, callStreamName, outstandingMinor } from '../../call';
import { grantDecider, grantStreamName, type GrantAmendedData, type GrantClosedData, type GrantTerminatedData } from '../../grant';
import type { CommandContext } from '../command-context';
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
 * Keeps a grant's commitment on its call in step with the grant after the award:
 *
 * - GrantClosed / GrantTerminated with unspent funds → ReleaseFunds on the call. A grant finishes
 *   once and nothing else releases a grant's funds, so a commitment that already shows a release
 *   has had this one: a redelivery releases nothing more.
 * - GrantAmended (amount-change) → AdjustCommitment by the difference, keyed by the amendment id
 *   (idempotent in the call decider). An increase was already committed by the amendment handler
 *   before GrantAmended was appended (see AmendGrantCommandHandler), so here it appends nothing:
 *   this is the backstop. A decrease is given back here.
 *
 * One process manager handles the three so that they apply in log order: an amendment's adjustment
 * always lands before the closure's release of the same grant.
 */
export class GrantFundsProcessManager {
  static readonly processName = 'grant-funds';
  readonly name = `process-manager:${GrantFundsProcessManager.processName}`;
  readonly filter = { eventTypes: ['GrantAmended', 'GrantClosed', 'GrantTerminated'] };

  constructor(private readonly deps: GrantFundsProcessManagerDependencies) {}

  async handle(event: RecordedEvent): Promise<GrantFundsOutcome> {
    const context = reactionContext(GrantFundsProcessManager.processName, event);
    switch (event.type) {
      case 'GrantClosed': {
        const closed = event.data as GrantClosedData;
        return this.releaseUnspent(closed.grantId, closed.unspentMinor, 'Unspent at grant closure', context);
      }
      case 'GrantTerminated': {
        const terminated = event.data as GrantTerminatedData;
        return this.releaseUnspent(terminated.grantId, terminated.unspentMinor, 'Unspent at grant termination', context);
      }
      case 'GrantAmended': {
        const amended = event.data as GrantAmendedData;
        if (amended.kind !== 'amount-change') return 'ignored';
        return this.adjust(amended.grantId, amended.amendmentId, amended.newAmountMinor - amended.previousAmountMinor, context);
      }
      default:
        return 'ignored';
    }
  }

  private async releaseUnspent(grantId: string, unspentMinor: number, reason: string, context: CommandContext): Promise<GrantFundsOutcome> {
    if (unspentMinor <= 0) return 'nothing-to-do';
    const callId = await this.callOf(grantId);
    if (callId === null) return 'refused';
    const { executor } = this.deps;
    try {
      return await this.retrying(async () => {
        const { state: call, version } = await executor.load(callDecider, callStreamName(callId));
        const commitment = call.status === 'none' ? undefined : call.commitments[grantId];
        if (!commitment || commitment.releasedMinor > 0) return 'nothing-to-do';
        const amountMinor = Math.min(unspentMinor, outstandingMinor(commitment));
        if (amountMinor <= 0) return 'nothing-to-do';
        // Appends only onto the state just checked: a concurrent change to the commitment makes it retry.
        await executor.execute(
          callDecider,
          callStreamName(callId),
          callId,
          { type: 'ReleaseFunds', data: { callId, grantId, amountMinor, reason }, now: this.now() },
          { ...context, expectedVersion: version },
        );
        return 'released' as const;
      });
    } catch (error) {
      if (!isRefusal(error)) throw error;
      this.deps.logger.error('grant funds: release refused', { grantId, callId, rule: refusalRule(error) });
      return 'refused';
    }
  }

  private async adjust(grantId: string, amendmentId: string, changeMinor: number, context: CommandContext): Promise<GrantFundsOutcome> {
    if (changeMinor === 0) return 'nothing-to-do';
    const callId = await this.callOf(grantId);
    if (callId === null) return 'refused';
    const direction = changeMinor > 0 ? 'raised' : 'lowered';
    try {
      // The executor re-reads and re-decides on a version conflict.
      const { events } = await this.deps.executor.execute(
        callDecider,
        callStreamName(callId),
        callId,
        { type: 'AdjustCommitment', data: { callId, grantId, adjustmentId: amendmentId, changeMinor, reason: `Grant amount ${direction} by amendment ${amendmentId}` }, now: this.now() },
        context,
      );
      return events.length > 0 ? 'adjusted' : 'nothing-to-do';
    } catch (error) {
      if (!isRefusal(error)) throw error;
      // Only an increase that bypassed the amendment handler can get here (the handler commits
      // increases first). The call's budget wins: the step is logged for reconciliation, not forced.
      this.deps.logger.error('grant funds: commitment adjustment refused', { grantId, callId, amendmentId, rule: refusalRule(error) });
      return 'refused';
    }
  }

  private async callOf(grantId: string): Promise<string | null> {
    const { state } = await this.deps.executor.load(grantDecider, grantStreamName(grantId));
    return state.terms?.callId ?? null;
  }

  private retrying<T>(step: () => Promise<T>): Promise<T> {
    return retryOnConflict(step, this.deps.retry ?? DEFAULT_RETRY);
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}
