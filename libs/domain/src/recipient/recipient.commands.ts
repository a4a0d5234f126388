import type { RecipientRole } from './recipient.events';

/**
 * Commands for the `recipient-{organisationId}` stream, sent by the award process manager and the
 * amendment handler (never over HTTP). Each carries `now` and the facts it is decided on (the
 * programme, the currency, the ceiling) as plain data.
 */

/** Counts `amountMinor` of a grant towards the organisation, if its total stays within `ceilingMinor`. Idempotent per grant. */
export type CommitRecipientFunds = {
  type: 'CommitRecipientFunds';
  data: {
    organisationId: string;
    grantId: string;
    proposalId: string;
    callId: string;
    programme: string;
    currency: string;
    role: RecipientRole;
    amountMinor: number;
    ceilingMinor: number;
  };
  now: string;
};

/**
 * Counts a grant awarded before the ledger existed, as it stands now (amendments included): a fact,
 * so it is not held to the ceiling. Idempotent: a grant the ledger already knows appends nothing.
 */
export type RecordAwardedGrant = {
  type: 'RecordAwardedGrant';
  /** `adjustmentIds`: the grant's amendments already reflected in `amountMinor`. */
  data: CommitRecipientFunds['data'] & { adjustmentIds: string[] };
  now: string;
};

/** Stops counting a grant whose award was refused elsewhere. Nothing to release (none, or already released): nothing happens. */
export type ReleaseRecipientFunds = {
  type: 'ReleaseRecipientFunds';
  data: { organisationId: string; grantId: string; reason: string };
  now: string;
};

/** Moves what a grant counts by `changeMinor`; idempotent per `adjustmentId` (see AdjustCommitment on the call). */
export type AdjustRecipientCommitment = {
  type: 'AdjustRecipientCommitment';
  data: { organisationId: string; grantId: string; adjustmentId: string; changeMinor: number; reason: string };
  now: string;
};

/**
 * A grant ended (closed or terminated) with money unspent: what it counts comes down by
 * `unspentMinor` (at most to nothing), as the call's commitment does (ReleaseFunds). The ceiling
 * counts what an organisation can have received, and money the grant never paid was not received.
 * Idempotent per `adjustmentId` (one per grant end: grantEndAdjustmentId), recorded as a
 * RecipientCommitmentAdjusted like an amendment's decrease.
 */
export type ReleaseUnspentRecipientFunds = {
  type: 'ReleaseUnspentRecipientFunds';
  data: { organisationId: string; grantId: string; adjustmentId: string; unspentMinor: number; reason: string };
  now: string;
};

export type RecipientCommand = CommitRecipientFunds | RecordAwardedGrant | ReleaseRecipientFunds | AdjustRecipientCommitment | ReleaseUnspentRecipientFunds;

export type RecipientCommandType = RecipientCommand['type'];
