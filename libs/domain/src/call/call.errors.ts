import { DomainRuleViolation } from '../shared/decider';

/**
 * The call's business rules, one class per rule. Each maps to HTTP 422 through DomainRuleViolation;
 * `rule` is a stable code for clients and problem details (also available statically, e.g.
 * `BudgetExceeded.rule`). Tests assert the class, never the message.
 */

export class MissingCallDetails extends DomainRuleViolation {
  static readonly rule = 'call.details.required';
  constructor(message: string) {
    super(MissingCallDetails.rule, message);
  }
}

export class InvalidCurrency extends DomainRuleViolation {
  static readonly rule = 'call.currency.invalid';
  constructor(readonly currency: string) {
    super(InvalidCurrency.rule, `Currency must be an ISO 4217 code, got ${JSON.stringify(currency)}`);
  }
}

export class InvalidBudget extends DomainRuleViolation {
  static readonly rule = 'call.budget.invalid';
  constructor(readonly budgetMinor: number) {
    super(InvalidBudget.rule, `Budget must be a positive integer of minor units, got ${budgetMinor}`);
  }
}

export class InvalidAwardRange extends DomainRuleViolation {
  static readonly rule = 'call.award-range.invalid';
  constructor(message: string) {
    super(InvalidAwardRange.rule, message);
  }
}

export class InvalidEligibleCountries extends DomainRuleViolation {
  static readonly rule = 'call.eligible-countries.invalid';
  constructor(message: string) {
    super(InvalidEligibleCountries.rule, message);
  }
}

export class InvalidMinPartners extends DomainRuleViolation {
  static readonly rule = 'call.min-partners.invalid';
  constructor(readonly minPartners: number) {
    super(InvalidMinPartners.rule, `Minimum partners per network must be an integer >= 1, got ${minPartners}`);
  }
}

/** Missing criteria, blank or duplicate ids, blank names, or a max score that is not a positive integer. */
export class InvalidScoringCriteria extends DomainRuleViolation {
  static readonly rule = 'call.criteria.invalid';
  constructor(message: string) {
    super(InvalidScoringCriteria.rule, message);
  }
}

/** A weight that is not a positive integer, or weights that do not sum to 100. */
export class InvalidCriteriaWeights extends DomainRuleViolation {
  static readonly rule = 'call.criteria.weights.invalid';
  constructor(message: string) {
    super(InvalidCriteriaWeights.rule, message);
  }
}

export class InvalidReviewsRequired extends DomainRuleViolation {
  static readonly rule = 'call.reviews-required.invalid';
  constructor(readonly reviewsRequired: number) {
    super(InvalidReviewsRequired.rule, `Reviews required must be an integer >= 1, got ${reviewsRequired}`);
  }
}

export class InvalidTimestamp extends DomainRuleViolation {
  static readonly rule = 'call.timestamp.invalid';
  constructor(
    readonly field: string,
    readonly value: string,
  ) {
    super(InvalidTimestamp.rule, `${field} must be an ISO 8601 date-time with offset, got ${JSON.stringify(value)}`);
  }
}

export class InvalidSubmissionWindow extends DomainRuleViolation {
  static readonly rule = 'call.submission-window.invalid';
  constructor(
    readonly opensAt: string,
    readonly closesAt: string,
  ) {
    super(InvalidSubmissionWindow.rule, `The call must open before it closes (opensAt ${opensAt}, closesAt ${closesAt})`);
  }
}

/** The current deadline has already passed: too late to publish the call or to extend its deadline. */
export class DeadlinePassed extends DomainRuleViolation {
  static readonly rule = 'call.deadline.passed';
  constructor(
    readonly closesAt: string,
    readonly now: string,
  ) {
    super(DeadlinePassed.rule, `The call's deadline ${closesAt} has passed (now ${now})`);
  }
}

export class DeadlineNotLater extends DomainRuleViolation {
  static readonly rule = 'call.deadline-extension.not-later';
  constructor(
    readonly currentClosesAt: string,
    readonly newClosesAt: string,
  ) {
    super(DeadlineNotLater.rule, `A new deadline must be later than the current one (${currentClosesAt}), got ${newClosesAt}`);
  }
}

