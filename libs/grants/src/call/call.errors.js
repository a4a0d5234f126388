"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ReleaseExceedsCommitment = exports.CommitmentNotFound = exports.ConflictingCommitment = exports.BudgetExceeded = exports.AwardOutsideRange = exports.InvalidAmount = exports.CallHasCommittedFunds = exports.ReasonRequired = exports.DeadlineNotLater = exports.DeadlinePassed = exports.InvalidSubmissionWindow = exports.InvalidTimestamp = exports.InvalidReviewsRequired = exports.InvalidCriteriaWeights = exports.InvalidScoringCriteria = exports.InvalidMinPartners = exports.InvalidEligibleCountries = exports.InvalidAwardRange = exports.InvalidBudget = exports.InvalidCurrency = exports.MissingCallDetails = void 0;
const decider_1 = require("../shared/decider");
class MissingCallDetails extends decider_1.DomainRuleViolation {
    static rule = 'call.details.required';
    constructor(message) {
        super(MissingCallDetails.rule, message);
    }
}
exports.MissingCallDetails = MissingCallDetails;
class InvalidCurrency extends decider_1.DomainRuleViolation {
    currency;
    static rule = 'call.currency.invalid';
    constructor(currency) {
        super(InvalidCurrency.rule, `Currency must be an ISO 4217 code, got ${JSON.stringify(currency)}`);
        this.currency = currency;
    }
}
exports.InvalidCurrency = InvalidCurrency;
class InvalidBudget extends decider_1.DomainRuleViolation {
    budgetMinor;
    static rule = 'call.budget.invalid';
    constructor(budgetMinor) {
        super(InvalidBudget.rule, `Budget must be a positive integer of minor units, got ${budgetMinor}`);
        this.budgetMinor = budgetMinor;
    }
}
exports.InvalidBudget = InvalidBudget;
class InvalidAwardRange extends decider_1.DomainRuleViolation {
    static rule = 'call.award-range.invalid';
    constructor(message) {
        super(InvalidAwardRange.rule, message);
    }
}
exports.InvalidAwardRange = InvalidAwardRange;
class InvalidEligibleCountries extends decider_1.DomainRuleViolation {
    static rule = 'call.eligible-countries.invalid';
    constructor(message) {
        super(InvalidEligibleCountries.rule, message);
    }
}
exports.InvalidEligibleCountries = InvalidEligibleCountries;
class InvalidMinPartners extends decider_1.DomainRuleViolation {
    minPartners;
    static rule = 'call.min-partners.invalid';
    constructor(minPartners) {
        super(InvalidMinPartners.rule, `Minimum partners per network must be an integer >= 1, got ${minPartners}`);
        this.minPartners = minPartners;
    }
}
exports.InvalidMinPartners = InvalidMinPartners;
class InvalidScoringCriteria extends decider_1.DomainRuleViolation {
    static rule = 'call.criteria.invalid';
    constructor(message) {
        super(InvalidScoringCriteria.rule, message);
    }
}
exports.InvalidScoringCriteria = InvalidScoringCriteria;
class InvalidCriteriaWeights extends decider_1.DomainRuleViolation {
    static rule = 'call.criteria.weights.invalid';
    constructor(message) {
        super(InvalidCriteriaWeights.rule, message);
    }
}
exports.InvalidCriteriaWeights = InvalidCriteriaWeights;
class InvalidReviewsRequired extends decider_1.DomainRuleViolation {
    reviewsRequired;
    static rule = 'call.reviews-required.invalid';
    constructor(reviewsRequired) {
        super(InvalidReviewsRequired.rule, `Reviews required must be an integer >= 1, got ${reviewsRequired}`);
        this.reviewsRequired = reviewsRequired;
    }
}
exports.InvalidReviewsRequired = InvalidReviewsRequired;
class InvalidTimestamp extends decider_1.DomainRuleViolation {
    field;
    value;
    static rule = 'call.timestamp.invalid';
    constructor(field, value) {
        super(InvalidTimestamp.rule, `${field} must be an ISO 8601 date-time with offset, got ${JSON.stringify(value)}`);
        this.field = field;
        this.value = value;
    }
}
exports.InvalidTimestamp = InvalidTimestamp;
class InvalidSubmissionWindow extends decider_1.DomainRuleViolation {
    opensAt;
    closesAt;
    static rule = 'call.submission-window.invalid';
    constructor(opensAt, closesAt) {
        super(InvalidSubmissionWindow.rule, `The call must open before it closes (opensAt ${opensAt}, closesAt ${closesAt})`);
        this.opensAt = opensAt;
        this.closesAt = closesAt;
    }
}
exports.InvalidSubmissionWindow = InvalidSubmissionWindow;
class DeadlinePassed extends decider_1.DomainRuleViolation {
    closesAt;
    now;
    static rule = 'call.deadline.passed';
    constructor(closesAt, now) {
        super(DeadlinePassed.rule, `The call's deadline ${closesAt} has passed (now ${now})`);
        this.closesAt = closesAt;
        this.now = now;
    }
}
exports.DeadlinePassed = DeadlinePassed;
class DeadlineNotLater extends decider_1.DomainRuleViolation {
    currentClosesAt;
    newClosesAt;
    static rule = 'call.deadline-extension.not-later';
    constructor(currentClosesAt, newClosesAt) {
        super(DeadlineNotLater.rule, `A new deadline must be later than the current one (${currentClosesAt}), got ${newClosesAt}`);
        this.currentClosesAt = currentClosesAt;
        this.newClosesAt = newClosesAt;
    }
}
exports.DeadlineNotLater = DeadlineNotLater;
class ReasonRequired extends decider_1.DomainRuleViolation {
    action;
    static rule = 'call.reason.required';
    constructor(action) {
        super(ReasonRequired.rule, `A reason is required to ${action}`);
        this.action = action;
    }
}
exports.ReasonRequired = ReasonRequired;
class CallHasCommittedFunds extends decider_1.DomainRuleViolation {
    committedMinor;
    static rule = 'call.cancel.funds-committed';
    constructor(committedMinor) {
        super(CallHasCommittedFunds.rule, `Cannot cancel a call with ${committedMinor} minor units committed; release them first`);
        this.committedMinor = committedMinor;
    }
}
exports.CallHasCommittedFunds = CallHasCommittedFunds;
class InvalidAmount extends decider_1.DomainRuleViolation {
    amountMinor;
    static rule = 'call.amount.invalid';
    constructor(amountMinor) {
        super(InvalidAmount.rule, `Amount must be a positive integer of minor units, got ${amountMinor}`);
        this.amountMinor = amountMinor;
    }
}
exports.InvalidAmount = InvalidAmount;
class AwardOutsideRange extends decider_1.DomainRuleViolation {
    amountMinor;
    minAwardMinor;
    maxAwardMinor;
    static rule = 'call.commitment.outside-award-range';
    constructor(amountMinor, minAwardMinor, maxAwardMinor) {
        super(AwardOutsideRange.rule, `Award ${amountMinor} is outside the call's range [${minAwardMinor}, ${maxAwardMinor}]`);
        this.amountMinor = amountMinor;
        this.minAwardMinor = minAwardMinor;
        this.maxAwardMinor = maxAwardMinor;
    }
}
exports.AwardOutsideRange = AwardOutsideRange;
class BudgetExceeded extends decider_1.DomainRuleViolation {
    budgetMinor;
    committedMinor;
    requestedMinor;
    static rule = 'call.budget.exceeded';
    constructor(budgetMinor, committedMinor, requestedMinor) {
        super(BudgetExceeded.rule, `Committing ${requestedMinor} would exceed the budget: ${committedMinor} of ${budgetMinor} already committed`);
        this.budgetMinor = budgetMinor;
        this.committedMinor = committedMinor;
        this.requestedMinor = requestedMinor;
    }
}
exports.BudgetExceeded = BudgetExceeded;
class ConflictingCommitment extends decider_1.DomainRuleViolation {
    static rule = 'call.commitment.conflict';
    constructor(message) {
        super(ConflictingCommitment.rule, message);
    }
}
exports.ConflictingCommitment = ConflictingCommitment;
class CommitmentNotFound extends decider_1.DomainRuleViolation {
    grantId;
    static rule = 'call.commitment.not-found';
    constructor(grantId) {
        super(CommitmentNotFound.rule, `No funds are committed for grant ${grantId}`);
        this.grantId = grantId;
    }
}
exports.CommitmentNotFound = CommitmentNotFound;
class ReleaseExceedsCommitment extends decider_1.DomainRuleViolation {
    grantId;
    outstandingMinor;
    requestedMinor;
    static rule = 'call.release.exceeds-commitment';
    constructor(grantId, outstandingMinor, requestedMinor) {
        super(ReleaseExceedsCommitment.rule, `Cannot release ${requestedMinor} for grant ${grantId}: only ${outstandingMinor} is still committed`);
        this.grantId = grantId;
        this.outstandingMinor = outstandingMinor;
        this.requestedMinor = requestedMinor;
    }
}
exports.ReleaseExceedsCommitment = ReleaseExceedsCommitment;
//# sourceMappingURL=call.errors.js.map