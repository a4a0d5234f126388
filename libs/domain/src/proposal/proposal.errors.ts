import { DomainRuleViolation, InvalidStateTransition } from '../shared/decider';

/**
 * The proposal's business rules, one class per rule. Each maps to HTTP 422 through DomainRuleViolation;
 * `rule` is a stable code for clients and problem details (also static, e.g. `TooFewPartners.rule`).
 * Tests assert the class, never the message.
 */

/**
 * A submitted proposal is frozen: revisions, partner changes and re-submission are refused (HTTP 409,
 * it is a state conflict); only a clarification answer changes submitted content.
 */
export class ProposalFrozen extends InvalidStateTransition {
  static readonly rule = 'proposal.frozen';
  readonly rule = ProposalFrozen.rule;
  constructor(currentStatus: string, attempted: string) {
    super(currentStatus, attempted);
  }
}

/** The call snapshot on the command is not the proposal's call. */
export class CallMismatch extends DomainRuleViolation {
  static readonly rule = 'proposal.call.mismatch';
  constructor(readonly expectedCallId: string, readonly givenCallId: string) {
    super(CallMismatch.rule, `The proposal belongs to call ${expectedCallId}, not ${givenCallId}`);
  }
}

export class CallNotPublished extends DomainRuleViolation {
  static readonly rule = 'proposal.call.not-published';
  constructor(readonly callStatus: string) {
    super(CallNotPublished.rule, `Proposals can be drafted and submitted only while the call is published (it is ${callStatus})`);
  }
}

/** `now` before the call opens or after its (possibly extended) deadline. */
export class OutsideSubmissionWindow extends DomainRuleViolation {
  static readonly rule = 'proposal.call.outside-window';
  constructor(readonly now: string, readonly opensAt: string, readonly closesAt: string) {
    super(OutsideSubmissionWindow.rule, `${now} is outside the submission window [${opensAt}, ${closesAt}]`);
  }
}

/** A blank title, summary or policy issue. */
export class MissingProposalDetails extends DomainRuleViolation {
  static readonly rule = 'proposal.details.required';
  constructor(readonly field: string) {
    super(MissingProposalDetails.rule, `${field} must not be empty`);
  }
}

export class CurrencyMismatch extends DomainRuleViolation {
  static readonly rule = 'proposal.currency.mismatch';
  constructor(readonly currency: string, readonly callCurrency: string) {
    super(CurrencyMismatch.rule, `The proposal must be in the call's currency ${callCurrency}, got ${currency}`);
  }
}

/** Not an integer, or outside the call's [minAward, maxAward]. */
export class RequestedAmountOutOfRange extends DomainRuleViolation {
  static readonly rule = 'proposal.amount.out-of-range';
  constructor(readonly requestedMinor: number, readonly minAwardMinor: number, readonly maxAwardMinor: number) {
    super(RequestedAmountOutOfRange.rule, `Requested ${requestedMinor} is outside the call's award range [${minAwardMinor}, ${maxAwardMinor}]`);
  }
}

export class EmptyBudget extends DomainRuleViolation {
  static readonly rule = 'proposal.budget.empty';
  constructor() {
    super(EmptyBudget.rule, 'A proposal needs at least one budget line');
  }
}

export class InvalidBudgetLine extends DomainRuleViolation {
  static readonly rule = 'proposal.budget.line-invalid';
  constructor(
    readonly label: string,
    problem = 'needs a label and a positive integer amount',
  ) {
    super(InvalidBudgetLine.rule, `Budget line ${JSON.stringify(label)} ${problem}`);
  }
}

/**
 * The lines of a budget have distinct labels, in any case ("Legal aid" and "legal aid" would be two
 * lines a reader cannot tell apart, and a partner signs the budget off as it reads it), as a grant's
 * budget lines do (grant.budget.invalid). Until 2026-12-07 a proposal took the same label twice.
 */
export class DuplicateBudgetLine extends DomainRuleViolation {
  static readonly rule = 'proposal.budget.line-duplicate';
  constructor(readonly label: string) {
    super(DuplicateBudgetLine.rule, `Budget line ${JSON.stringify(label)} appears twice (labels are distinct in any case)`);
  }
}

