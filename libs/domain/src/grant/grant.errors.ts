import { DomainRuleViolation } from '../shared/decider';

/**
 * The grant's business rules, one class per rule. Each maps to HTTP 422 through DomainRuleViolation;
 * `rule` is a stable code for clients and problem details (also available statically, e.g.
 * `DisbursementExceedsGrantAmount.rule`). Tests assert the class, never the message.
 *
 * State conflicts (signing twice, paying while suspended, anything after closure) are not here:
 * they throw the shared InvalidStateTransition (HTTP 409).
 */

/** Blank ids, a grantee listed among its own partners, duplicate partners, blank conditions. */
export class InvalidGrantDetails extends DomainRuleViolation {
  static readonly rule = 'grant.details.invalid';
  constructor(message: string) {
    super(InvalidGrantDetails.rule, message);
  }
}

/** Grant amounts, tranche amounts and new amounts are positive integers of minor units. */
export class InvalidGrantAmount extends DomainRuleViolation {
  static readonly rule = 'grant.amount.invalid';
  constructor(
    readonly field: string,
    readonly amountMinor: number,
  ) {
    super(InvalidGrantAmount.rule, `${field} must be a positive integer of minor units, got ${amountMinor}`);
  }
}

export class InvalidGrantCurrency extends DomainRuleViolation {
  static readonly rule = 'grant.currency.invalid';
  constructor(readonly currency: string) {
    super(InvalidGrantCurrency.rule, `Currency must be an ISO 4217 code, got ${JSON.stringify(currency)}`);
  }
}

