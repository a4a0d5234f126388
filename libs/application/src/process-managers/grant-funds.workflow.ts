import { type AdjustCommitment, type CallState, commitmentOf, outstandingMinor, type ReleaseFunds } from '@app/domain/call';
import type { GrantAmendedData, GrantClosedData, GrantTerminatedData } from '@app/domain/grant';
import { type AdjustRecipientCommitment, grantEndAdjustmentId, type ReleaseUnspentRecipientFunds } from '@app/domain/recipient';

/**
 * What the grant-funds workflow is told: an event of a grant's end or amount change, with the call
 * it draws on as it stands (plain data, read by the runner). `recipientOrganisationIds`: the grant's
 * network (grantee and partners), whose recipient ledgers count its amount.
 */
export type GrantFundsInput =
  | { type: 'GrantClosed'; data: GrantClosedData; callId: string; call: CallState; recipientOrganisationIds: readonly string[]; now: string }
  | { type: 'GrantTerminated'; data: GrantTerminatedData; callId: string; call: CallState; recipientOrganisationIds: readonly string[]; now: string }
  | { type: 'GrantAmended'; data: GrantAmendedData; callId: string; recipientOrganisationIds: readonly string[]; now: string };

export type GrantFundsOutput =
  | { stream: 'call'; id: string; command: ReleaseFunds | AdjustCommitment }
  | { stream: 'recipient'; id: string; command: AdjustRecipientCommitment | ReleaseUnspentRecipientFunds };

/**
 * Keeps a grant's commitment on its call, and what it counts on each recipient's ledger, in step
 * with the grant after the award, as a pure workflow:
 *
 * - GrantClosed / GrantTerminated with unspent funds → ReleaseFunds of what is unspent (at most what
 *   is still committed). A grant finishes once and nothing else releases a grant's funds, so a
 *   commitment that already shows a release has had this one: a redelivery releases nothing more.
 *   The same unspent amount stops counting on every recipient's ledger (ReleaseUnspentRecipientFunds,
 *   at most what the grant counts there, keyed by the grant end: grantEndAdjustmentId), whatever
 *   the call answered: the ceiling counts what an organisation can have received, and a terminated
 *   grant kept its network's ceilings taken by money it never paid until 2026-12-07. Each ledger's
 *   release does not depend on the call's, so a runner that stopped half-way finishes on
 *   redelivery, and a replay releases nothing twice.
 * - GrantAmended (amount-change) → AdjustCommitment by the difference, keyed by the amendment id
 *   (idempotent in the call decider). An increase was already committed by the amendment handler
 *   before GrantAmended was appended, so the call appends nothing then: this is the backstop. A
 *   decrease is given back here.
 *   The same change moves what the grant counts on each recipient's ledger (recipient-{org}), keyed
 *   by the amendment id too: an increase was counted (and held to the ceiling) by the amendment
 *   handler first, a decrease is counted down here.
 */
export function decideGrantFunds(input: GrantFundsInput): GrantFundsOutput[] {
  switch (input.type) {
    case 'GrantClosed':
    case 'GrantTerminated': {
      const reason = input.type === 'GrantClosed' ? 'Unspent at grant closure' : 'Unspent at grant termination';
      return [...releaseOnCall(input, reason), ...releaseOnRecipients(input, reason)];
    }
    case 'GrantAmended': {
      const { data, callId, recipientOrganisationIds, now } = input;
      if (data.kind !== 'amount-change') return [];
      const changeMinor = data.newAmountMinor - data.previousAmountMinor;
      if (changeMinor === 0) return [];
      const direction = changeMinor > 0 ? 'raised' : 'lowered';
      const reason = `Grant amount ${direction} by amendment ${data.amendmentId}`;
      return [
        {
          stream: 'call',
          id: callId,
          command: {
            type: 'AdjustCommitment',
            data: { callId, grantId: data.grantId, adjustmentId: data.amendmentId, changeMinor, reason },
            now,
          },
        },
        ...recipientOrganisationIds.map((organisationId) => ({
          stream: 'recipient' as const,
          id: organisationId,
          command: { type: 'AdjustRecipientCommitment' as const, data: { organisationId, grantId: data.grantId, adjustmentId: data.amendmentId, changeMinor, reason }, now },
        })),
      ];
    }
    default: {
      const unhandled: never = input;
      throw new Error(`Unhandled grant-funds input ${JSON.stringify(unhandled)}`);
    }
  }
}

type GrantEndInput = Extract<GrantFundsInput, { type: 'GrantClosed' | 'GrantTerminated' }>;

function releaseOnCall({ data, callId, call, now }: GrantEndInput, reason: string): GrantFundsOutput[] {
  if (data.unspentMinor <= 0 || call.status === 'none') return [];
  const commitment = commitmentOf(call, data.grantId);
  if (!commitment || commitment.releasedMinor > 0) return [];
  const amountMinor = Math.min(data.unspentMinor, outstandingMinor(commitment));
  if (amountMinor <= 0) return [];
  return [{ stream: 'call', id: callId, command: { type: 'ReleaseFunds', data: { callId, grantId: data.grantId, amountMinor, reason }, now } }];
}

/** Each ledger decides how much of it the grant still counts (idempotent by the grant end's id). */
function releaseOnRecipients(input: GrantEndInput, reason: string): GrantFundsOutput[] {
  const { data, recipientOrganisationIds, now } = input;
  if (data.unspentMinor <= 0) return [];
  const adjustmentId = grantEndAdjustmentId(input.type === 'GrantClosed' ? 'closure' : 'termination');
  return recipientOrganisationIds.map((organisationId) => ({
    stream: 'recipient' as const,
    id: organisationId,
    command: { type: 'ReleaseUnspentRecipientFunds' as const, data: { organisationId, grantId: data.grantId, adjustmentId, unspentMinor: data.unspentMinor, reason }, now },
  }));
}
