import type { RecordedEvent } from '@app/event-store';
import type { Clock } from '@app/platform/clock';
import { callDecider, callStreamName, type CallState } from '@app/domain/call';
import { grantDecider, grantStreamName, type GrantAmendedData, type GrantClosedData, type GrantTerminatedData } from '@app/domain/grant';
import { RecipientCommitmentNotFound, recipientDecider, recipientsOfAward, recipientStreamName } from '@app/domain/recipient';
import { decideGrantFunds, type GrantFundsInput, type GrantFundsOutput } from './grant-funds.workflow';
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
 * Then each recipient's ledger follows (an amendment's change, or what the grant's end left
 * unspent), each step idempotent by its id: a runner stopped half-way (the call released, a ledger
 * not yet) does the rest when the event is delivered again, and nothing twice.
 */
export class GrantFundsProcessManager {
  static readonly processName = 'grant-funds';
  /**
   * The same workflow over the grant ends recorded before recipients' ledgers followed them
   * (2026-12-07): a consumer of its own from the start of the log, on the ledgers only (the call's
   * releases were made then). Once through the history it meets each new grant end together with
   * this process manager: whichever comes first releases, the other finds it done. Either acts as
   * `process-manager:grant-funds` (the workflow that decides it), so the ledger reads the same
   * whoever recorded it.
   */
  static readonly recipientReleaseBackfillName = 'recipient-release-backfill';
  readonly name: string;
  readonly filter: { eventTypes: string[] };
  private readonly ledgersOnly: boolean;

  /** `options.ledgersOnly`: the recipient-release backfill (GrantClosed and GrantTerminated, the ledgers only). */
  constructor(
    private readonly deps: GrantFundsProcessManagerDependencies,
    options: { ledgersOnly?: boolean } = {},
  ) {
    this.ledgersOnly = options.ledgersOnly ?? false;
    this.name = `process-manager:${this.ledgersOnly ? GrantFundsProcessManager.recipientReleaseBackfillName : GrantFundsProcessManager.processName}`;
    this.filter = { eventTypes: this.ledgersOnly ? ['GrantClosed', 'GrantTerminated'] : ['GrantAmended', 'GrantClosed', 'GrantTerminated'] };
  }

  async handle(event: RecordedEvent): Promise<GrantFundsOutcome> {
    if (!this.filter.eventTypes.includes(event.type)) return 'ignored';
    if (event.type === 'GrantAmended' && (event.data as GrantAmendedData).kind !== 'amount-change') return 'ignored';
    const grantId = (event.data as { grantId: string }).grantId;
    const context = reactionContext(GrantFundsProcessManager.processName, event);
    const { executor } = this.deps;
    const { state: grant } = await executor.load(grantDecider, grantStreamName(grantId));
    const callId = grant.terms?.callId;
    if (callId === undefined || grant.terms === null) return 'refused';
    const recipients = recipientsOfAward(grant.terms.granteeOrganisationId, grant.terms.partnerOrganisationIds).map((r) => r.organisationId);
    let recipientOutputs: Extract<GrantFundsOutput, { stream: 'recipient' }>[] = [];
    let outcome: GrantFundsOutcome;
    try {
      outcome = await retryOnConflict(async () => {
        const { state: call, version } = await executor.load(callDecider, callStreamName(callId));
        const now = this.deps.clock.now().toISOString();
        const outputs = decideGrantFunds(inputOf(event, callId, call, recipients, now));
        recipientOutputs = outputs.filter((o): o is Extract<GrantFundsOutput, { stream: 'recipient' }> => o.stream === 'recipient');
        let appended = 0;
        for (const output of outputs) {
          if (output.stream !== 'call' || this.ledgersOnly) continue;
          const { id, command } = output;
          // A release is decided on the state just read; an adjustment is idempotent by its id and
          // judged afresh by the executor on a conflict.
          const pinned = command.type === 'ReleaseFunds' ? { ...context, expectedVersion: version } : context;
          appended += (await executor.execute(callDecider, callStreamName(id), id, command, pinned)).events.length;
        }
        return appended === 0 ? 'nothing-to-do' : event.type === 'GrantAmended' ? 'adjusted' : 'released';
      }, this.deps.retry ?? DEFAULT_RETRY);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      // Only an increase that bypassed the amendment handler can be refused: the call's budget wins,
      // and the step is logged for reconciliation, not forced.
      this.deps.logger.error('grant funds: refused', { grantId, callId, eventType: event.type, rule: refusalRule(error) });
      // A refused increase is not counted on the ledgers either; a grant's end releases them whatever the call said.
      if (event.type === 'GrantAmended') return 'refused';
      outcome = 'refused';
    }
    const appendedOnLedgers = await this.followOnRecipients(recipientOutputs, context);
    if (outcome === 'nothing-to-do' && appendedOnLedgers > 0) return event.type === 'GrantAmended' ? 'adjusted' : 'released';
    return outcome;
  }

  /**
   * Each recipient's ledger follows the amendment or the grant's end (idempotent by its id; the
   * executor re-decides on a conflict). A grant its ledger never counted (awarded before the ledger
   * existed) is skipped. Returns how many events the ledgers appended.
   */
  private async followOnRecipients(outputs: Extract<GrantFundsOutput, { stream: 'recipient' }>[], context: ReturnType<typeof reactionContext>): Promise<number> {
    let appended = 0;
    for (const { id, command } of outputs) {
      try {
        appended += (await this.deps.executor.execute(recipientDecider, recipientStreamName(id), id, command, context)).events.length;
      } catch (error) {
        if (error instanceof RecipientCommitmentNotFound) continue;
        throw error;
      }
    }
    return appended;
  }
}

function inputOf(event: RecordedEvent, callId: string, call: CallState, recipientOrganisationIds: readonly string[], now: string): GrantFundsInput {
  switch (event.type) {
    case 'GrantAmended':
      return { type: 'GrantAmended', data: event.data as GrantAmendedData, callId, recipientOrganisationIds, now };
    case 'GrantClosed':
      return { type: 'GrantClosed', data: event.data as GrantClosedData, callId, call, recipientOrganisationIds, now };
    default:
      return { type: 'GrantTerminated', data: event.data as GrantTerminatedData, callId, call, recipientOrganisationIds, now };
  }
}