export class InvalidGrantDate extends DomainRuleViolation {
  static readonly rule = 'grant.date.invalid';
  constructor(
    readonly field: string,
    readonly value: string,
  ) {
    super(InvalidGrantDate.rule, `${field} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
}

export class InvalidGrantPeriod extends DomainRuleViolation {
  static readonly rule = 'grant.period.invalid';
  constructor(
    readonly periodStart: string,
    readonly periodEnd: string,
  ) {
    super(InvalidGrantPeriod.rule, `The grant period must start before it ends (start ${periodStart}, end ${periodEnd})`);
  }
}

export class SignatoriesRequired extends DomainRuleViolation {
  static readonly rule = 'grant.agreement.signatories-required';
  constructor() {
    super(SignatoriesRequired.rule, 'An agreement needs at least one signatory, each with a name and a role');
  }
}

export class AgreementNotSigned extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.agreement-not-signed';
  constructor() {
    super(AgreementNotSigned.rule, 'Disbursements can only be scheduled once the grant agreement is signed');
  }
}

export class DuplicateTranche extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.duplicate-tranche';
  constructor(readonly trancheId: string) {
    super(DuplicateTranche.rule, `Tranche ${trancheId} is already scheduled`);
  }
}

/** The invariant: scheduled (not cancelled) tranches never sum above the grant amount. */
export class DisbursementExceedsGrantAmount extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.exceeds-amount';
  constructor(
    readonly amountMinor: number,
    readonly scheduledMinor: number,
    readonly requestedMinor: number,
  ) {
    super(
      DisbursementExceedsGrantAmount.rule,
      `Scheduling ${requestedMinor} would exceed the grant amount: ${scheduledMinor} of ${amountMinor} already scheduled`,
    );
  }
}

export class ConditionReportUnknown extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.condition-report-unknown';
  constructor(readonly reportId: string) {
    super(ConditionReportUnknown.rule, `A tranche can only be tied to a scheduled report; ${reportId} is not one`);
  }
}

export class TrancheNotFound extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.tranche-not-found';
  constructor(readonly trancheId: string) {
    super(TrancheNotFound.rule, `No tranche ${trancheId} is scheduled on this grant`);
  }
}

export class TrancheAlreadyPaid extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.already-paid';
  constructor(readonly trancheId: string) {
    super(TrancheAlreadyPaid.rule, `Tranche ${trancheId} is already paid`);
  }
}

/** A cancelled tranche is neither paid nor cancelled again: cancellation is final. */
export class TrancheCancelled extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.cancelled';
  constructor(readonly trancheId: string) {
    super(TrancheCancelled.rule, `Tranche ${trancheId} was cancelled`);
  }
}

export class ConditionReportNotAccepted extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.report-not-accepted';
  constructor(
    readonly trancheId: string,
    readonly reportId: string,
  ) {
    super(ConditionReportNotAccepted.rule, `Tranche ${trancheId} is payable only after report ${reportId} is accepted`);
  }
}

/**
 * Once the final financial report is accepted the grant is settled: its accepted costs are what the
 * grantee is owed, and the settlement's own final payment (FinalPaymentDetermined) is the only money
 * still paid out. No other tranche is scheduled, and none other is paid (e.g. one scheduled after the
 * settlement under older rules).
 */
export class DisbursementAfterSettlement extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.after-settlement';
  constructor(
    readonly trancheId: string,
    readonly finalPaymentTrancheId: string | null = null,
  ) {
    super(
      DisbursementAfterSettlement.rule,
      `The final financial report was accepted: the grant is settled, and only its final payment may still be paid (${
        finalPaymentTrancheId === null ? 'it leaves nothing to pay' : `tranche ${finalPaymentTrancheId}`
      }; not tranche ${trancheId})`,
    );
  }
}

/**
 * The final payment a settlement determined is what the grantee is owed for its accepted costs: it
 * is paid, never cancelled. (Until 2026-12-06 it could be cancelled, after which nothing could pay
 * it, and the grant closed with the accepted costs unpaid.)
 */
export class FinalPaymentOwed extends DomainRuleViolation {
  static readonly rule = 'grant.disbursement.final-payment-owed';
  constructor(readonly trancheId: string) {
    super(FinalPaymentOwed.rule, `Tranche ${trancheId} is the final payment owed under the accepted final financial report: it is paid, not cancelled`);
  }
}

/**
 * A termination cancels every tranche still scheduled, so it would cancel the final payment too: the
 * settlement's accepted costs, owed to the grantee. While that payment is scheduled and unpaid the
 * grant is not terminated: pay it, then close the grant. (Until 2026-12-07 the termination cancelled
 * it and released it to the call, and the accepted costs could never be paid.)
 */
export class TerminationFinalPaymentOwed extends DomainRuleViolation {
  static readonly rule = 'grant.termination.final-payment-owed';
  constructor(
    readonly trancheId: string,
    readonly amountMinor: number,
  ) {
    super(
      TerminationFinalPaymentOwed.rule,
      `Tranche ${trancheId} (${amountMinor}) is the final payment owed under the accepted final financial report: a termination would cancel it. Pay it, then close the grant`,
    );
  }
}

/**
 * The grant's money is not amended once it is settled: the accepted final financial report fixed
 * the final payment or the recovery from the amount and the line budgets as they were, and the call
 * releases what is left at closure. A no-cost extension is still possible (no money moves).
 */
export class AmendmentAfterSettlement extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.after-settlement';
  constructor(readonly kind: string) {
    super(AmendmentAfterSettlement.rule, `The final financial report was accepted: the grant is settled, and its amount and budget are no longer amended (${kind})`);
  }
}

/** The invariant: money paid out never exceeds the grant amount (after amendments). */
export class PaymentExceedsGrantAmount extends DomainRuleViolation {
  static readonly rule = 'grant.payment.exceeds-amount';
  constructor(
    readonly amountMinor: number,
    readonly paidMinor: number,
    readonly requestedMinor: number,
  ) {
    super(
      PaymentExceedsGrantAmount.rule,
      `Paying ${requestedMinor} would exceed the grant amount: ${paidMinor} of ${amountMinor} already paid`,
    );
  }
}

export class PaymentReferenceRequired extends DomainRuleViolation {
  static readonly rule = 'grant.payment.reference-required';
  constructor() {
    super(PaymentReferenceRequired.rule, 'A payment needs the payment reference of the transfer');
  }
}

export class DuplicateReport extends DomainRuleViolation {
  static readonly rule = 'grant.report.duplicate';
  constructor(readonly reportId: string) {
    super(DuplicateReport.rule, `Report ${reportId} is already scheduled`);
  }
}

export class InvalidReportKind extends DomainRuleViolation {
  static readonly rule = 'grant.report.kind-invalid';
  constructor(readonly kind: string) {
    super(InvalidReportKind.rule, `Unknown report kind ${JSON.stringify(kind)}`);
  }
}

export class ReportNotScheduled extends DomainRuleViolation {
  static readonly rule = 'grant.report.not-scheduled';
  constructor(readonly reportId: string) {
    super(ReportNotScheduled.rule, `No report ${reportId} is scheduled on this grant`);
  }
}

export class ReportAlreadySubmitted extends DomainRuleViolation {
  static readonly rule = 'grant.report.already-submitted';
  constructor(readonly reportId: string) {
    super(ReportAlreadySubmitted.rule, `Report ${reportId} is already submitted and awaits review`);
  }
}

export class ReportAlreadyAccepted extends DomainRuleViolation {
  static readonly rule = 'grant.report.already-accepted';
  constructor(readonly reportId: string) {
    super(ReportAlreadyAccepted.rule, `Report ${reportId} is already accepted`);
  }
}

/**
 * A report is waived once: the waiver is the programme's recorded decision that the report will
 * not come, and it stands (a report the grantee sends after all is attached to the grant as a
 * document).
 */
export class ReportAlreadyWaived extends DomainRuleViolation {
  static readonly rule = 'grant.report.already-waived';
  constructor(readonly reportId: string) {
    super(ReportAlreadyWaived.rule, `Report ${reportId} was waived`);
  }
}

export class ReportNotSubmitted extends DomainRuleViolation {
  static readonly rule = 'grant.report.not-submitted';
  constructor(readonly reportId: string) {
    super(ReportNotSubmitted.rule, `Report ${reportId} has not been submitted (or was sent back for revision)`);
  }
}

export class ReportSummaryRequired extends DomainRuleViolation {
  static readonly rule = 'grant.report.summary-required';
  constructor() {
    super(ReportSummaryRequired.rule, 'A report submission needs a summary');
  }
}

export class InvalidReportDocuments extends DomainRuleViolation {
  static readonly rule = 'grant.report.documents-invalid';
  constructor() {
    super(InvalidReportDocuments.rule, 'Each document is named once, by the id of a document attached to the grant');
  }
}

/** A report or the agreement refers to a document that was never attached to this grant. */
export class DocumentNotAttached extends DomainRuleViolation {
  static readonly rule = 'grant.document.not-attached';
  constructor(readonly documentId: string) {
    super(DocumentNotAttached.rule, `Document ${documentId} is not attached to this grant: upload it first`);
  }
}

/** A document's record needs a name, a positive size, a content type and a SHA-256, and belongs to the grantee. */
export class InvalidGrantDocument extends DomainRuleViolation {
  static readonly rule = 'grant.document.invalid';
  constructor(message: string) {
    super(InvalidGrantDocument.rule, message);
  }
}

/** The document id is already attached to this grant with other content. */
export class DuplicateGrantDocument extends DomainRuleViolation {
  static readonly rule = 'grant.document.duplicate';
  constructor(readonly documentId: string) {
    super(DuplicateGrantDocument.rule, `Document ${documentId} is already attached to this grant`);
  }
}

/** Revision requests, amendments, suspension, reinstatement and termination each need a stated reason. */
export class GrantReasonRequired extends DomainRuleViolation {
  static readonly rule = 'grant.reason.required';
  constructor(readonly action: string) {
    super(GrantReasonRequired.rule, `A reason is required to ${action}`);
  }
}

/** Who accepted, approved or requested is part of the record. */
export class GrantActorRequired extends DomainRuleViolation {
  static readonly rule = 'grant.actor.required';
  constructor(readonly field: string) {
    super(GrantActorRequired.rule, `${field} is required`);
  }
}

export class DuplicateAmendment extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.duplicate';
  constructor(readonly amendmentId: string) {
    super(DuplicateAmendment.rule, `Amendment ${amendmentId} is already recorded`);
  }
}

/** Unknown kind, or fields that do not belong to the kind (e.g. a new amount on an extension). */
export class InvalidAmendment extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.invalid';
  constructor(message: string) {
    super(InvalidAmendment.rule, message);
  }
}

export class ExtensionNotLater extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.extension-not-later';
  constructor(
    readonly currentPeriodEnd: string,
    readonly newPeriodEnd: string,
  ) {
    super(ExtensionNotLater.rule, `A no-cost extension must end later than ${currentPeriodEnd}, got ${newPeriodEnd}`);
  }
}

export class DateOutsideGrantWindow extends DomainRuleViolation {
  static readonly rule = 'grant.date.outside-grant-window';
  constructor(
    readonly field: string,
    readonly value: string,
    readonly earliest: string,
    readonly latest: string,
  ) {
    super(
      DateOutsideGrantWindow.rule,
      `${field} ${value} is outside the grant's window, ${earliest} to ${latest}: from its award (or its start, if earlier) to a year after its period ends`,
    );
  }
}

