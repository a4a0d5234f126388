import type { RecordedEvent } from '@app/event-store';
import type { Clock } from '@app/platform/clock';
import { callDecider, callStreamName, commitmentOf } from '@app/domain/call';
import { grantDecider, grantStreamName } from '@app/domain/grant';
import { proposalDecider, proposalStreamName, type FundingDecisionRecordedData, type ProposalState } from '@app/domain/proposal';
import { AlreadyExists, DomainRuleViolation, InvalidStateTransition, StreamNotFound } from '@app/domain/shared/decider';
import {
  DEFAULT_RECIPIENT_CEILING_POLICY,
  RecipientCeilingExceeded,
  recipientCeilingFor,
  type RecipientFundsRefused,
  type RecipientCeilingPolicy,
  recipientDecider,
  recipientStreamName,
} from '@app/domain/recipient';
import type { CommandContext } from '../command-context';
import type { StreamCommandExecutor } from '../stream-command-executor';
import { type AwardDecision, type AwardOutput, decideAward, isAwardDecision } from './award.workflow';
import { isRefusal, refusalRule, type ProcessManagerLogger } from './process-manager-logger';
import { reactionContext } from './system-context';

export type AwardOutcome = 'not-an-award' | 'awarded' | 'funds-unavailable' | 'already-unfunded' | 'grant-refused';

export interface AwardProcessManagerDependencies {
  executor: StreamCommandExecutor;
  clock: Clock;
  logger: ProcessManagerLogger;
  /** The programme's ceilings per recipient (configuration); a call's own term wins. Default: 6,000,000 minor units everywhere. */
  recipientCeilings?: RecipientCeilingPolicy;
}

/**
 * Runs the award workflow (award.workflow.ts) from the log: reads the facts each step needs, sends
 * the commands it decides through the executor, and feeds the outcome back in.
 *
 * The runtime delivers at least once, so every step is idempotent: CommitFunds is keyed by the grant
 * id (the same commitment again appends nothing), AwardGrant repeats to nothing when identical, and
 * RecordAwardFundsUnavailable and RecordAwardFunded to nothing for a grant id already recorded.
 *
 * The budget invariant under concurrent awards rests on the call stream: the commit appends with
 * the version it folded, so of two racing commits one fails with a version conflict; the executor
 * retries it from a fresh read, where the rules see the other commitment. The ceiling per recipient
 * rests the same way on each recipient-{organisationId} stream, committed before the call: awards
 * racing under different calls meet there. Recipients are committed one after another in the
 * network's order (the lead first, then the partners as listed); a refusal releases those already
 * counted for the grant.
 */
export class AwardProcessManager {
  static readonly processName = 'awards';
  readonly name = `process-manager:${AwardProcessManager.processName}`;
  readonly filter = { eventTypes: ['FundingDecisionRecorded'] };

  constructor(private readonly deps: AwardProcessManagerDependencies) {}