export class BudgetSumMismatch extends DomainRuleViolation {
  static readonly rule = 'proposal.budget.sum-mismatch';
  constructor(readonly budgetTotalMinor: number, readonly requestedMinor: number) {
    super(BudgetSumMismatch.rule, `Budget lines sum to ${budgetTotalMinor}, the requested amount is ${requestedMinor}`);
  }
}

export class InvalidDuration extends DomainRuleViolation {
  static readonly rule = 'proposal.duration.invalid';
  constructor(readonly durationMonths: number) {
    super(InvalidDuration.rule, `Duration must be a positive whole number of months, got ${durationMonths}`);
  }
}

/** Network size counts the lead, as CallDrafted.minPartners does. */
export class TooFewPartners extends DomainRuleViolation {
  static readonly rule = 'proposal.partners.too-few';
  constructor(readonly networkSize: number, readonly minPartners: number) {
    super(TooFewPartners.rule, `The network has ${networkSize} organisations (lead included); the call requires at least ${minPartners}`);
  }
}

export class DuplicatePartner extends DomainRuleViolation {
  static readonly rule = 'proposal.partners.duplicate';
  constructor(readonly organisationId: string) {
    super(DuplicatePartner.rule, `Organisation ${organisationId} is already in the network`);
  }
}

export class LeadListedAsPartner extends DomainRuleViolation {
  static readonly rule = 'proposal.partners.lead-listed';
  constructor(readonly organisationId: string) {
    super(LeadListedAsPartner.rule, `The lead organisation ${organisationId} cannot also be its own partner`);
  }
}

export class PartnerRoleRequired extends DomainRuleViolation {
  static readonly rule = 'proposal.partners.role-required';
  constructor(readonly organisationId: string) {
    super(PartnerRoleRequired.rule, `Partner ${organisationId} needs a role`);
  }
}

export class NotAPartner extends DomainRuleViolation {
  static readonly rule = 'proposal.partners.not-a-partner';
  constructor(readonly organisationId: string) {
    super(NotAPartner.rule, `Organisation ${organisationId} is not a partner of this proposal`);
  }
}

/** An organisation of the network is missing from the organisation snapshots, i.e. not registered. */
export class UnknownOrganisation extends DomainRuleViolation {
  static readonly rule = 'proposal.organisation.unknown';
  constructor(readonly organisationId: string) {
    super(UnknownOrganisation.rule, `Organisation ${organisationId} is not registered`);
  }
}

export class LeadCountryNotEligible extends DomainRuleViolation {
  static readonly rule = 'proposal.lead.country-ineligible';
  constructor(readonly country: string, readonly eligibleCountries: readonly string[]) {
    super(LeadCountryNotEligible.rule, `The lead organisation's country ${country} is not among ${eligibleCountries.join(', ')}`);
  }
}

export class NoRevisionChanges extends DomainRuleViolation {
  static readonly rule = 'proposal.revision.no-change';
  constructor() {
    super(NoRevisionChanges.rule, 'The revision changes nothing');
  }
}

export class InvalidContentHash extends DomainRuleViolation {
  static readonly rule = 'proposal.submission.content-hash-invalid';
  constructor(readonly contentHash: string) {
    super(InvalidContentHash.rule, `The content hash must be 64 lower-case hex characters (sha256), got ${JSON.stringify(contentHash)}`);
  }
}

/** A blank reason, description, summary or similar justification. */
export class JustificationRequired extends DomainRuleViolation {
  static readonly rule = 'proposal.reason.required';
  constructor(readonly field: string) {
    super(JustificationRequired.rule, `${field} must not be empty`);
  }
}

export class EligibilityResultsRequired extends DomainRuleViolation {
  static readonly rule = 'proposal.eligibility.results-required';
  constructor() {
    super(EligibilityResultsRequired.rule, 'Screening needs at least one result, each naming its rule');
  }
}

export class ProposalNotEligible extends DomainRuleViolation {
  static readonly rule = 'proposal.reviewer.proposal-not-eligible';
  constructor(readonly status: string) {
    super(ProposalNotEligible.rule, `Reviewers are assigned only to proposals screened eligible (this one is ${status})`);
  }
}

export class ReviewerAlreadyAssigned extends DomainRuleViolation {
  static readonly rule = 'proposal.reviewer.already-assigned';
  constructor(readonly reviewerId: string) {
    super(ReviewerAlreadyAssigned.rule, `Reviewer ${reviewerId} is already assigned`);
  }
}