export class ExtensionTooLong extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.extension-too-long';
  constructor(
    readonly periodStart: string,
    readonly latestPeriodEnd: string,
    readonly newPeriodEnd: string,
  ) {
    super(ExtensionTooLong.rule, `A grant's period may last ten years at most: from ${periodStart}, it ends by ${latestPeriodEnd}, got ${newPeriodEnd}`);
  }
}

export class FinancialReportAfterSettlement extends DomainRuleViolation {
  static readonly rule = 'grant.report.financial-after-settlement';
  constructor(readonly reportId: string) {
    super(
      FinancialReportAfterSettlement.rule,
      `The final financial report was accepted: the grant is settled, and no financial report may be scheduled after it (report ${reportId})`,
    );
  }
}

export class AmountUnchanged extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.amount-unchanged';
  constructor(readonly amountMinor: number) {
    super(AmountUnchanged.rule, `The grant amount is already ${amountMinor}`);
  }
}

export class AmountBelowPaid extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.below-paid';
  constructor(
    readonly newAmountMinor: number,
    readonly paidMinor: number,
  ) {
    super(AmountBelowPaid.rule, `The new amount ${newAmountMinor} is below the ${paidMinor} already paid`);
  }
}

/**
 * The new amount is below what is already scheduled (tranches not cancelled): an amount cut must
 * leave room for every scheduled tranche, so cancel the tranches that will not be paid first.
 */
