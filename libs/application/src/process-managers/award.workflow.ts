import { availableBudgetMinor, type CallState, type CommitFunds } from '@app/domain/call';
import type { AwardGrant } from '@app/domain/grant';
import type { FundingDecisionRecordedData, ProposalState, RecordAwardFunded, RecordAwardFundsUnavailable } from '@app/domain/proposal';
import { grantPeriodFrom } from './grant-period';

/** An award decision: a decision to award, naming the grant and the amount. */
export type AwardDecision = FundingDecisionRecordedData & { decision: 'award'; grantId: string; amountMinor: number };

/**
 * What the award workflow is told, one step at a time: the decision as recorded (with the proposal
 * as it stands), then how the call answered the commitment. Facts come in as plain data; the
 * runner (AwardProcessManager) reads them and sends the commands this decides.
 */
export type AwardInput =
  | { type: 'DecisionRecorded'; decision: FundingDecisionRecordedData; proposal: ProposalState; now: string }
  | { type: 'FundsCommitted'; decision: AwardDecision; proposal: ProposalState; now: string }
  /** `reason`: the rule code the call refused the commitment with (e.g. call.budget.exceeded). */
  | { type: 'FundsRefused'; decision: AwardDecision; call: CallState; reason: string; now: string };

/** A command for another stream. */
export type AwardOutput =
  | { stream: 'call'; id: string; command: CommitFunds }
  | { stream: 'grant'; id: string; command: AwardGrant }
  | { stream: 'proposal'; id: string; command: RecordAwardFundsUnavailable | RecordAwardFunded };

export function isAwardDecision(decision: FundingDecisionRecordedData): decision is AwardDecision {
  return decision.decision === 'award' && decision.grantId !== undefined && decision.amountMinor !== undefined;
}

/**
 * The award, a step across three streams, as a pure workflow (emmett's `decide(input, state) → commands`):
 *
 *   DecisionRecorded(award) ─► CommitFunds on the call
 *     ├─ FundsRefused (budget, range, call state) ─► RecordAwardFundsUnavailable on the proposal,
 *     │                                              with the refusal's rule and what the call really has left
 *     └─ FundsCommitted ─► AwardGrant: the proposal's network, the awarded amount, the implied period,
 *                          then RecordAwardFunded on the proposal (its award reads as awarded)
 *
 * A grant id the proposal already records as unfunded is never funded later, even if the budget has
 * room by then: a redelivered decision must not revive an award the committee was told had failed.
 */
export function decideAward(input: AwardInput): AwardOutput[] {
  switch (input.type) {
    case 'DecisionRecorded': {
      const { decision, proposal, now } = input;
      if (!isAwardDecision(decision) || proposal.status === 'none' || proposal.unfundedGrantIds.includes(decision.grantId)) return [];
      const { callId } = proposal;
      const { grantId, proposalId, amountMinor } = decision;
      return [{ stream: 'call', id: callId, command: { type: 'CommitFunds', data: { callId, grantId, proposalId, amountMinor }, now } }];
    }
    case 'FundsCommitted': {
      const { decision, proposal, now } = input;
      if (proposal.status === 'none') return [];
      const { proposalId, grantId, amountMinor } = decision;
      return [
        { stream: 'grant', id: grantId, command: awardGrantCommand(decision, proposal, now) },
        { stream: 'proposal', id: proposalId, command: { type: 'RecordAwardFunded', data: { proposalId, grantId, amountMinor }, now } },
      ];
    }
    case 'FundsRefused': {
      const { decision, call, reason, now } = input;
      const remainingMinor = call.status === 'none' ? 0 : availableBudgetMinor(call);
      const { proposalId, grantId, amountMinor } = decision;
      return [
        { stream: 'proposal', id: proposalId, command: { type: 'RecordAwardFundsUnavailable', data: { proposalId, grantId, amountMinor, remainingMinor, reason }, now } },
      ];
    }
    default: {
      const unhandled: never = input;
      throw new Error(`Unhandled award input ${JSON.stringify(unhandled)}`);
    }
  }
}

/** The grant an award decision creates: the proposal's network, the awarded amount, the implied period. */
export function awardGrantCommand(decision: AwardDecision, proposal: ProposalState, now: string): AwardGrant {
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