/**
 * A reviewer is named by the identity provider's subject (the `sub` of the reviewer's token): never
 * blank, and without leading or trailing spaces (an id the reviewer could not sign in as, or a
 * second spelling of one).
 */
export class InvalidReviewerId extends DomainRuleViolation {
  static readonly rule = 'proposal.reviewer.id-invalid';
  constructor(readonly reviewerId: string) {
    super(InvalidReviewerId.rule, `A reviewer id is the reviewer's user id (token subject), not blank and without leading or trailing spaces; got ${JSON.stringify(reviewerId)}`);
  }
}

/**
 * The reviewer is a member user of the lead or of a partner organisation: checked when the reviewer
 * is assigned and again when the review is submitted (a reviewer may have joined an organisation of
 * the network since the assignment).
 */
export class ReviewerAffiliated extends DomainRuleViolation {
  static readonly rule = 'proposal.reviewer.affiliated';
  constructor(readonly reviewerId: string, readonly organisationId: string) {
    super(ReviewerAffiliated.rule, `Reviewer ${reviewerId} acts for organisation ${organisationId} of this network`);
  }
}

export class ReviewerIsRecused extends DomainRuleViolation {
  static readonly rule = 'proposal.reviewer.recused';
  constructor(readonly reviewerId: string) {
    super(ReviewerIsRecused.rule, `Reviewer ${reviewerId} is recused from this proposal`);
  }
}

export class ReviewerNotAssigned extends DomainRuleViolation {
  static readonly rule = 'proposal.reviewer.not-assigned';
  constructor(readonly reviewerId: string) {
    super(ReviewerNotAssigned.rule, `Reviewer ${reviewerId} is not assigned to this proposal`);
  }
}

export class ReviewAlreadySubmitted extends DomainRuleViolation {
  static readonly rule = 'proposal.review.already-submitted';
  constructor(readonly reviewerId: string) {
    super(ReviewAlreadySubmitted.rule, `Reviewer ${reviewerId} has already submitted a review`);
  }
}

export class ReviewAfterConsensus extends DomainRuleViolation {
  static readonly rule = 'proposal.review.after-consensus';
  constructor() {
    super(ReviewAfterConsensus.rule, 'A consensus has been recorded; no further reviews are taken');
  }
}

/** A criterion missing, scored twice, or not a criterion of the call. */
export class CriteriaNotScoredExactlyOnce extends DomainRuleViolation {
  static readonly rule = 'proposal.review.criteria-mismatch';
  constructor(readonly criterionId: string) {
    super(CriteriaNotScoredExactlyOnce.rule, `Every criterion of the call must be scored exactly once (problem with ${JSON.stringify(criterionId)})`);
  }
}

export class ScoreOutOfRange extends DomainRuleViolation {
  static readonly rule = 'proposal.review.score-out-of-range';
  constructor(readonly criterionId: string, readonly score: number, readonly maxScore: number) {
    super(ScoreOutOfRange.rule, `Score ${score} for ${criterionId} must be an integer in [0, ${maxScore}]`);
  }
}

export class InvalidRecommendation extends DomainRuleViolation {
  static readonly rule = 'proposal.review.recommendation-invalid';
  constructor(readonly recommendation: string) {
    super(InvalidRecommendation.rule, `Unknown recommendation ${JSON.stringify(recommendation)}`);
  }
}

/** Counts reviews of reviewers who are not recused. */
export class NotEnoughReviews extends DomainRuleViolation {
  static readonly rule = 'proposal.reviews.too-few';
  constructor(readonly reviews: number, readonly reviewsRequired: number) {
    super(NotEnoughReviews.rule, `${reviews} reviews are in; the call requires ${reviewsRequired}`);
  }
}

export class ConsensusScoreOutOfRange extends DomainRuleViolation {
  static readonly rule = 'proposal.consensus.score-out-of-range';
  constructor(readonly score: number) {
    super(ConsensusScoreOutOfRange.rule, `A consensus score is a number in [0, 100], got ${score}`);
  }
}

export class ConsensusRequired extends DomainRuleViolation {
  static readonly rule = 'proposal.decision.consensus-required';
  constructor() {
    super(ConsensusRequired.rule, 'A funding decision needs a recorded consensus');
  }
}

