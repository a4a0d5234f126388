import type { RuleViolationClass } from '../shared/rule-violations';
import type { CallCommand } from './call.commands';
import {
  AwardOutsideRange,
  BudgetExceeded,
  CallHasCommittedFunds,
  CommitmentNotFound,
  ConflictingCommitment,
  DeadlineNotLater,
  DeadlinePassed,
  InvalidAmount,
  InvalidAwardRange,
  InvalidBudget,
  InvalidCommitmentAdjustment,
  InvalidCriteriaWeights,
  InvalidCurrency,
  InvalidEligibleCountries,
  InvalidMinPartners,
  InvalidRecipientCeiling,
  RecipientCeilingRequired,
  InvalidReviewsRequired,
  InvalidScoringCriteria,
  InvalidSubmissionWindow,
  InvalidTimestamp,
  MissingCallDetails,
  ReasonRequired,
  ReleaseExceedsCommitment,
} from './call.errors';

/**
 * The business rules (HTTP 422, `rule` in the problem body) each call command's decider can
 * break, for the API documentation. Kept equal to the decider by shared/command-rules.spec.ts,
 * which reads decide's code paths: a rule listed is reachable for that command, not in every state.
 */
export const callCommandRules: Readonly<Record<CallCommand['type'], readonly RuleViolationClass[]>> = {
  DraftCall: [InvalidAwardRange, InvalidBudget, InvalidCriteriaWeights, InvalidCurrency, InvalidEligibleCountries, InvalidMinPartners, InvalidRecipientCeiling, InvalidReviewsRequired, InvalidScoringCriteria, InvalidSubmissionWindow, InvalidTimestamp, MissingCallDetails, RecipientCeilingRequired],
  PublishCall: [DeadlinePassed, InvalidTimestamp],
  ExtendCallDeadline: [DeadlineNotLater, DeadlinePassed, InvalidTimestamp, ReasonRequired],
  CloseCall: [InvalidTimestamp, ReasonRequired],
  CancelCall: [CallHasCommittedFunds, ReasonRequired],
  CommitFunds: [AwardOutsideRange, BudgetExceeded, ConflictingCommitment, InvalidAmount],
  ReleaseFunds: [CommitmentNotFound, InvalidAmount, ReasonRequired, ReleaseExceedsCommitment],
  AdjustCommitment: [BudgetExceeded, CommitmentNotFound, InvalidCommitmentAdjustment, MissingCallDetails, ReasonRequired, ReleaseExceedsCommitment],
};
