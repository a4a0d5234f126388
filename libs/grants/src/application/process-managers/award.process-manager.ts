import type { RecordedEvent } from '@app/event-store';
import type { Clock } from '@app/platform/clock';
import { availableBudgetMinor, callDecider, callStreamName } from '../../call';
import { grantDecider, grantStreamName, type AwardGrant } from '../../grant';
import {
  proposalDecider,
  proposalStreamName,
  type FundingDecisionRecordedData,
  type ProposalState,
} from '../../proposal';
import type { CommandContext } from '../command-context';
import type { StreamCommandExecutor } from '../stream-command-executor';
import { grantPeriodFrom } from './grant-period';
import { isRefusal, refusalRule, type ProcessManagerLogger } from './process-manager-logger';
import { reactionContext } from './system-context';

export type AwardOutcome = 'not-an-award' | 'awarded' | 'funds-unavailable' | 'already-unfunded' | 'grant-refused';

export interface AwardProcessManagerDependencies {
  executor: StreamCommandExecutor;
  clock: Clock;
  logger: ProcessManagerLogger;
}

/**
 * The award, a step across three streams, driven from the log:
 *
 *   FundingDecisionRecorded(award) ─► CommitFunds on call-{callId}
 *        ├─ refused (budget, range, call state) ─► RecordAwardFundsUnavailable on the proposal
 *        └─ committed ─► AwardGrant on grant-{grantId}
 *
 * The runner delivers at least once, so every step is idempotent: CommitFunds is keyed by the grant
 * id (the same commitment again appends nothing), AwardGrant repeats to nothing when identical, and
 * RecordAwardFundsUnavailable to nothing for a grant id already recorded. A grant id recorded as
 * unfunded is never funded later, even if the budget has room by then: a redelivery must not
 * revive a decision the committee was told had failed.
 *
 * The budget invariant under concurrent awards rests on the call stream: the commit appends with
 * the version it folded, so of two racing commits one fails with a version conflict; that one is
 * retried from a fresh read, where the rules see the other commitment.
 */
export class AwardProcessManager {
  static readonly processName = 'awards';
  readonly name = `process-manager:${AwardProcessManager.processName}`;
  readonly filter = { eventTypes: ['FundingDecisionRecorded'] };

  constructor(private readonly deps: AwardProcessManagerDependencies) {}

  /** Same as `apply`, returning what happened (for tests and metrics). */
  async handle(event: RecordedEvent): Promise<AwardOutcome> {
    if (event.type !== 'FundingDecisionRecorded') return 'not-an-award';
    const decision = event.data as FundingDecisionRecordedData;
    if (decision.decision !== 'award' || decision.grantId === undefined || decision.amountMinor === undefined) return 'not-an-award';
    return this.award({ ...decision, grantId: decision.grantId, amountMinor: decision.amountMinor }, reactionContext(AwardProcessManager.processName, event));
  }

  private async award(decision: FundingDecisionRecordedData & { grantId: string; amountMinor: number }, context: CommandContext): Promise<AwardOutcome> {
    const { executor } = this.deps;
    const { proposalId, grantId, amountMinor } = decision;
    const { state: proposal } = await executor.load(proposalDecider, proposalStreamName(proposalId));
    if (proposal.unfundedGrantIds.includes(grantId)) return 'already-unfunded';

    const callId = proposal.callId;
    try {
      await executor.execute(callDecider, callStreamName(callId), callId, { type: 'CommitFunds', data: { callId, grantId, proposalId, amountMinor }, now: this.now() }, context);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      return this.recordFundsUnavailable(decision, callId, error, context);
    }

    const award = awardGrantCommand(decision, proposal, this.now());
    try {
      await executor.execute(grantDecider, grantStreamName(grantId), grantId, award, context);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      // Cannot happen with a decision the proposal decider accepted; the commitment stays (the safe side) and the step is skipped
      // rather than retried forever, which would hold up every later award.
      this.deps.logger.error('award: the grant was refused after its funds were committed', { grantId, proposalId, rule: refusalRule(error) });
      return 'grant-refused';
    }
    return 'awarded';
  }

  private async recordFundsUnavailable(
    decision: FundingDecisionRecordedData & { grantId: string; amountMinor: number },
    callId: string,
    refusal: Error,
    context: CommandContext,
  ): Promise<AwardOutcome> {
    const { executor, logger } = this.deps;
    const { proposalId, grantId, amountMinor } = decision;
    const { state: call } = await executor.load(callDecider, callStreamName(callId));
    const remainingMinor = call.status === 'none' ? 0 : availableBudgetMinor(call);
    logger.log('award: funds unavailable', { grantId, proposalId, callId, rule: refusalRule(refusal) });
    try {
      await executor.execute(
        proposalDecider,
        proposalStreamName(proposalId),
        proposalId,
        { type: 'RecordAwardFundsUnavailable', data: { proposalId, grantId, amountMinor, remainingMinor }, now: this.now() },
        context,
      );
    } catch (error) {
      if (!isRefusal(error)) throw error;
      logger.error('award: could not record that funds are unavailable', { grantId, proposalId, rule: refusalRule(error) });
    }
    return 'funds-unavailable';
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/** The grant an award decision creates: the proposal's network, the awarded amount, the implied period. */
export function awardGrantCommand(decision: FundingDecisionRecordedData & { grantId: string; amountMinor: number }, proposal: ProposalState, now: string): AwardGrant {
  return {
    type: 'AwardGrant',
    data: {
      grantId: decision.grantId,
      proposalId: decision.proposalId,
      callId: proposal.callId,
      granteeOrganisationId: proposal.leadOrganisationId,
      partnerOrganisationIds: proposal.partners.map((p) => p.organisationId),
      amountMinor: decision.amountMinor,
      currency: proposal.details.currency,
      ...grantPeriodFrom(decision.decidedAt, proposal.details.durationMonths),
      // The decision carries no award conditions yet; the agreement, tranches and reports hold the terms.
      conditions: [],
    },
    now,
  };
}
