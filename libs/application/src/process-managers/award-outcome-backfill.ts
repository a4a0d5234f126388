import type { RecordedEvent } from '@app/event-store';
import type { Clock } from '@app/platform/clock';
import { callDecider, callStreamName, type CallState, commitmentOf } from '@app/domain/call';
import { grantDecider, grantStreamName, type GrantState } from '@app/domain/grant';
import { proposalDecider, proposalStreamName, type FundingDecisionRecordedData, type ProposalState, type RecordAwardFunded } from '@app/domain/proposal';
import type { StreamCommandExecutor } from '../stream-command-executor';
import { type AwardDecision, isAwardDecision } from './award.workflow';
import { isRefusal } from './process-manager-logger';
import { reactionContext } from './system-context';

/**
 * Awards made before AwardFunded existed (before 2026-12-03): the old award process manager
 * committed the funds and created the grant but recorded nothing on the proposal, so the proposals
 * read model (rebuilt from the log by the award-outcome migration) shows such an award `pending`
 * for ever. This workflow finds them and records the outcome the log already proves:
 *
 *   an award decision whose proposal shows it neither funded nor unfunded, whose call holds the
 *   grant's commitment and whose grant exists ─► RecordAwardFunded on the proposal.
 *
 * It never starts an award (no commitment, or no grant yet: the award process manager's step) and
 * never contradicts one (a proposal already recording an outcome is left alone); RecordAwardFunded
 * is idempotent. The ceiling per recipient is not applied to these old awards, and their amounts are
 * not on the recipients' ledgers: the ledger counts awards decided since it exists.
 */
export function decideAwardOutcomeBackfill(input: { decision: FundingDecisionRecordedData; proposal: ProposalState; call: CallState; grant: GrantState; now: string }): RecordAwardFunded[] {
  const { decision, proposal, call, grant, now } = input;
  if (!isAwardDecision(decision) || proposal.status === 'none') return [];
  if (!proposal.award || proposal.award.grantId !== decision.grantId || proposal.award.funded || proposal.unfundedGrantIds.includes(decision.grantId)) return [];
  if (call.status === 'none' || commitmentOf(call, decision.grantId) === undefined) return [];
  if (grant.terms === null || grant.terms.grantId !== decision.grantId) return [];
  const { proposalId, grantId, amountMinor } = decision as AwardDecision;
  return [{ type: 'RecordAwardFunded', data: { proposalId, grantId, amountMinor }, now }];
}

export type AwardOutcomeBackfillOutcome = 'not-an-award' | 'recorded' | 'nothing-to-do';

/**
 * Runs decideAwardOutcomeBackfill over every FundingDecisionRecorded of the log, from the start, as a
 * log consumer of its own (own checkpoint and lease): on its first run it goes through the history
 * once; caught up, it only looks at new decisions, which the award process manager finishes itself.
 */
export class AwardOutcomeBackfill {
  static readonly processName = 'award-outcomes-backfill';
  readonly name = `process-manager:${AwardOutcomeBackfill.processName}`;
  readonly filter = { eventTypes: ['FundingDecisionRecorded'] };

  constructor(private readonly deps: { executor: StreamCommandExecutor; clock: Clock }) {}

  async handle(event: RecordedEvent): Promise<AwardOutcomeBackfillOutcome> {
    if (event.type !== 'FundingDecisionRecorded') return 'not-an-award';
    const decision = event.data as FundingDecisionRecordedData;
    if (!isAwardDecision(decision)) return 'not-an-award';
    const { executor, clock } = this.deps;
    const { state: proposal } = await executor.load(proposalDecider, proposalStreamName(decision.proposalId));
    const { state: call } = await executor.load(callDecider, callStreamName(proposal.callId));
    const { state: grant } = await executor.load(grantDecider, grantStreamName(decision.grantId));
    let appended = 0;
    for (const command of decideAwardOutcomeBackfill({ decision, proposal, call, grant, now: clock.now().toISOString() })) {
      const context = reactionContext(AwardOutcomeBackfill.processName, event);
      try {
        appended += (await executor.execute(proposalDecider, proposalStreamName(command.data.proposalId), command.data.proposalId, command, context)).events.length;
      } catch (error) {
        // The proposal moved on since (a later decision): nothing to record, and nothing to retry.
        if (!isRefusal(error)) throw error;
      }
    }
    return appended > 0 ? 'recorded' : 'nothing-to-do';
  }
}
