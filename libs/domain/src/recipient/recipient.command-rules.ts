import type { RuleViolationClass } from '../shared/rule-violations';
import type { RecipientCommand } from './recipient.commands';
import {
  InvalidRecipientAmount,
  InvalidRecipientCeiling,
  MissingRecipientDetails,
  RecipientCeilingExceeded,
  RecipientCommitmentConflict,
  RecipientCommitmentNotFound,
} from './recipient.errors';

/**
 * The rules (HTTP 422, `rule` in the problem body) each recipient command's decider can break.
 * Kept equal to the decider by shared/command-rules.spec.ts. No route sends these commands; the
 * API lists them where they surface (an award's outcome, an amendment's answer); the grant-funds
 * process manager sends ReleaseUnspentRecipientFunds when a grant ends.
 */
export const recipientCommandRules: Readonly<Record<RecipientCommand['type'], readonly RuleViolationClass[]>> = {
  CommitRecipientFunds: [InvalidRecipientAmount, InvalidRecipientCeiling, MissingRecipientDetails, RecipientCeilingExceeded, RecipientCommitmentConflict],
  RecordAwardedGrant: [InvalidRecipientAmount, InvalidRecipientCeiling, MissingRecipientDetails],
  ReleaseRecipientFunds: [MissingRecipientDetails],
  AdjustRecipientCommitment: [InvalidRecipientAmount, MissingRecipientDetails, RecipientCeilingExceeded, RecipientCommitmentConflict, RecipientCommitmentNotFound],
  ReleaseUnspentRecipientFunds: [InvalidRecipientAmount, MissingRecipientDetails],
};
