/**
 * Events of the `recipient-{organisationId}` stream: what one organisation has been awarded across
 * the whole programme, the ledger the ceiling per recipient (EU rules on financial support to third
 * parties) is decided on. The `type` strings are stored in the log: never rename them. A change to a
 * data shape gets a new schema version in `recipientEventSchemaVersions` and an upcaster.
 *
 * Amounts are integers in minor units of `currency`. Totals and ceilings are per programme and per
 * currency: amounts in different currencies are never added up (no exchange rate is assumed).
 */

import { eventTypesOf, isEventOf } from '../shared/stream-kind';

/** How the organisation takes part in the awarded network. */
export type RecipientRole = 'lead' | 'partner';

export interface RecipientFundsCommittedData {
  organisationId: string;
  grantId: string;
  proposalId: string;
  callId: string;
  /** The call's programme: the ceiling holds across the calls of one programme. */
  programme: string;
  /** ISO 4217, the call's currency. */
  currency: string;
  role: RecipientRole;
  /** What counts towards this organisation for the grant (see recipientsOfAward). */
  amountMinor: number;
  /** The ceiling the commitment was held to (the call's term, else the programme's, else the default). */
  ceilingMinor: number;
  /** The organisation's total in this programme and currency, this commitment included. */
  totalMinor: number;
  committedAt: string;
  /**
   * Counted after the fact: the grant was awarded before the ledger existed, so it was not held to
   * the ceiling (and the total may pass it); later awards and increases are.
   */
  recordedAfterAward?: true;
  /** With recordedAfterAward: the grant's amendments already reflected in `amountMinor` (a later adjustment by one of them counts nothing). */
  adjustmentIds?: string[];
}

/**
 * The ledger refused to count a grant: the organisation's total would have passed the ceiling. Recorded
 * (not only answered) so that every later attempt for this grant — a redelivery, a second worker —
 * gets the same answer, even if room opens up meanwhile: the award's outcome is decided once.
 */
export interface RecipientFundsRefusedData {
  organisationId: string;
  grantId: string;
  proposalId: string;
  callId: string;
  programme: string;
  currency: string;
  role: RecipientRole;
  amountMinor: number;
  ceilingMinor: number;
  /** The organisation's total when the grant was refused (without it). */
  totalMinor: number;
  refusedAt: string;
}

/** A commitment withdrawn: the award it belonged to was refused elsewhere (the call, another recipient). */
export interface RecipientFundsReleasedData {
  organisationId: string;
  grantId: string;
  /** What the commitment counted, now no longer counted. */
  amountMinor: number;
  reason: string;
  /** The organisation's total in the grant's programme and currency after the release. */
  totalMinor: number;
  releasedAt: string;
}

/**
 * A grant's amount changed by an amendment (or the compensation of one that was not recorded), or
 * the grant ended with money unspent, which no longer counts (ReleaseUnspentRecipientFunds).
 */
export interface RecipientCommitmentAdjustedData {
  organisationId: string;
  grantId: string;
  /**
   * Unique per grant: the amendment id, `{amendmentId}:reverted` for a compensation, or
   * `unspent-at-closure` / `unspent-at-termination` for what the grant's end left unspent.
   */
  adjustmentId: string;
  /** Positive: more counted; negative: less. Never zero. */
  changeMinor: number;
  /** What the commitment counts after the adjustment. */
  amountMinor: number;
  /** The ceiling an increase was held to (the one recorded with the commitment). */
  ceilingMinor: number;
  totalMinor: number;
  reason: string;
  adjustedAt: string;
}

export type RecipientFundsCommitted = { type: 'RecipientFundsCommitted'; data: RecipientFundsCommittedData };
export type RecipientFundsRefused = { type: 'RecipientFundsRefused'; data: RecipientFundsRefusedData };
export type RecipientFundsReleased = { type: 'RecipientFundsReleased'; data: RecipientFundsReleasedData };
export type RecipientCommitmentAdjusted = { type: 'RecipientCommitmentAdjusted'; data: RecipientCommitmentAdjustedData };

export type RecipientEvent = RecipientFundsCommitted | RecipientFundsRefused | RecipientFundsReleased | RecipientCommitmentAdjusted;

export type RecipientEventType = RecipientEvent['type'];

/** Schema version stored with each event type (see callEventSchemaVersions). */
export const recipientEventSchemaVersions: Readonly<Record<RecipientEventType, number>> = {
  RecipientFundsCommitted: 1,
  RecipientFundsRefused: 1,
  RecipientFundsReleased: 1,
  RecipientCommitmentAdjusted: 1,
};

export const RECIPIENT_EVENT_TYPES = eventTypesOf(recipientEventSchemaVersions);

export function isRecipientEvent(event: { type: string }): event is RecipientEvent {
  return isEventOf(recipientEventSchemaVersions, event);
}

export const RECIPIENT_STREAM_PREFIX = 'recipient-';

/** The stream of one organisation's awards across the programme: `recipient-{organisationId}`. */
export function recipientStreamName(organisationId: string): string {
  return `${RECIPIENT_STREAM_PREFIX}${organisationId}`;
}
