/**
 * Events of the `call-{uuid}` stream. The `type` strings are stored in the log and are part of
 * the public contract: never derive them from class names, never rename them. A change to an
 * event's data shape gets a new schema version in `callEventSchemaVersions` and an upcaster
 * from the old one, applied on read.
 *
 * Conventions shared by every stream:
 * - amounts are integers in minor units (`...Minor`) in the call's ISO 4217 currency;
 * - timestamps are ISO 8601 strings with an offset (the application's clock, never the domain's);
 * - every event carries the id of its stream's subject (`callId`), so a consumer of the global
 *   log does not need to parse stream names.
 */

import { eventTypesOf, isEventOf } from '../shared/stream-kind';

/** One scoring criterion. A proposal's score is sum(score / maxScore * weight) over all criteria. */
export interface ScoringCriterion {
  id: string;
  name: string;
  description?: string;
  /** Integer percentage; the weights of a call's criteria sum to 100. */
  weight: number;
  /** Reviewers score this criterion with an integer in [0, maxScore]. */
  maxScore: number;
}

export interface CallDraftedData {
  callId: string;
  programme: string;
  title: string;
  description: string;
  /** ISO 4217 code, e.g. EUR. */
  currency: string;
  budgetMinor: number;
  minAwardMinor: number;
  maxAwardMinor: number;
  /** ISO 3166-1 alpha-2 codes of the countries a network's lead may be based in, e.g. LB, PS, MA, TN. */
  eligibleCountries: string[];
  /**
   * Minimum number of organisations in a network, the lead INCLUDED:
   * 3 means the lead plus at least two partners; 1 lets a lead apply alone.
   */
  minPartners: number;
  criteria: ScoringCriterion[];
  /** Reviews each proposal needs before a funding decision. */
  reviewsRequired: number;
  /**
   * The ceiling per recipient this call holds its awards to (what one organisation may be awarded
   * across the programme, in this currency). Absent: the programme's configured ceiling applies.
   * Added without a new schema version: calls drafted before it simply lack it.
   */
  recipientCeilingMinor?: number;
  /** Submission window start (inclusive). */
  opensAt: string;
  /** Submission deadline (inclusive) as drafted; later extensions move the call's current deadline. */
  closesAt: string;
  draftedAt: string;
}

export interface CallPublishedData {
  callId: string;
  publishedAt: string;
}

export interface CallDeadlineExtendedData {
  callId: string;
  previousClosesAt: string;
  newClosesAt: string;
  reason: string;
  extendedAt: string;
}

export interface CallClosedData {
  callId: string;
  closedAt: string;
  /** Present whenever the call was closed before its deadline (required then), optional after it. */
  reason?: string;
}

export interface CallCancelledData {
  callId: string;
  reason: string;
  cancelledAt: string;
}

export interface FundsCommittedData {
  callId: string;
  grantId: string;
  proposalId: string;
  amountMinor: number;
  committedAt: string;
}

export interface FundsReleasedData {
  callId: string;
  grantId: string;
  amountMinor: number;
  reason: string;
  releasedAt: string;
}

/** A grant's commitment moved after the award, e.g. by an amount-change amendment. */
export interface CommitmentAdjustedData {
  callId: string;
  grantId: string;
  /** Unique per grant: the amendment id, or `{amendmentId}:reverted` for a compensation. */
  adjustmentId: string;
  /** Positive: more committed; negative: given back to the budget. Never zero. */
  changeMinor: number;
  /** The grant's commitment after the adjustment (before any release). */
  amountMinor: number;
  reason: string;
  adjustedAt: string;
}

export type CallDrafted = { type: 'CallDrafted'; data: CallDraftedData };
export type CallPublished = { type: 'CallPublished'; data: CallPublishedData };
export type CallDeadlineExtended = { type: 'CallDeadlineExtended'; data: CallDeadlineExtendedData };
export type CallClosed = { type: 'CallClosed'; data: CallClosedData };
export type CallCancelled = { type: 'CallCancelled'; data: CallCancelledData };
export type FundsCommitted = { type: 'FundsCommitted'; data: FundsCommittedData };
export type FundsReleased = { type: 'FundsReleased'; data: FundsReleasedData };
export type CommitmentAdjusted = { type: 'CommitmentAdjusted'; data: CommitmentAdjustedData };

export type CallEvent =
  | CallDrafted
  | CallPublished
  | CallDeadlineExtended
  | CallClosed
  | CallCancelled
  | FundsCommitted
  | FundsReleased
  | CommitmentAdjusted;

export type CallEventType = CallEvent['type'];

/**
 * Schema version stored with each event type. A change to a data shape bumps it and registers an
 * upcaster from the previous version with this stream's schema versions (SchemaRegistry refuses to
 * start without one; see proposal.upcasters.ts for an example); the codec upcasts on read.
 */
export const callEventSchemaVersions: Readonly<Record<CallEventType, number>> = {
  CallDrafted: 1,
  CallPublished: 1,
  CallDeadlineExtended: 1,
  CallClosed: 1,
  CallCancelled: 1,
  FundsCommitted: 1,
  FundsReleased: 1,
  CommitmentAdjusted: 1,
};

/** Every event type of the call stream, e.g. for a read-model's event filter or the event catalogue. */
export const CALL_EVENT_TYPES = eventTypesOf(callEventSchemaVersions);

export function isCallEvent(event: { type: string }): event is CallEvent {
  return isEventOf(callEventSchemaVersions, event);
}

export const CALL_STREAM_PREFIX = 'call-';

/** The stream a call's events live in: `call-{uuid}`. */
export function callStreamName(callId: string): string {
  return `${CALL_STREAM_PREFIX}${callId}`;
}
