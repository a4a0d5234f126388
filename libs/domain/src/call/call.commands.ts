import type { ScoringCriterion } from './call.events';

/**
 * Commands for the `call-{uuid}` stream. Every command names its call (`data.callId`) and carries
 * `now`: an ISO timestamp the application takes from its injected clock, so `decide` stays pure
 * and a replay of the same inputs gives the same events.
 */

export interface DraftCallData {
  callId: string;
  programme: string;
  title: string;
  description: string;
  currency: string;
  budgetMinor: number;
  minAwardMinor: number;
  maxAwardMinor: number;
  eligibleCountries: string[];
  /** Minimum organisations per network, the lead included (see CallDraftedData.minPartners). */
  minPartners: number;
  criteria: ScoringCriterion[];
  reviewsRequired: number;
  /** The ceiling per recipient for this call's awards; absent: the programme's (see CallDraftedData). */
  recipientCeilingMinor?: number;
  opensAt: string;
  closesAt: string;
}

export type DraftCall = {
  type: 'DraftCall';
  data: DraftCallData;
  now: string;
  /**
   * The ceiling per recipient the configuration gives the call's programme, and its currency (added
   * by the application, as `now` is): a call that states no ceiling of its own is held to it, so it
   * must be in the call's currency and at least its maximum award.
   */
  configuredRecipientCeiling?: { currency: string; minor: number };
};
export type PublishCall = { type: 'PublishCall'; data: { callId: string }; now: string };
export type ExtendCallDeadline = {
  type: 'ExtendCallDeadline';
  data: { callId: string; newClosesAt: string; reason: string };
  now: string;
};
export type CloseCall = { type: 'CloseCall'; data: { callId: string; reason?: string }; now: string };
export type CancelCall = { type: 'CancelCall'; data: { callId: string; reason: string }; now: string };
export type CommitFunds = {
  type: 'CommitFunds';
  data: { callId: string; grantId: string; proposalId: string; amountMinor: number };
  now: string;
};
export type ReleaseFunds = {
  type: 'ReleaseFunds';
  data: { callId: string; grantId: string; amountMinor: number; reason: string };
  now: string;
};

/**
 * Moves a grant's commitment by `changeMinor` (positive: more committed, negative: given back), e.g.
 * for an amount-change amendment. `adjustmentId` makes it idempotent: the amendment id, or a
 * derived id for a compensation (`{amendmentId}:reverted`).
 */
export type AdjustCommitment = {
  type: 'AdjustCommitment';
  data: { callId: string; grantId: string; adjustmentId: string; changeMinor: number; reason: string };
  now: string;
};

export type CallCommand =
  | DraftCall
  | PublishCall
  | ExtendCallDeadline
  | CloseCall
  | CancelCall
  | CommitFunds
  | ReleaseFunds
  | AdjustCommitment;

export type CallCommandType = CallCommand['type'];