/** Extending the deadline, closing early, cancelling and releasing funds each need a stated reason. */
export class ReasonRequired extends DomainRuleViolation {
  static readonly rule = 'call.reason.required';
  constructor(readonly action: string) {
    super(ReasonRequired.rule, `A reason is required to ${action}`);
  }
}

export class CallHasCommittedFunds extends DomainRuleViolation {
  static readonly rule = 'call.cancel.funds-committed';
  constructor(readonly committedMinor: number) {
    super(CallHasCommittedFunds.rule, `Cannot cancel a call with ${committedMinor} minor units committed; release them first`);
  }
}

export class InvalidAmount extends DomainRuleViolation {
  static readonly rule = 'call.amount.invalid';
  constructor(readonly amountMinor: number) {
    super(InvalidAmount.rule, `Amount must be a positive integer of minor units, got ${amountMinor}`);
  }
}

export class AwardOutsideRange extends DomainRuleViolation {
  static readonly rule = 'call.commitment.outside-award-range';
  constructor(
    readonly amountMinor: number,
    readonly minAwardMinor: number,
    readonly maxAwardMinor: number,
  ) {
    super(AwardOutsideRange.rule, `Award ${amountMinor} is outside the call's range [${minAwardMinor}, ${maxAwardMinor}]`);
  }
}

/** The budget invariant: funds committed under a call never exceed its budget. */
export class BudgetExceeded extends DomainRuleViolation {
  static readonly rule = 'call.budget.exceeded';
  constructor(
    readonly budgetMinor: number,
    readonly committedMinor: number,
    readonly requestedMinor: number,
  ) {
    super(
      BudgetExceeded.rule,
      `Committing ${requestedMinor} would exceed the budget: ${committedMinor} of ${budgetMinor} already committed`,
    );
  }
}

/** The grant already has a different commitment, or the proposal is already funded under another grant. */
export class ConflictingCommitment extends DomainRuleViolation {
  static readonly rule = 'call.commitment.conflict';
  constructor(message: string) {
    super(ConflictingCommitment.rule, message);
  }
}

export class CommitmentNotFound extends DomainRuleViolation {
  static readonly rule = 'call.commitment.not-found';
  constructor(readonly grantId: string) {
    super(CommitmentNotFound.rule, `No funds are committed for grant ${grantId}`);
  }
}

export class ReleaseExceedsCommitment extends DomainRuleViolation {
  static readonly rule = 'call.release.exceeds-commitment';
  constructor(
    readonly grantId: string,
    readonly outstandingMinor: number,
    readonly requestedMinor: number,
  ) {
    super(
      ReleaseExceedsCommitment.rule,
      `Cannot release ${requestedMinor} for grant ${grantId}: only ${outstandingMinor} is still committed`,
    );
  }
}

/** An adjustment's change is a non-zero integer of minor units. */
export class InvalidCommitmentAdjustment extends DomainRuleViolation {
  static readonly rule = 'call.commitment.adjustment-invalid';
  constructor(readonly changeMinor: number) {
    super(InvalidCommitmentAdjustment.rule, `A commitment adjustment must be a non-zero integer of minor units, got ${changeMinor}`);
  }
}

/**
 * A call that states no ceiling per recipient is held to the one configured for its programme: the
 * call must state its own when that one is in another currency (6,000,000 minor units are EUR 60,000
 * but JPY 6,000,000 and LBP 60,000).
 */
export class RecipientCeilingRequired extends DomainRuleViolation {
  static readonly rule = 'call.recipient-ceiling.required';
  constructor(reason: string) {
    super(RecipientCeilingRequired.rule, `${reason}: state recipientCeilingMinor, in minor units of the call's currency`);
  }
}

/** A call's ceiling per recipient, when it states one, is a positive integer of minor units, at least the call's maximum award. */
export class InvalidRecipientCeiling extends DomainRuleViolation {
  static readonly rule = 'call.recipient-ceiling.invalid';
  constructor(
    readonly recipientCeilingMinor: number,
    readonly maxAwardMinor: number,
  ) {
    super(InvalidRecipientCeiling.rule, `The ceiling per recipient must be a positive integer of minor units, at least the maximum award ${maxAwardMinor}, got ${recipientCeilingMinor}`);
  }
}