/** Unknown decision, missing decider or committee, or award-only fields on a reject/reserve. */
export class InvalidFundingDecision extends DomainRuleViolation {
  static readonly rule = 'proposal.decision.invalid';
  constructor(message: string) {
    super(InvalidFundingDecision.rule, message);
  }
}

export class InvalidAwardAmount extends DomainRuleViolation {
  static readonly rule = 'proposal.award.amount-invalid';
  constructor(readonly amountMinor: number | undefined) {
    super(InvalidAwardAmount.rule, `An award needs a positive integer amount, got ${amountMinor}`);
  }
}

export class AwardExceedsRequest extends DomainRuleViolation {
  static readonly rule = 'proposal.award.exceeds-request';
  constructor(readonly amountMinor: number, readonly requestedMinor: number) {
    super(AwardExceedsRequest.rule, `Award ${amountMinor} exceeds the requested ${requestedMinor}`);
  }
}

/**
 * An award outside the call's [minAward, maxAward]: refused at the door rather than left for the call
 * to refuse the commitment later (which would hand out a grant id that never exists).
 */
export class AwardOutsideCallRange extends DomainRuleViolation {
  static readonly rule = 'proposal.award.outside-call-range';
  constructor(readonly amountMinor: number, readonly minAwardMinor: number, readonly maxAwardMinor: number) {
    super(AwardOutsideCallRange.rule, `Award ${amountMinor} is outside the call's award range [${minAwardMinor}, ${maxAwardMinor}]`);
  }
}

/** A new award must not reuse the grant id of an award that failed for lack of funds (the process manager would take it as done). */
export class GrantIdReused extends DomainRuleViolation {
  static readonly rule = 'proposal.award.grant-id-reused';
  constructor(readonly grantId: string) {
    super(GrantIdReused.rule, `Grant id ${grantId} was used by an award that could not be funded; use a new one`);
  }
}

export class AwardMismatch extends DomainRuleViolation {
  static readonly rule = 'proposal.award.grant-mismatch';
  constructor(readonly grantId: string) {
    super(AwardMismatch.rule, `The proposal's current award is not grant ${grantId}`);
  }
}

export class DuplicateClarificationRequest extends DomainRuleViolation {
  static readonly rule = 'proposal.clarification.duplicate-request';
  constructor(readonly requestId: string) {
    super(DuplicateClarificationRequest.rule, `Clarification request ${requestId} already exists`);
  }
}

export class ClarificationQuestionsRequired extends DomainRuleViolation {
  static readonly rule = 'proposal.clarification.questions-required';
  constructor() {
    super(ClarificationQuestionsRequired.rule, 'A clarification request needs at least one non-empty question');
  }
}

export class ClarificationNotOpen extends DomainRuleViolation {
  static readonly rule = 'proposal.clarification.not-open';
  constructor(readonly requestId: string) {
    super(ClarificationNotOpen.rule, `There is no open clarification request ${requestId}`);
  }
}

/**
 * A partner accepts the terms it was shown: the terms version on its answer is not the current one
 * (the lead changed the budget or the partners since). Read the terms again and accept those.
 */
export class PartnerTermsChanged extends DomainRuleViolation {
  static readonly rule = 'proposal.partner.terms-changed';
  constructor(readonly acceptedTermsVersion: number, readonly currentTermsVersion: number) {
    super(PartnerTermsChanged.rule, `The terms accepted (version ${acceptedTermsVersion}) are not the current terms (version ${currentTermsVersion})`);
  }
}

/** The partner has already signed off the current terms. */
export class PartnerAlreadySignedOff extends DomainRuleViolation {
  static readonly rule = 'proposal.partner.already-signed-off';
  constructor(readonly organisationId: string, readonly termsVersion: number) {
    super(PartnerAlreadySignedOff.rule, `Organisation ${organisationId} has already accepted terms version ${termsVersion}`);
  }
}

/** An accepted partner does not decline: it leaves the network instead. */
export class PartnerAlreadyAccepted extends DomainRuleViolation {
  static readonly rule = 'proposal.partner.already-accepted';
  constructor(readonly organisationId: string) {
    super(PartnerAlreadyAccepted.rule, `Organisation ${organisationId} has accepted the invitation: leave the network instead of declining`);
  }
}