  /** Handles one event, returning what happened (for tests and metrics). */
  async handle(event: RecordedEvent): Promise<AwardOutcome> {
    if (event.type !== 'FundingDecisionRecorded') return 'not-an-award';
    const decision = event.data as FundingDecisionRecordedData;
    if (!isAwardDecision(decision)) return 'not-an-award';
    const context = reactionContext(AwardProcessManager.processName, event);
    const { executor, logger } = this.deps;
    const { state: proposal } = await executor.load(proposalDecider, proposalStreamName(decision.proposalId));
    const callId = proposal.callId;
    const { state: callAtDecision } = await executor.load(callDecider, callStreamName(callId));
    const recipientCeilingMinor =
      callAtDecision.status === 'none' ? 0 : recipientCeilingFor(callAtDecision.terms, this.deps.recipientCeilings ?? DEFAULT_RECIPIENT_CEILING_POLICY);
    const first = decideAward({ type: 'DecisionRecorded', decision, proposal, call: callAtDecision, recipientCeilingMinor, now: this.now() });
    if (first.length === 0) return 'already-unfunded';
    if (proposal.unfundedGrantIds.includes(decision.grantId)) {
      // Releases only (a redelivery): each is idempotent.
      for (const output of first) await this.send(output, context);
      return 'already-unfunded';
    }

    // The stream whose decider refused, for the refusal's code.
    let refusedBy: AwardOutput['stream'] = first[0].stream;
    try {
      for (const output of first) {
        refusedBy = output.stream;
        await this.send(output, context);
      }
      if (first[0].stream === 'recipient') {
        for (const output of decideAward({ type: 'RecipientsCommitted', decision, proposal, now: this.now() })) {
          refusedBy = output.stream;
          await this.send(output, context);
        }
      }
    } catch (error) {
      if (!isRefusal(error)) throw error;
      const { state: call } = await executor.load(callDecider, callStreamName(callId));
      if (call.status !== 'none' && commitmentOf(call, decision.grantId) !== undefined) {
        // Another runner of this award (a second worker, a redelivery) got the funds committed
        // meanwhile: the award stands, and this runner finishes it instead of contradicting it.
        return this.finish(decision, proposal, context);
      }
      const reason = awardRefusalReason(refusedBy, error);
      logger.log('award: funds unavailable', { grantId: decision.grantId, proposalId: decision.proposalId, callId, rule: reason });
      for (const output of decideAward({ type: 'FundsRefused', decision, proposal, call, reason, now: this.now() })) {
        try {
          await this.send(output, context);
        } catch (recordError) {
          if (!isRefusal(recordError)) throw recordError;
          logger.error('award: could not record that funds are unavailable', { grantId: decision.grantId, proposalId: decision.proposalId, rule: refusalRule(recordError) });
        }
      }
      return 'funds-unavailable';
    }
    return this.finish(decision, proposal, context);
  }

  /** The funds are committed: the grant, then the proposal's record that its award was funded. */
  private async finish(decision: AwardDecision, proposal: ProposalState, context: CommandContext): Promise<AwardOutcome> {
    const { logger } = this.deps;
    for (const output of decideAward({ type: 'FundsCommitted', decision, proposal, now: this.now() })) {
      try {
        await this.send(output, context);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        // Cannot happen with a decision the proposal decider accepted; the commitment stays (the safe
        // side) and the step is skipped rather than retried for ever, which would hold up every later award.
        logger.error('award: the grant was refused after its funds were committed', { grantId: decision.grantId, proposalId: decision.proposalId, rule: refusalRule(error) });
        return 'grant-refused';
      }
    }
    return 'awarded';
  }

  private async send(output: AwardOutput, context: CommandContext): Promise<unknown> {
    const { executor } = this.deps;
    switch (output.stream) {
      case 'recipient': {
        const { events } = await executor.execute(recipientDecider, recipientStreamName(output.id), output.id, output.command, context);
        // The ledger recorded that it refused the grant (its ceiling): a refusal like any other.
        const refused = events.find((event): event is RecipientFundsRefused => event.type === 'RecipientFundsRefused');
        if (refused) {
          const { organisationId, ceilingMinor, totalMinor, amountMinor, currency } = refused.data;
          throw new RecipientCeilingExceeded(organisationId, ceilingMinor, totalMinor, amountMinor, currency);
        }
        return events;
      }
      case 'call':
        return executor.execute(callDecider, callStreamName(output.id), output.id, output.command, context);
      case 'grant':
        return executor.execute(grantDecider, grantStreamName(output.id), output.id, output.command, context);
      case 'proposal':
        return executor.execute(proposalDecider, proposalStreamName(output.id), output.id, output.command, context);
      default: {
        const unhandled: never = output;
        throw new Error(`Unhandled award output ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }
}

/**
 * The reason an award's funds are unavailable, as recorded on the proposal (AwardFundsUnavailable)
 * and shown as `award.reason`: a rule code, never an exception's class name. A rule the refusing
 * decider broke is its own code (`call.budget.exceeded`, `recipient.ceiling.exceeded`); a refusal
 * that carries none is named after the stream that refused: the state it was in
 * (`call.state.cancelled`: a cancelled call commits no funds; until 2026-12-07 recorded as
 * `InvalidStateTransition`), `call.not-found`, `call.already-exists`.
 */
export function awardRefusalReason(stream: AwardOutput['stream'], error: Error): string {
  if (error instanceof DomainRuleViolation) return error.rule;
  if (error instanceof InvalidStateTransition) return `${stream}.state.${error.currentStatus}`;
  if (error instanceof StreamNotFound) return `${stream}.not-found`;
  if (error instanceof AlreadyExists) return `${stream}.already-exists`;
  return refusalRule(error);
}