export class AmountBelowScheduled extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.below-scheduled';
  constructor(
    readonly newAmountMinor: number,
    readonly scheduledMinor: number,
  ) {
    super(AmountBelowScheduled.rule, `The new amount ${newAmountMinor} is below the ${scheduledMinor} already scheduled`);
  }
}

/**
 * An amount increase never takes a grant above its call's maximum award per grant: the call's
 * terms bound every grant under it, not only the award (until 2026-12-07 an amendment was held to
 * the call's budget and the recipients' ceilings only). A decrease, or a grant already above it
 * (an increase recorded before the rule) lowered, is not refused.
 */
export class AmountExceedsCallMaximum extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.exceeds-call-maximum';
  constructor(
    readonly newAmountMinor: number,
    readonly maxAwardMinor: number,
  ) {
    super(AmountExceedsCallMaximum.rule, `The new amount ${newAmountMinor} is above the call's maximum award per grant, ${maxAwardMinor}`);
  }
}

/** Fewer than two lines, blank budget lines, a line named twice, or changes that are not non-zero integers. */
export class InvalidBudgetReallocation extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.reallocation-invalid';
  constructor(message: string) {
    super(InvalidBudgetReallocation.rule, message);
  }
}

/**
 * A budget reallocation moves money between the lines of the grant's current budget (as agreed,
 * then reallocated): a line it names must be one of them, spelled exactly as agreed.
 */
export class ReallocationLineUnknown extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.reallocation-unknown-line';
  constructor(readonly budgetLine: string) {
    super(ReallocationLineUnknown.rule, `"${budgetLine}" is not a line of the grant's budget: a reallocation moves money between its lines`);
  }
}

/**
 * Money moved out of a line never leaves it below zero, nor below what financial reports standing
 * (submitted or accepted) already show as spent on it.
 */
export class ReallocationOverdrawsLine extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.reallocation-overdraws-line';
  constructor(
    readonly budgetLine: string,
    readonly amountMinor: number,
    readonly changeMinor: number,
    readonly spentMinor: number,
  ) {
    super(
      ReallocationOverdrawsLine.rule,
      spentMinor > 0
        ? `Line "${budgetLine}" has ${amountMinor}, of which ${spentMinor} is reported spent: moving ${-changeMinor} out of it would leave ${amountMinor + changeMinor}`
        : `Line "${budgetLine}" has ${amountMinor}: moving ${-changeMinor} out of it would leave ${amountMinor + changeMinor}`,
    );
  }
}

