import { availableBudgetMinor, type CallState, type CommitFunds, commitmentOf } from '@app/domain/call';
import type { AwardGrant } from '@app/domain/grant';
import type { FundingDecisionRecordedData, ProposalState, RecordAwardFunded, RecordAwardFundsUnavailable } from '@app/domain/proposal';
import { type CommitRecipientFunds, type ReleaseRecipientFunds, recipientsOfAward } from '@app/domain/recipient';
import { grantPeriodFrom } from './grant-period';

/** An award decision: a decision to award, naming the grant and the amount. */
export type AwardDecision = FundingDecisionRecordedData & { decision: 'award'; grantId: string; amountMinor: number };

/**
 * What the award workflow is told, one step at a time: the decision as recorded (with the proposal
 * as it stands), then how the call answered the commitment. Facts come in as plain data; the
 * runner (AwardProcessManager) reads them and sends the commands this decides.
 */
export type AwardInput =
  /**
   * `call`: the call as it stands; `recipientCeilingMinor`: the ceiling per recipient its awards are
   * held to (its own term, else the programme's configuration: recipientCeilingFor).
   */
  | { type: 'DecisionRecorded'; decision: FundingDecisionRecordedData; proposal: ProposalState; call: CallState; recipientCeilingMinor: number; now: string }
  /** Every organisation of the network now counts the award (recipient ledger). */
  | { type: 'RecipientsCommitted'; decision: AwardDecision; proposal: ProposalState; now: string }
  | { type: 'FundsCommitted'; decision: AwardDecision; proposal: ProposalState; now: string }
  /**
   * `reason`: the rule code the award was refused with — by a recipient's ledger (recipient.ceiling.exceeded)
   * or by the call (e.g. call.budget.exceeded, or call.state.cancelled: awardRefusalReason).
   */
  | { type: 'FundsRefused'; decision: AwardDecision; proposal: ProposalState; call: CallState; reason: string; now: string };

/** A command for another stream. */
export type AwardOutput =
  | { stream: 'recipient'; id: string; command: CommitRecipientFunds | ReleaseRecipientFunds }
  | { stream: 'call'; id: string; command: CommitFunds }
  | { stream: 'grant'; id: string; command: AwardGrant }
  | { stream: 'proposal'; id: string; command: RecordAwardFundsUnavailable | RecordAwardFunded };

export function isAwardDecision(decision: FundingDecisionRecordedData): decision is AwardDecision {
  return decision.decision === 'award' && decision.grantId !== undefined && decision.amountMinor !== undefined;
}

/**
 * The award, a step across four kinds of stream, as a pure workflow (emmett's `decide(input, state) → commands`):
 *
 *   DecisionRecorded(award) ─► CommitRecipientFunds on recipient-{org}, for the lead and every partner
 *     ├─ FundsRefused (recipient.ceiling.exceeded) ─┐
 *     └─ RecipientsCommitted ─► CommitFunds on the call
 *          ├─ FundsRefused (budget, range, call state) ─► RecordAwardFundsUnavailable on the proposal,
 *          │     with the refusal's rule and what the call really has left, then ReleaseRecipientFunds
 *          │     for every organisation of the network (those not counted: nothing happens)
 *          └─ FundsCommitted ─► AwardGrant: the proposal's network, the awarded amount, the implied period,
 *                               then RecordAwardFunded on the proposal (its award reads as awarded)
 *
 * The recipients come first: each recipient stream is appended with the version folded (the
 * executor's retry re-decides on a fresh read), so two awards to one organisation racing under
 * different calls can never both pass its ceiling. While an award waits for its call, its amount
 * already counts: a concurrent award to the same organisation may be refused for it, never the reverse.
 *
 * A grant id the proposal already records as unfunded is never funded later, even if the budget has
 * room by then: a redelivered decision must not revive an award the committee was told had failed.
 * It only releases the recipients again (a release interrupted by a crash; otherwise nothing happens).
 * A grant the call has already committed funds for (an award made before the recipient ledger
 * existed, or one whose recipients were counted before a crash) goes straight to the call, whose
 * commitment is idempotent: its recipients are never re-judged against a ceiling it predates.
 */
export function decideAward(input: AwardInput): AwardOutput[] {
  switch (input.type) {
    case 'DecisionRecorded': {
      const { decision, proposal, call, recipientCeilingMinor, now } = input;
      if (!isAwardDecision(decision) || proposal.status === 'none') return [];
      if (proposal.unfundedGrantIds.includes(decision.grantId)) return releaseRecipients(decision, proposal, 'Award funds unavailable', now);
      if (call.status !== 'none' && commitmentOf(call, decision.grantId) !== undefined) return [commitFundsOnCall(decision, proposal, now)];
      if (call.status === 'none') return [commitFundsOnCall(decision, proposal, now)];
      const { grantId, proposalId, amountMinor } = decision;
      const { callId } = proposal;
      const { programme, currency } = call.terms;
      return recipientsOfAward(proposal.leadOrganisationId, proposal.partners.map((p) => p.organisationId)).map(({ organisationId, role }) => ({
        stream: 'recipient' as const,
        id: organisationId,
        command: {
          type: 'CommitRecipientFunds' as const,
          data: { organisationId, grantId, proposalId, callId, programme, currency, role, amountMinor, ceilingMinor: recipientCeilingMinor },
          now,
        },
      }));
    }
    case 'RecipientsCommitted': {
      const { decision, proposal, now } = input;
      if (proposal.status === 'none') return [];
      return [commitFundsOnCall(decision, proposal, now)];
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
      const { decision, proposal, call, reason, now } = input;
      // What the call could still commit to an award: nothing unless it is published or closed (a
      // cancelled call's uncommitted budget is not available; until 2026-12-07 it was shown so).
      const remainingMinor = call.status === 'published' || call.status === 'closed' ? availableBudgetMinor(call) : 0;
      const { proposalId, grantId, amountMinor } = decision;
      return [
        { stream: 'proposal', id: proposalId, command: { type: 'RecordAwardFundsUnavailable', data: { proposalId, grantId, amountMinor, remainingMinor, reason }, now } },
        ...releaseRecipients(decision, proposal, `Award funds unavailable: ${reason}`, now),
      ];
    }
    default: {
      const unhandled: never = input;
      throw new Error(`Unhandled award input ${JSON.stringify(unhandled)}`);
    }
  }
}

function commitFundsOnCall(decision: AwardDecision, proposal: ProposalState, now: string): AwardOutput {
  const { callId } = proposal;
  const { grantId, proposalId, amountMinor } = decision;
  return { stream: 'call', id: callId, command: { type: 'CommitFunds', data: { callId, grantId, proposalId, amountMinor }, now } };
}

/** Every organisation of the network stops counting the grant (idempotent: one never counted, or already released, appends nothing). */
function releaseRecipients(decision: AwardDecision, proposal: ProposalState, reason: string, now: string): AwardOutput[] {
  if (proposal.status === 'none') return [];
  return recipientsOfAward(proposal.leadOrganisationId, proposal.partners.map((p) => p.organisationId)).map(({ organisationId }) => ({
    stream: 'recipient' as const,
    id: organisationId,
    command: { type: 'ReleaseRecipientFunds' as const, data: { organisationId, grantId: decision.grantId, reason }, now },
  }));
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