/** Only a partner that accepted leaves; an invitation not yet answered is declined. */
export class PartnerNotAccepted extends DomainRuleViolation {
  static readonly rule = 'proposal.partner.not-accepted';
  constructor(readonly organisationId: string) {
    super(PartnerNotAccepted.rule, `Organisation ${organisationId} has not accepted the invitation: decline it instead`);
  }
}

/**
 * No award to a network one of whose organisations (the lead or a partner) failed its latest due
 * diligence (`POST /organisations/:id/due-diligence`, outcome `failed`): until 2026-12-07 the outcome
 * was recorded and nothing read it. A later check that passes lifts it. A rejection or the reserve list is not held back.
 */
export class DueDiligenceFailed extends DomainRuleViolation {
  static readonly rule = 'proposal.award.due-diligence-failed';
  constructor(readonly organisationIds: readonly string[]) {
    super(DueDiligenceFailed.rule, `No award while an organisation of the network failed its latest due diligence: ${organisationIds.join(', ')}`);
  }
}

/** A cancelled call commits no funds: its proposals are not awarded (until 2026-12-07 the award was taken and then found without funds). */
export class AwardOnCancelledCall extends DomainRuleViolation {
  static readonly rule = 'proposal.award.call-cancelled';
  constructor(readonly callId: string) {
    super(AwardOnCancelledCall.rule, `Call ${callId} was cancelled: it awards nothing`);
  }
}

/** Submission needs every listed partner's acceptance of the current terms. */
export class PartnerSignOffMissing extends DomainRuleViolation {
  static readonly rule = 'proposal.partners.sign-off-missing';
  constructor(
    readonly organisationIds: readonly string[],
    readonly termsVersion: number,
    before = 'submission',
  ) {
    super(PartnerSignOffMissing.rule, `Every partner must accept terms version ${termsVersion} before ${before}; missing: ${organisationIds.join(', ')}`);
  }
}

/** The redress window (a number of days after the decision) has ended. */
export class RedressWindowClosed extends DomainRuleViolation {
  static readonly rule = 'proposal.redress.window-closed';
  constructor(readonly windowEndsAt: string) {
    super(RedressWindowClosed.rule, `Redress could be requested until ${windowEndsAt}`);
  }
}

/** One redress request per decision (a new decision after an upheld request opens a new window). */
export class RedressAlreadyRequested extends DomainRuleViolation {
  static readonly rule = 'proposal.redress.already-requested';
  constructor() {
    super(RedressAlreadyRequested.rule, 'A redress request has already been filed against this decision');
  }
}

/**
 * A new funding decision (an award from the reserve list) while a redress request against the
 * standing decision awaits its outcome: the decision would leave the request without an outcome for
 * ever. Record the request's outcome first.
 */
export class RedressRequestOpen extends DomainRuleViolation {
  static readonly rule = 'proposal.redress.open';
  constructor(readonly requestId: string) {
    super(RedressRequestOpen.rule, `Redress request ${requestId} against the standing decision is open: record its outcome first`);
  }
}

/** The outcome names a redress request that is not open. */
export class RedressNotOpen extends DomainRuleViolation {
  static readonly rule = 'proposal.redress.not-open';
  constructor(readonly requestId: string) {
    super(RedressNotOpen.rule, `Redress request ${requestId} is not open`);
  }
}

export class InvalidRedressOutcome extends DomainRuleViolation {
  static readonly rule = 'proposal.redress.outcome-invalid';
  constructor(readonly outcome: string) {
    super(InvalidRedressOutcome.rule, `Unknown redress outcome ${JSON.stringify(outcome)} (upheld or rejected)`);
  }
}

/** A document's record needs a name, a positive size, a content type, a SHA-256 and who attached it, and belongs to the lead. */
export class InvalidProposalDocument extends DomainRuleViolation {
  static readonly rule = 'proposal.document.invalid';
  constructor(message: string) {
    super(InvalidProposalDocument.rule, message);
  }
}

/** The document id is already attached to this proposal with other content. */
export class DuplicateProposalDocument extends DomainRuleViolation {
  static readonly rule = 'proposal.document.duplicate';
  constructor(readonly documentId: string) {
    super(DuplicateProposalDocument.rule, `Document ${documentId} is already attached to this proposal`);
  }
}
