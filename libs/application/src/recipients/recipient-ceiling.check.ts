import type { CallState } from '@app/domain/call';
import type { FundingDecisionRecordedData, ProposalState } from '@app/domain/proposal';
import {
  type RecipientCeilingPolicy,
  RecipientCeilingExceeded,
  recipientCeilingFor,
  recipientDecider,
  recipientsOfAward,
  recipientStreamName,
  recipientTotalMinor,
} from '@app/domain/recipient';
import type { Facts } from '../stream-command-executor';

/**
 * The ceiling per recipient, checked at the door of an award decision: if any organisation of the
 * network already has so much counted in the call's programme and currency that the award would
 * pass its ceiling, the decision is refused (422 recipient.ceiling.exceeded) and nothing is
 * appended. A courtesy, not the guarantee: the ledgers are read unpinned, so two awards racing
 * under different calls may both pass here; the award process manager then commits each
 * recipient with optimistic concurrency, and the one that would pass the ceiling ends as
 * funds-unavailable with the same rule.
 */
export async function assertAwardWithinRecipientCeilings(
  facts: Facts,
  decision: Pick<FundingDecisionRecordedData, 'decision' | 'amountMinor'>,
  proposal: ProposalState,
  call: CallState,
  policy: RecipientCeilingPolicy,
): Promise<void> {
  if (decision.decision !== 'award' || decision.amountMinor === undefined || proposal.status === 'none' || call.status === 'none') return;
  const amountMinor = decision.amountMinor;
  const ceilingMinor = recipientCeilingFor(call.terms, policy);
  const { programme, currency } = call.terms;
  for (const { organisationId } of recipientsOfAward(proposal.leadOrganisationId, proposal.partners.map((p) => p.organisationId))) {
    const { state } = await facts.load(recipientDecider, recipientStreamName(organisationId));
    const totalMinor = recipientTotalMinor(state, programme, currency);
    if (totalMinor + amountMinor > ceilingMinor) throw new RecipientCeilingExceeded(organisationId, ceilingMinor, totalMinor, amountMinor, currency);
  }
}