/**
 * A grant with an agreed budget changes its amount only together with its budget: the amount change
 * carries the new lines (`budgetLines`), summing to the new amount, so the budget stays equal to it.
 */
export class AmountChangeBudgetRequired extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.budget-lines-required';
  constructor(readonly budgetMinor: number) {
    super(
      AmountChangeBudgetRequired.rule,
      `The grant has an agreed budget (${budgetMinor}): an amount change gives its new lines in budgetLines, summing to the new amount`,
    );
  }
}

/**
 * The new budget lines of an amount change never cut a line below what financial reports standing
 * (submitted or accepted) already show spent on it; a line left out is cut to zero.
 */
export class AmendedBudgetLineBelowSpent extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.budget-line-below-spent';
  constructor(
    readonly budgetLine: string,
    readonly amountMinor: number,
    readonly newAmountMinor: number,
    readonly spentMinor: number,
  ) {
    super(
      AmendedBudgetLineBelowSpent.rule,
      `Line "${budgetLine}" has ${amountMinor}, of which ${spentMinor} is reported spent: it cannot be cut to ${newAmountMinor}`,
    );
  }
}

/** A budget reallocation moves money between lines; its changes sum to zero. */
export class ReallocationChangesAmount extends DomainRuleViolation {
  static readonly rule = 'grant.amendment.reallocation-changes-amount';
  constructor(readonly netChangeMinor: number) {
    super(ReallocationChangesAmount.rule, `A budget reallocation must not change the grant amount (net change ${netChangeMinor})`);
  }
}

export class FinalReportNotAccepted extends DomainRuleViolation {
  static readonly rule = 'grant.closure.final-report-not-accepted';
  constructor() {
    super(FinalReportNotAccepted.rule, 'A grant closes only once a final report is scheduled and every final report is accepted (or waived)');
  }
}

/**
 * A report the grantee submitted is reviewed (accepted, or sent back) before the grant closes: until
 * 2026-12-06 a grant closed with such a report still awaiting its review, left so for good.
 */
export class ReportsAwaitingReview extends DomainRuleViolation {
  static readonly rule = 'grant.closure.reports-awaiting-review';
  constructor(readonly reportIds: string[]) {
    super(ReportsAwaitingReview.rule, `A grant closes only once every submitted report is reviewed; awaiting review: ${reportIds.join(', ')}`);
  }
}

/**
 * A report the grantee still owes (scheduled, or sent back for revision) is submitted and accepted
 * before the grant closes: until 2026-12-07 a grant closed with such a report outstanding, and the
 * obligation was dropped without a trace. A grant that will not get it is terminated instead.
 */
export class ReportsOutstanding extends DomainRuleViolation {
  static readonly rule = 'grant.closure.reports-outstanding';
  constructor(readonly reportIds: string[]) {
    super(
      ReportsOutstanding.rule,
      `A grant closes only once every scheduled report is submitted and accepted, or waived; still owed by the grantee: ${reportIds.join(', ')}`,
    );
  }
}

/** Every tranche must be settled before closure: paid, or cancelled (CancelDisbursement). */
export class UnpaidTranches extends DomainRuleViolation {
  static readonly rule = 'grant.closure.unpaid-tranches';
  constructor(readonly trancheIds: string[]) {
    super(
      UnpaidTranches.rule,
      `A grant closes only once every tranche is settled (paid or cancelled); still scheduled: ${trancheIds.join(', ')}`,
    );
  }
}

/** A budget has distinct, named lines with positive amounts summing to the grant amount, and a transfer share from 0 to 100 %. */
export class InvalidGrantBudget extends DomainRuleViolation {
  static readonly rule = 'grant.budget.invalid';
  constructor(message: string) {
    super(InvalidGrantBudget.rule, message);
  }
}

/** The budget is agreed once; later changes are budget-reallocation amendments. */
export class BudgetAlreadyAgreed extends DomainRuleViolation {
  static readonly rule = 'grant.budget.already-agreed';
  constructor() {
    super(BudgetAlreadyAgreed.rule, 'The budget is already agreed: change it with a budget-reallocation amendment');
  }
}

/** A financial report, or a reallocation between lines, needs the agreed budget. */
export class BudgetNotAgreed extends DomainRuleViolation {
  static readonly rule = 'grant.budget.not-agreed';
  constructor() {
    super(BudgetNotAgreed.rule, 'No budget is agreed for this grant yet');
  }
}

/** Expenditure is reported on a report scheduled as `financial`. */
export class NotAFinancialReport extends DomainRuleViolation {
  static readonly rule = 'grant.financial-report.not-financial';
  constructor(readonly reportId: string) {
    super(NotAFinancialReport.rule, `Report ${reportId} is not a financial report`);
  }
}

/**
 * A financial report of a grant with an agreed budget reports its expenditure (the financial
 * submission), not a narrative alone: until 2026-12-06 one was submitted and accepted with no
 * figures, which ended its reminders and its overdue flag with nothing reported.
 */
export class FinancialReportNeedsExpenditure extends DomainRuleViolation {
  static readonly rule = 'grant.financial-report.expenditure-required';
  constructor(readonly reportId: string) {
    super(FinancialReportNeedsExpenditure.rule, `Report ${reportId} is a financial report: submit its expenditure (POST /grants/:id/reports/${reportId}/financial-submission)`);
  }
}

/** Each budget line of the agreed budget once, with a whole, non-negative amount spent. */
export class InvalidExpenditure extends DomainRuleViolation {
  static readonly rule = 'grant.financial-report.expenditure-invalid';
  constructor(message: string) {
    super(InvalidExpenditure.rule, message);
  }
}

/**
 * Spending beyond a line's budget is a transfer from other lines; above the agreed share of the
 * receiving line's budget it needs an amendment (budget reallocation) first.
 */
export class TransferExceedsShare extends DomainRuleViolation {
  static readonly rule = 'grant.financial-report.transfer-exceeds-share';
  constructor(
    readonly budgetLine: string,
    readonly overspentMinor: number,
    readonly allowedMinor: number,
  ) {
    super(
      TransferExceedsShare.rule,
      `Line "${budgetLine}" is overspent by ${overspentMinor}, more than the ${allowedMinor} that may be transferred to it without an amendment`,
    );
  }
}

/** Transfers move money between lines: the total spent never exceeds the total budget. */
export class ExpenditureExceedsBudget extends DomainRuleViolation {
  static readonly rule = 'grant.financial-report.exceeds-budget';
  constructor(
    readonly totalSpentMinor: number,
    readonly budgetMinor: number,
  ) {
    super(ExpenditureExceedsBudget.rule, `${totalSpentMinor} spent is more than the budget of ${budgetMinor}`);
  }
}

/** Only one final financial report is accepted per grant. */
export class FinalFinancialReportAlreadyAccepted extends DomainRuleViolation {
  static readonly rule = 'grant.financial-report.final-already-accepted';
  constructor() {
    super(FinalFinancialReportAlreadyAccepted.rule, 'The final financial report was already accepted: the grant is settled');
  }
}

/** No unspent advance is owed: nothing to record. */
export class NoRecoveryDue extends DomainRuleViolation {
  static readonly rule = 'grant.recovery.not-due';
  constructor() {
    super(NoRecoveryDue.rule, 'No recovery of an unspent advance is due on this grant');
  }
}

/** A grant with an agreed budget closes only once its final financial report is accepted. */
export class FinalFinancialReportNotAccepted extends DomainRuleViolation {
  static readonly rule = 'grant.closure.final-financial-report-not-accepted';
  constructor() {
    super(FinalFinancialReportNotAccepted.rule, 'A grant with a budget closes only once its final financial report is accepted');
  }
}

/** The unspent advance must be recovered before the grant closes. */
export class RecoveryOutstanding extends DomainRuleViolation {
  static readonly rule = 'grant.closure.recovery-outstanding';
  constructor(readonly recoveryMinor: number) {
    super(RecoveryOutstanding.rule, `The unspent advance of ${recoveryMinor} must be recovered before the grant closes`);
  }
}
