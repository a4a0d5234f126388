import { AlreadyExists, assertNever, Decider, InvalidStateTransition, StreamNotFound } from '../shared/decider';
import { addYears, isCalendarDate } from '../shared/dates';
import { isIso4217Currency } from '../shared/iso-4217';
import type {
  AcceptReport,
  AgreeGrantBudget,
  AmendGrant,
  AttachGrantDocument,
  AwardGrant,
  CancelDisbursement,
  CloseGrant,
  GrantCommand,
  RecordAdvanceRecovery,
  RecordDisbursementPayment,
  ReinstateGrant,
  RequestReportRevision,
  ScheduleDisbursement,
  ScheduleReport,
  SignGrantAgreement,
  SubmitFinancialReport,
  SubmitReport,
  SuspendGrant,
  TerminateGrant,
  WaiveReport,
} from './grant.commands';
import {
  GrantActorRequired,
  AgreementNotSigned,
  AmendedBudgetLineBelowSpent,
  AmendmentAfterSettlement,
  AmountBelowPaid,
  AmountBelowScheduled,
  AmountChangeBudgetRequired,
  AmountExceedsCallMaximum,
  AmountUnchanged,
  BudgetAlreadyAgreed,
  BudgetNotAgreed,
  ConditionReportNotAccepted,
  ConditionReportUnknown,
  DateOutsideGrantWindow,
  DisbursementAfterSettlement,
  ExtensionTooLong,
  FinalPaymentOwed,
  FinancialReportAfterSettlement,
  FinancialReportNeedsExpenditure,
  ReportsAwaitingReview,
  DisbursementExceedsGrantAmount,
  DocumentNotAttached,
  DuplicateAmendment,
  DuplicateGrantDocument,
  DuplicateReport,
  DuplicateTranche,
  ExpenditureExceedsBudget,
  ExtensionNotLater,
  FinalFinancialReportAlreadyAccepted,
  FinalFinancialReportNotAccepted,
  FinalReportNotAccepted,
  InvalidAmendment,
  InvalidGrantAmount,
  InvalidBudgetReallocation,
  InvalidExpenditure,
  InvalidGrantBudget,
  InvalidGrantCurrency,
  InvalidGrantDate,
  InvalidGrantDetails,
  InvalidGrantDocument,
  InvalidGrantPeriod,
  InvalidReportDocuments,
  InvalidReportKind,
  NoRecoveryDue,
  NotAFinancialReport,
  PaymentExceedsGrantAmount,
  PaymentReferenceRequired,
  ReallocationChangesAmount,
  ReallocationLineUnknown,
  ReallocationOverdrawsLine,
  RecoveryOutstanding,
  GrantReasonRequired,
  ReportAlreadyAccepted,
  ReportAlreadySubmitted,
  ReportAlreadyWaived,
  ReportNotScheduled,
  ReportNotSubmitted,
  ReportSummaryRequired,
  ReportsOutstanding,
  SignatoriesRequired,
  TerminationFinalPaymentOwed,
  TrancheAlreadyPaid,
  TrancheCancelled,
  TrancheNotFound,
  TransferExceedsShare,
  UnpaidTranches,
} from './grant.errors';
import {
  AMENDMENT_KINDS,
  type BudgetLine,
  DisbursementCondition,
  type ExpenditureLine,
  GrantAmendedData,
  GrantEvent,
  grantStreamName,
  REPORT_KINDS,
  ReportDocument,
  ReportKind,
} from './grant.events';

/**
 * not-awarded → awarded → (agreement signed) active ⇄ suspended → terminated
 *                 awarded → terminated (the agreement never signed)
 *                                          active → closed
 * terminated and closed are final (a terminated grant still records the repayment of an
 * unspent advance it owed).
 */
export type GrantStatus = 'not-awarded' | 'awarded' | 'active' | 'suspended' | 'terminated' | 'closed';

/** The grant's terms as currently in force: amendments move `amountMinor` and `periodEnd`. */
export interface GrantTerms {
  grantId: string;
  proposalId: string;
  callId: string;
  granteeOrganisationId: string;
  partnerOrganisationIds: string[];
  amountMinor: number;
  /** The amount as awarded, before any amount change. */
  awardedAmountMinor: number;
  currency: string;
  periodStart: string;
  periodEnd: string;
  /** The period end as awarded, before any no-cost extension. */
  awardedPeriodEnd: string;
  conditions: string[];
  awardedAt: string;
}

export type GrantTrancheStatus = 'scheduled' | 'paid' | 'cancelled';

export interface GrantTranche {
  trancheId: string;
  amountMinor: number;
  dueDate: string;
  condition: DisbursementCondition | null;
  status: GrantTrancheStatus;
  paymentReference: string | null;
  paidAt: string | null;
  /** Set by DisbursementCancelled (absent otherwise, also in states stored before they existed). */
  cancelledAt?: string;
  cancellationReason?: string;
}

/** `waived`: the programme decided the report will not come (ReportWaived); final, like `accepted`. */
export type GrantReportStatus = 'scheduled' | 'submitted' | 'revision-requested' | 'accepted' | 'waived';

export interface GrantReport {
  reportId: string;
  kind: ReportKind;
  dueDate: string;
  status: GrantReportStatus;
  submittedAt: string | null;
  acceptedAt: string | null;
  /** A financial report's last submission (absent for narrative reports). */
  financial?: { final: boolean; expenditure: ExpenditureLine[]; totalSpentMinor: number };
  /** The last time the programme sent it back, and why (absent: never): what the grantee must address. */
  revisionRequest?: { reason: string; requestedAt: string };
  /** Why and when the programme waived it (absent: not waived). */
  waiver?: { reason: string; waivedAt: string };
}

/** The agreed budget, with reallocation amendments applied. */
export interface GrantBudget {
  lines: BudgetLine[];
  /** Share of a line's budget that may be spent beyond it by transfer without an amendment (basis points). */
  transferShareBasisPoints: number;
  agreedAt: string;
}

/** A document attached to the grant; `name` is `null` once its organisation's personal data was erased. */
export interface GrantDocument {
  documentId: string;
  organisationId: string;
  name: string | null;
  sizeBytes: number;
  contentType: string;
  sha256: string;
  attachedAt: string;
}

export interface GrantState {
  status: GrantStatus;
  /** `null` until GrantAwarded. */
  terms: GrantTerms | null;
  agreementSignedAt: string | null;
  /** In scheduling order. */
  tranches: GrantTranche[];
  /** In scheduling order. */
  reports: GrantReport[];
  amendmentIds: string[];
  /** Set by GrantTerminated / GrantClosed. */
  unspentMinor: number | null;
  /** In attaching order (absent in states folded before documents existed). */
  documents?: GrantDocument[];
  /** Set by GrantBudgetAgreed. */
  budget?: GrantBudget | null;
  /** Set when the final financial report showed an unspent advance. */
  recovery?: { recoveryMinor: number; recovered: boolean } | null;
  /**
   * The tranche FinalPaymentDetermined scheduled: once the grant is settled, the only one still
   * paid. Absent in states folded before it was kept (a decision always folds the stream anew).
   */
  finalPaymentTrancheId?: string | null;
}

export const initialGrantState: GrantState = {
  status: 'not-awarded',
  terms: null,
  agreementSignedAt: null,
  tranches: [],
  reports: [],
  amendmentIds: [],
  unspentMinor: null,
  documents: [],
  budget: null,
  recovery: null,
  finalPaymentTrancheId: null,
};

// ---------------------------------------------------------------------------------------------
// evolve: total and rule-free — it trusts the log.

export function evolveGrant(state: GrantState, event: GrantEvent): GrantState {
  switch (event.type) {
    case 'GrantAwarded': {
      const d = event.data;
      return {
        ...state,
        status: 'awarded',
        terms: {
          grantId: d.grantId,
          proposalId: d.proposalId,
          callId: d.callId,
          granteeOrganisationId: d.granteeOrganisationId,
          partnerOrganisationIds: [...d.partnerOrganisationIds],
          amountMinor: d.amountMinor,
          awardedAmountMinor: d.amountMinor,
          currency: d.currency,
          periodStart: d.periodStart,
          periodEnd: d.periodEnd,
          awardedPeriodEnd: d.periodEnd,
          conditions: [...d.conditions],
          awardedAt: d.awardedAt,
        },
      };
    }
    case 'GrantAgreementSigned':
      return { ...state, status: 'active', agreementSignedAt: event.data.signedAt };
    case 'GrantDocumentAttached': {
      const { documentId, organisationId, name, sizeBytes, contentType, sha256, attachedAt } = event.data;
      return { ...state, documents: [...(state.documents ?? []), { documentId, organisationId, name, sizeBytes, contentType, sha256, attachedAt }] };
    }
    case 'DisbursementScheduled': {
      const d = event.data;
      const tranche: GrantTranche = {
        trancheId: d.trancheId,
        amountMinor: d.amountMinor,
        dueDate: d.dueDate,
        condition: d.condition ? { reportId: d.condition.reportId } : null,
        status: 'scheduled',
        paymentReference: null,
        paidAt: null,
      };
      return { ...state, tranches: [...state.tranches, tranche] };
    }
    case 'DisbursementPaid': {
      const { trancheId, paymentReference, paidAt } = event.data;
      return updateTranche(state, trancheId, { status: 'paid', paymentReference, paidAt });
    }
    case 'DisbursementCancelled': {
      const { trancheId, reason, cancelledAt } = event.data;
      return updateTranche(state, trancheId, { status: 'cancelled', cancelledAt, cancellationReason: reason });
    }
    case 'ReportScheduled': {
      const { reportId, kind, dueDate } = event.data;
      const report: GrantReport = { reportId, kind, dueDate, status: 'scheduled', submittedAt: null, acceptedAt: null };
      return { ...state, reports: [...state.reports, report] };
    }
    case 'ReportSubmitted':
      return updateReport(state, event.data.reportId, { status: 'submitted', submittedAt: event.data.submittedAt });
    case 'ReportAccepted':
      return updateReport(state, event.data.reportId, { status: 'accepted', acceptedAt: event.data.acceptedAt });
    case 'ReportRevisionRequested':
      return updateReport(state, event.data.reportId, { status: 'revision-requested', revisionRequest: { reason: event.data.reason, requestedAt: event.data.requestedAt } });
    case 'ReportWaived':
      return updateReport(state, event.data.reportId, { status: 'waived', waiver: { reason: event.data.reason, waivedAt: event.data.waivedAt } });
    case 'GrantAmended':
      return {
        ...state,
        terms: amendTerms(state.terms, event.data),
        amendmentIds: [...state.amendmentIds, event.data.amendmentId],
        budget: amendBudget(state.budget, event.data),
      };
    case 'GrantBudgetAgreed': {
      const { lines, transferShareBasisPoints, agreedAt } = event.data;
      return { ...state, budget: { lines: lines.map(({ budgetLine, amountMinor }) => ({ budgetLine, amountMinor })), transferShareBasisPoints, agreedAt } };
    }
    case 'FinancialReportSubmitted': {
      const { reportId, final, expenditure, totalSpentMinor, submittedAt } = event.data;
      return updateReport(state, reportId, { status: 'submitted', submittedAt, financial: { final, expenditure: expenditure.map((l) => ({ ...l })), totalSpentMinor } });
    }
    case 'FinalPaymentDetermined': {
      const { trancheId, amountMinor, determinedAt } = event.data;
      const tranche: GrantTranche = { trancheId, amountMinor, dueDate: determinedAt.slice(0, 10), condition: null, status: 'scheduled', paymentReference: null, paidAt: null };
      return { ...state, tranches: [...state.tranches, tranche], finalPaymentTrancheId: trancheId };
    }
    case 'UnspentAdvanceRecoveryDetermined':
      return { ...state, recovery: { recoveryMinor: event.data.recoveryMinor, recovered: false } };
    case 'UnspentAdvanceRecovered':
      return { ...state, recovery: { recoveryMinor: event.data.recoveryMinor, recovered: true } };
    case 'GrantSuspended':
      return { ...state, status: 'suspended' };
    case 'GrantReinstated':
      return { ...state, status: 'active' };
    case 'GrantTerminated':
      return { ...state, status: 'terminated', unspentMinor: event.data.unspentMinor };
    case 'GrantClosed':
      return { ...state, status: 'closed', unspentMinor: event.data.unspentMinor };
    default:
      return assertNever(event);
  }
}

function updateTranche(state: GrantState, trancheId: string, change: Partial<GrantTranche>): GrantState {
  return { ...state, tranches: state.tranches.map((t) => (t.trancheId === trancheId ? { ...t, ...change } : t)) };
}

function updateReport(state: GrantState, reportId: string, change: Partial<GrantReport>): GrantState {
  return { ...state, reports: state.reports.map((r) => (r.reportId === reportId ? { ...r, ...change } : r)) };
}

/**
 * The decider only records reallocations between existing lines (assertReallocation); a line it does
 * not find was added by an amendment recorded before that rule, and is replayed as recorded.
 */
function reallocate(budget: GrantBudget, changes: readonly { budgetLine: string; changeMinor: number }[]): GrantBudget {
  const lines = budget.lines.map((line) => ({ ...line }));
  for (const { budgetLine, changeMinor } of changes) {
    const line = lines.find((l) => l.budgetLine === budgetLine);
    if (line) line.amountMinor += changeMinor;
    else lines.push({ budgetLine, amountMinor: changeMinor });
  }
  return { ...budget, lines };
}

/**
 * A reallocation moves the lines; an amount change carrying `budgetLines` replaces them (the
 * transfer share stays). An amount change without them (no budget then, or recorded before they
 * were required) leaves the budget as it was.
 */
function amendBudget(budget: GrantBudget | null | undefined, amendment: GrantAmendedData): GrantBudget | null | undefined {
  if (!budget) return budget;
  if (amendment.kind === 'budget-reallocation') return reallocate(budget, amendment.budgetReallocation);
  if (amendment.kind === 'amount-change' && amendment.budgetLines !== undefined) {
    return { ...budget, lines: amendment.budgetLines.map(({ budgetLine, amountMinor }) => ({ budgetLine, amountMinor })) };
  }
  return budget;
}

function amendTerms(terms: GrantTerms | null, amendment: GrantAmendedData): GrantTerms | null {
  if (terms === null) return null;
  switch (amendment.kind) {
    case 'amount-change':
      return { ...terms, amountMinor: amendment.newAmountMinor };
    case 'no-cost-extension':
      return { ...terms, periodEnd: amendment.newPeriodEnd };
    case 'budget-reallocation':
      return terms;
    default:
      return assertNever(amendment);
  }
}

// ---------------------------------------------------------------------------------------------
// decide

export function decideGrant(command: GrantCommand, state: GrantState): GrantEvent[] {
  switch (command.type) {
    case 'AwardGrant':
      return award(command, state);
    case 'SignGrantAgreement':
      return signAgreement(command, state);
    case 'AttachGrantDocument':
      return attachDocument(command, state);
    case 'ScheduleDisbursement':
      return scheduleDisbursement(command, state);
    case 'RecordDisbursementPayment':
      return recordPayment(command, state);
    case 'CancelDisbursement':
      return cancelDisbursement(command, state);
    case 'ScheduleReport':
      return scheduleReport(command, state);
    case 'SubmitReport':
      return submitReport(command, state);
    case 'AcceptReport':
      return acceptReport(command, state);
    case 'RequestReportRevision':
      return requestRevision(command, state);
    case 'WaiveReport':
      return waiveReport(command, state);
    case 'AgreeGrantBudget':
      return agreeBudget(command, state);
    case 'SubmitFinancialReport':
      return submitFinancialReport(command, state);
    case 'RecordAdvanceRecovery':
      return recordRecovery(command, state);
    case 'AmendGrant':
      return amend(command, state);
    case 'SuspendGrant':
      return suspend(command, state);
    case 'ReinstateGrant':
      return reinstate(command, state);
    case 'TerminateGrant':
      return terminate(command, state);
    case 'CloseGrant':
      return close(command, state);
    default:
      return assertNever(command);
  }
}

export const grantDecider: Decider<GrantCommand, GrantEvent, GrantState> = {
  initialState: initialGrantState,
  evolve: evolveGrant,
  decide: decideGrant,
};

/**
 * Idempotent for the award process manager: repeating AwardGrant with the same award (any `now`)
 * appends nothing, so a redelivered FundsCommitted is harmless; an AwardGrant with different
 * data on an existing grant is a conflict (AlreadyExists, HTTP 409).
 */
function award(command: AwardGrant, state: GrantState): GrantEvent[] {
  const d = command.data;
  if (state.terms !== null) {
    if (sameAward(state.terms, command)) return [];
    throw new AlreadyExists(grantStreamName(d.grantId));
  }
  for (const field of ['grantId', 'proposalId', 'callId', 'granteeOrganisationId'] as const) {
    if (isBlank(d[field])) throw new InvalidGrantDetails(`${field} is required`);
  }
  if (d.partnerOrganisationIds.some(isBlank) || new Set(d.partnerOrganisationIds).size !== d.partnerOrganisationIds.length) {
    throw new InvalidGrantDetails('Partner organisation ids must be non-blank and distinct');
  }
  if (d.partnerOrganisationIds.includes(d.granteeOrganisationId)) {
    throw new InvalidGrantDetails('The grantee cannot also be listed as its own partner');
  }
  if (d.conditions.some(isBlank)) throw new InvalidGrantDetails('Conditions must be non-blank');
  assertPositiveAmount('amountMinor', d.amountMinor);
  if (!isIso4217Currency(d.currency)) throw new InvalidGrantCurrency(d.currency);
  assertDate('periodStart', d.periodStart);
  assertDate('periodEnd', d.periodEnd);
  if (!(d.periodStart < d.periodEnd)) throw new InvalidGrantPeriod(d.periodStart, d.periodEnd);
  return [
    {
      type: 'GrantAwarded',
      data: {
        grantId: d.grantId,
        proposalId: d.proposalId,
        callId: d.callId,
        granteeOrganisationId: d.granteeOrganisationId,
        partnerOrganisationIds: [...d.partnerOrganisationIds],
        amountMinor: d.amountMinor,
        currency: d.currency,
        periodStart: d.periodStart,
        periodEnd: d.periodEnd,
        conditions: [...d.conditions],
        awardedAt: command.now,
      },
    },
  ];
}

function sameAward(terms: GrantTerms, command: AwardGrant): boolean {
  const d = command.data;
  return (
    terms.grantId === d.grantId &&
    terms.proposalId === d.proposalId &&
    terms.callId === d.callId &&
    terms.granteeOrganisationId === d.granteeOrganisationId &&
    sameList(terms.partnerOrganisationIds, d.partnerOrganisationIds) &&
    terms.awardedAmountMinor === d.amountMinor &&
    terms.currency === d.currency &&
    terms.periodStart === d.periodStart &&
    terms.awardedPeriodEnd === d.periodEnd &&
    sameList(terms.conditions, d.conditions)
  );
}

function signAgreement(command: SignGrantAgreement, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['awarded'], 'sign the grant agreement');
  if (d.signatories.length === 0 || d.signatories.some((s) => isBlank(s.name) || isBlank(s.role))) {
    throw new SignatoriesRequired();
  }
  const documents = d.documentIds === undefined ? {} : { documents: documentReferences(state, d.documentIds) };
  return [
    {
      type: 'GrantAgreementSigned',
      data: { grantId: d.grantId, signedAt: command.now, signatories: d.signatories.map(({ name, role }) => ({ name, role })), ...documents },
    },
  ];
}

/**
 * A document of the grant's file (agreement, annexes, report evidence), stored before this is
 * decided. Not after the grant ended: its file is closed. The same document recorded again (a
 * retried upload) appends nothing.
 */
function attachDocument(command: AttachGrantDocument, state: GrantState): GrantEvent[] {
  const d = command.data;
  const terms = requireStatus(state, d.grantId, ['awarded', 'active', 'suspended'], 'attach a document');
  if (isBlank(d.documentId)) throw new InvalidGrantDetails('documentId is required');
  if (isBlank(d.attachedBy)) throw new GrantActorRequired('attachedBy');
  if (isBlank(d.name) || d.name.length > 255) throw new InvalidGrantDocument('A document needs a name of at most 255 characters');
  if (!Number.isSafeInteger(d.sizeBytes) || d.sizeBytes <= 0) throw new InvalidGrantDocument('A document has a positive size in bytes');
  if (isBlank(d.contentType)) throw new InvalidGrantDocument('A document has a content type');
  if (!SHA256_HEX.test(d.sha256)) throw new InvalidGrantDocument('A document is identified by the lower-case hex SHA-256 of its bytes');
  if (d.organisationId !== terms.granteeOrganisationId) throw new InvalidGrantDocument("A grant's documents belong to its grantee");
  const existing = (state.documents ?? []).find((doc) => doc.documentId === d.documentId);
  if (existing !== undefined) {
    if (existing.sha256 === d.sha256 && existing.sizeBytes === d.sizeBytes) return [];
    throw new DuplicateGrantDocument(d.documentId);
  }
  return [
    {
      type: 'GrantDocumentAttached',
      data: {
        grantId: d.grantId,
        documentId: d.documentId,
        organisationId: d.organisationId,
        name: d.name,
        sizeBytes: d.sizeBytes,
        contentType: d.contentType,
        sha256: d.sha256,
        attachedBy: d.attachedBy,
        attachedAt: command.now,
      },
    },
  ];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Each id named once and attached to the grant; recorded with its content hash. */
function documentReferences(state: GrantState, documentIds: readonly string[]): ReportDocument[] {
  if (new Set(documentIds).size !== documentIds.length || documentIds.some(isBlank)) throw new InvalidReportDocuments();
  return documentIds.map((documentId) => {
    const document = (state.documents ?? []).find((doc) => doc.documentId === documentId);
    if (document === undefined) throw new DocumentNotAttached(documentId);
    return { documentId, sha256: document.sha256 };
  });
}

/**
 * Allowed while suspended too: planning a tranche pays nothing (payment needs an active grant).
 * Not once the grant is settled: the settlement scheduled its own final payment, if any.
 */
function scheduleDisbursement(command: ScheduleDisbursement, state: GrantState): GrantEvent[] {
  const d = command.data;
  const terms = requireStatus(state, d.grantId, ['awarded', 'active', 'suspended'], 'schedule a disbursement');
  if (state.status === 'awarded') throw new AgreementNotSigned();
  if (isBlank(d.trancheId)) throw new InvalidGrantDetails('trancheId is required');
  if (finalFinancialReportAccepted(state)) throw new DisbursementAfterSettlement(d.trancheId, state.finalPaymentTrancheId ?? null);
  if (state.tranches.some((t) => t.trancheId === d.trancheId)) throw new DuplicateTranche(d.trancheId);
  assertPositiveAmount('amountMinor', d.amountMinor);
  assertDate('dueDate', d.dueDate);
  assertWithinGrantWindow('dueDate', d.dueDate, terms);
  if (d.condition !== undefined) {
    const conditionReport = state.reports.find((r) => r.reportId === d.condition?.reportId);
    if (conditionReport === undefined) throw new ConditionReportUnknown(d.condition.reportId);
    // Payable only once a report that will never come is accepted: never payable.
    if (conditionReport.status === 'waived') throw new ReportAlreadyWaived(conditionReport.reportId);
  }
  const { scheduledMinor } = grantTotals(state);
  if (scheduledMinor + d.amountMinor > terms.amountMinor) {
    throw new DisbursementExceedsGrantAmount(terms.amountMinor, scheduledMinor, d.amountMinor);
  }
  return [
    {
      type: 'DisbursementScheduled',
      data: {
        grantId: d.grantId,
        trancheId: d.trancheId,
        amountMinor: d.amountMinor,
        dueDate: d.dueDate,
        ...(d.condition !== undefined ? { condition: { reportId: d.condition.reportId } } : {}),
        scheduledAt: command.now,
      },
    },
  ];
}

/**
 * Once the grant is settled (its final financial report accepted), only the settlement's final
 * payment is paid: the accepted costs are what the grantee is owed, and every other tranche still
 * scheduled then was cancelled by the settlement.
 */
function recordPayment(command: RecordDisbursementPayment, state: GrantState): GrantEvent[] {
  const d = command.data;
  const terms = requireStatus(state, d.grantId, ['active'], 'pay a disbursement');
  const tranche = state.tranches.find((t) => t.trancheId === d.trancheId);
  if (tranche === undefined) throw new TrancheNotFound(d.trancheId);
  if (tranche.status === 'paid') throw new TrancheAlreadyPaid(d.trancheId);
  if (tranche.status === 'cancelled') throw new TrancheCancelled(d.trancheId);
  if (finalFinancialReportAccepted(state) && tranche.trancheId !== state.finalPaymentTrancheId) throw new DisbursementAfterSettlement(d.trancheId, state.finalPaymentTrancheId ?? null);
  if (tranche.condition !== null) {
    const report = state.reports.find((r) => r.reportId === tranche.condition?.reportId);
    if (report?.status !== 'accepted') throw new ConditionReportNotAccepted(tranche.trancheId, tranche.condition.reportId);
  }
  if (isBlank(d.paymentReference)) throw new PaymentReferenceRequired();
  // Implied by the scheduling rule; checked again so a history written under older rules cannot overpay.
  const { paidMinor } = grantTotals(state);
  if (paidMinor + tranche.amountMinor > terms.amountMinor) {
    throw new PaymentExceedsGrantAmount(terms.amountMinor, paidMinor, tranche.amountMinor);
  }
  return [
    {
      type: 'DisbursementPaid',
      data: {
        grantId: d.grantId,
        trancheId: d.trancheId,
        paymentReference: d.paymentReference,
        amountMinor: tranche.amountMinor,
        paidAt: command.now,
      },
    },
  ];
}

/**
 * Settles a tranche that will not be paid, so that it stops counting as scheduled and the grant can
 * still close. Only a tranche still scheduled: a paid one is settled already (money cannot be
 * un-paid), and cancelling twice is refused rather than ignored — cancellation is final, and a
 * retried request is answered by its Idempotency-Key. Allowed while suspended: it pays nothing.
 */
function cancelDisbursement(command: CancelDisbursement, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['awarded', 'active', 'suspended'], 'cancel a disbursement');
  const tranche = state.tranches.find((t) => t.trancheId === d.trancheId);
  if (tranche === undefined) throw new TrancheNotFound(d.trancheId);
  if (tranche.status === 'paid') throw new TrancheAlreadyPaid(d.trancheId);
  if (tranche.status === 'cancelled') throw new TrancheCancelled(d.trancheId);
  if (tranche.trancheId === state.finalPaymentTrancheId) throw new FinalPaymentOwed(d.trancheId);
  if (isBlank(d.reason)) throw new GrantReasonRequired('cancel a disbursement');
  if (isBlank(d.cancelledBy)) throw new GrantActorRequired('cancelledBy');
  return [
    {
      type: 'DisbursementCancelled',
      data: {
        grantId: d.grantId,
        trancheId: d.trancheId,
        amountMinor: tranche.amountMinor,
        reason: d.reason,
        cancelledBy: d.cancelledBy,
        cancelledAt: command.now,
      },
    },
  ];
}

/** The reporting calendar may be set before the agreement is signed (it is usually part of it). */
function scheduleReport(command: ScheduleReport, state: GrantState): GrantEvent[] {
  const d = command.data;
  const terms = requireStatus(state, d.grantId, ['awarded', 'active', 'suspended'], 'schedule a report');
  if (isBlank(d.reportId)) throw new InvalidGrantDetails('reportId is required');
  if (state.reports.some((r) => r.reportId === d.reportId)) throw new DuplicateReport(d.reportId);
  if (!(REPORT_KINDS as readonly string[]).includes(d.kind)) throw new InvalidReportKind(d.kind);
  // The final financial report settled the grant: another financial report would have nothing to
  // account for (a narrative report, e.g. on impact a while after the end, may still follow).
  if (d.kind === 'financial' && finalFinancialReportAccepted(state)) throw new FinancialReportAfterSettlement(d.reportId);
  assertDate('dueDate', d.dueDate);
  assertWithinGrantWindow('dueDate', d.dueDate, terms);
  return [
    { type: 'ReportScheduled', data: { grantId: d.grantId, reportId: d.reportId, kind: d.kind, dueDate: d.dueDate, scheduledAt: command.now } },
  ];
}

/** Reports keep flowing while a grant is suspended: a missing report is a common reason to suspend. */
function submitReport(command: SubmitReport, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['active', 'suspended'], 'submit a report');
  const report = findReport(state, d.reportId);
  if (report.status === 'accepted') throw new ReportAlreadyAccepted(d.reportId);
  if (report.status === 'waived') throw new ReportAlreadyWaived(d.reportId);
  if (report.status === 'submitted') throw new ReportAlreadySubmitted(d.reportId);
  if (report.kind === 'financial' && state.budget) throw new FinancialReportNeedsExpenditure(d.reportId);
  if (isBlank(d.summary)) throw new ReportSummaryRequired();
  const documents = d.documentIds === undefined ? {} : { documents: documentReferences(state, d.documentIds) };
  return [
    {
      type: 'ReportSubmitted',
      data: {
        grantId: d.grantId,
        reportId: d.reportId,
        summary: d.summary,
        ...documents,
        submittedAt: command.now,
      },
    },
  ];
}

function acceptReport(command: AcceptReport, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['active', 'suspended'], 'accept a report');
  const report = findReport(state, d.reportId);
  if (report.status === 'accepted') throw new ReportAlreadyAccepted(d.reportId);
  if (report.status === 'waived') throw new ReportAlreadyWaived(d.reportId);
  if (report.status !== 'submitted') throw new ReportNotSubmitted(d.reportId);
  if (isBlank(d.acceptedBy)) throw new GrantActorRequired('acceptedBy');
  const accepted: GrantEvent = { type: 'ReportAccepted', data: { grantId: d.grantId, reportId: d.reportId, acceptedBy: d.acceptedBy, acceptedAt: command.now } };
  if (!report.financial?.final) return [accepted];
  if (finalFinancialReportAccepted(state)) throw new FinalFinancialReportAlreadyAccepted();
  return [accepted, ...settle(command, state, report.financial.totalSpentMinor)];
}

/**
 * The final financial report's accepted costs settle the grant: at most the grant amount is
 * owed; what was paid beyond the accepted costs is recovered, what is owed beyond what was paid is
 * the final payment, which replaces every tranche still scheduled (cancelled first).
 */
function settle(command: AcceptReport, state: GrantState, totalSpentMinor: number): GrantEvent[] {
  const d = command.data;
  const terms = state.terms as GrantTerms;
  const acceptedCostsMinor = Math.min(totalSpentMinor, terms.amountMinor);
  const { paidMinor } = grantTotals(state);
  const cancellations: GrantEvent[] = state.tranches
    .filter((t) => t.status === 'scheduled')
    .map((t) => ({
      type: 'DisbursementCancelled',
      data: { grantId: d.grantId, trancheId: t.trancheId, amountMinor: t.amountMinor, reason: 'Replaced by the settlement of the final financial report', cancelledAt: command.now },
    }));
  const base = { grantId: d.grantId, reportId: d.reportId, acceptedCostsMinor, paidMinor, determinedAt: command.now };
  if (acceptedCostsMinor > paidMinor) {
    const trancheId = d.finalPaymentTrancheId;
    if (isBlank(trancheId)) throw new InvalidGrantDetails('finalPaymentTrancheId is required to accept a final financial report that leaves money to pay');
    if (state.tranches.some((t) => t.trancheId === trancheId)) throw new DuplicateTranche(trancheId as string);
    return [...cancellations, { type: 'FinalPaymentDetermined', data: { ...base, trancheId: trancheId as string, amountMinor: acceptedCostsMinor - paidMinor } }];
  }
  if (acceptedCostsMinor < paidMinor) {
    return [...cancellations, { type: 'UnspentAdvanceRecoveryDetermined', data: { ...base, recoveryMinor: paidMinor - acceptedCostsMinor } }];
  }
  return cancellations;
}

function finalFinancialReportAccepted(state: GrantState): boolean {
  return state.reports.some((r) => r.financial?.final === true && r.status === 'accepted');
}

/** The budget is agreed once, line by line, summing to the grant amount. */
function agreeBudget(command: AgreeGrantBudget, state: GrantState): GrantEvent[] {
  const d = command.data;
  const terms = requireStatus(state, d.grantId, ['awarded', 'active', 'suspended'], 'agree the budget');
  if (state.budget) throw new BudgetAlreadyAgreed();
  if (isBlank(d.agreedBy)) throw new GrantActorRequired('agreedBy');
  assertBudgetLines(d.lines, terms.amountMinor);
  if (!Number.isSafeInteger(d.transferShareBasisPoints) || d.transferShareBasisPoints < 0 || d.transferShareBasisPoints > 10_000) {
    throw new InvalidGrantBudget('The transfer share is a whole number of basis points from 0 to 10000');
  }
  return [
    {
      type: 'GrantBudgetAgreed',
      data: {
        grantId: d.grantId,
        lines: d.lines.map(({ budgetLine, amountMinor }) => ({ budgetLine, amountMinor })),
        transferShareBasisPoints: d.transferShareBasisPoints,
        agreedBy: d.agreedBy,
        agreedAt: command.now,
      },
    },
  ];
}

/**
 * At least one line; non-blank names without leading or trailing spaces, distinct in any case
 * ("Legal aid" and "legal aid " would be two lines a reader cannot tell apart, and expenditure
 * must name each exactly: until 2026-12-06 such lines were agreed); positive whole amounts;
 * summing to the grant amount.
 */
function assertBudgetLines(lines: readonly BudgetLine[], amountMinor: number): void {
  if (lines.length === 0) throw new InvalidGrantBudget('A budget has at least one line');
  if (lines.some((l) => isBlank(l.budgetLine)) || new Set(lines.map((l) => l.budgetLine.toLowerCase())).size !== lines.length) {
    throw new InvalidGrantBudget('Budget lines have distinct, non-blank names (in any case)');
  }
  const padded = lines.find((l) => l.budgetLine !== l.budgetLine.trim());
  if (padded) throw new InvalidGrantBudget(`Budget line names have no leading or trailing spaces: ${JSON.stringify(padded.budgetLine)}`);
  if (lines.some((l) => !Number.isSafeInteger(l.amountMinor) || l.amountMinor <= 0)) throw new InvalidGrantBudget('Each line has a positive integer amount in minor units');
  const totalMinor = lines.reduce((sum, l) => sum + l.amountMinor, 0);
  if (totalMinor !== amountMinor) throw new InvalidGrantBudget(`The lines sum to ${totalMinor}, not to the grant amount ${amountMinor}`);
}

/**
 * Expenditure per line of the agreed budget. Spending beyond a line is a transfer from the others:
 * allowed without an amendment up to the agreed share of that line's budget (rounded down), and
 * never beyond the total budget.
 */
function submitFinancialReport(command: SubmitFinancialReport, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['active', 'suspended'], 'submit a financial report');
  const report = findReport(state, d.reportId);
  if (report.kind !== 'financial') throw new NotAFinancialReport(d.reportId);
  if (report.status === 'accepted') throw new ReportAlreadyAccepted(d.reportId);
  if (report.status === 'waived') throw new ReportAlreadyWaived(d.reportId);
  if (report.status === 'submitted') throw new ReportAlreadySubmitted(d.reportId);
  const budget = state.budget;
  if (!budget) throw new BudgetNotAgreed();
  if (d.final && finalFinancialReportAccepted(state)) throw new FinalFinancialReportAlreadyAccepted();
  if (new Set(d.expenditure.map((l) => l.budgetLine)).size !== d.expenditure.length) throw new InvalidExpenditure('Each budget line is reported once');
  for (const line of d.expenditure) {
    if (!budget.lines.some((b) => b.budgetLine === line.budgetLine)) throw new InvalidExpenditure(`"${line.budgetLine}" is not a line of the agreed budget`);
    if (!Number.isSafeInteger(line.spentMinor) || line.spentMinor < 0) throw new InvalidExpenditure('Amounts spent are non-negative integers in minor units');
  }
  for (const line of budget.lines) {
    const spentMinor = d.expenditure.find((l) => l.budgetLine === line.budgetLine)?.spentMinor ?? 0;
    const overspentMinor = spentMinor - line.amountMinor;
    const allowedMinor = Math.floor((line.amountMinor * budget.transferShareBasisPoints) / 10_000);
    if (overspentMinor > allowedMinor) throw new TransferExceedsShare(line.budgetLine, overspentMinor, allowedMinor);
  }
  const totalSpentMinor = d.expenditure.reduce((sum, l) => sum + l.spentMinor, 0);
  const budgetMinor = budget.lines.reduce((sum, l) => sum + l.amountMinor, 0);
  if (totalSpentMinor > budgetMinor) throw new ExpenditureExceedsBudget(totalSpentMinor, budgetMinor);
  const documents = d.documentIds === undefined ? {} : { documents: documentReferences(state, d.documentIds) };
  return [
    {
      type: 'FinancialReportSubmitted',
      data: {
        grantId: d.grantId,
        reportId: d.reportId,
        final: d.final,
        expenditure: d.expenditure.map(({ budgetLine, spentMinor }) => ({ budgetLine, spentMinor })),
        totalSpentMinor,
        ...documents,
        submittedAt: command.now,
      },
    },
  ];
}

/**
 * The unspent advance the final financial report showed, repaid by the grantee. A debt survives the
 * grant's termination: the repayment is recorded on a terminated grant too (its termination
 * already released the amount to the call).
 */
function recordRecovery(command: RecordAdvanceRecovery, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['active', 'suspended', 'terminated'], 'record the recovery of an unspent advance');
  if (!state.recovery || state.recovery.recovered) throw new NoRecoveryDue();
  if (isBlank(d.reference)) throw new PaymentReferenceRequired();
  return [{ type: 'UnspentAdvanceRecovered', data: { grantId: d.grantId, recoveryMinor: state.recovery.recoveryMinor, reference: d.reference, recoveredAt: command.now } }];
}

function requestRevision(command: RequestReportRevision, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['active', 'suspended'], 'request a report revision');
  const report = findReport(state, d.reportId);
  if (report.status === 'accepted') throw new ReportAlreadyAccepted(d.reportId);
  if (report.status === 'waived') throw new ReportAlreadyWaived(d.reportId);
  if (report.status !== 'submitted') throw new ReportNotSubmitted(d.reportId);
  if (isBlank(d.reason)) throw new GrantReasonRequired('request a report revision');
  if (isBlank(d.requestedBy)) throw new GrantActorRequired('requestedBy');
  return [
    {
      type: 'ReportRevisionRequested',
      data: { grantId: d.grantId, reportId: d.reportId, reason: d.reason, requestedBy: d.requestedBy, requestedAt: command.now },
    },
  ];
}

/**
 * The programme waives a report the grantee owes (scheduled, or sent back for revision) that will
 * not come: it stops being owed, overdue, and in the way of closure, with the reason on record. A
 * report accepted is done, one waived stays waived, and one submitted is reviewed instead (accept
 * it, or send it back and then waive it).
 *
 * A waiver is no financial decision: it accepts no cost and pays nothing. A tranche payable only
 * once this report is accepted can never be paid, so it is cancelled in the same append (after
 * ReportWaived, which it follows from); the final payment, which no report conditions, is untouched.
 * Waiving a financial report settles nothing either: with a budget agreed, the grant still closes
 * only on an accepted final financial report (schedule another one), or is terminated.
 */
function waiveReport(command: WaiveReport, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['awarded', 'active', 'suspended'], 'waive a report');
  const report = findReport(state, d.reportId);
  if (report.status === 'accepted') throw new ReportAlreadyAccepted(d.reportId);
  if (report.status === 'waived') throw new ReportAlreadyWaived(d.reportId);
  if (report.status === 'submitted') throw new ReportAlreadySubmitted(d.reportId);
  if (isBlank(d.reason)) throw new GrantReasonRequired('waive a report');
  if (isBlank(d.waivedBy)) throw new GrantActorRequired('waivedBy');
  const cancellations: GrantEvent[] = state.tranches
    .filter((t) => t.status === 'scheduled' && t.condition?.reportId === d.reportId)
    .map((t) => ({
      type: 'DisbursementCancelled',
      data: { grantId: d.grantId, trancheId: t.trancheId, amountMinor: t.amountMinor, reason: `Payable only once report ${d.reportId} was accepted, which was waived`, cancelledAt: command.now },
    }));
  return [{ type: 'ReportWaived', data: { grantId: d.grantId, reportId: d.reportId, reason: d.reason, waivedBy: d.waivedBy, waivedAt: command.now } }, ...cancellations];
}

function amend(command: AmendGrant, state: GrantState): GrantEvent[] {
  const d = command.data;
  const terms = requireStatus(state, d.grantId, ['awarded', 'active', 'suspended'], 'amend the grant');
  if (isBlank(d.amendmentId)) throw new InvalidGrantDetails('amendmentId is required');
  if (state.amendmentIds.includes(d.amendmentId)) throw new DuplicateAmendment(d.amendmentId);
  if (!(AMENDMENT_KINDS as readonly string[]).includes(d.kind)) throw new InvalidAmendment(`Unknown amendment kind ${JSON.stringify(d.kind)}`);
  if (isBlank(d.reason)) throw new GrantReasonRequired('amend the grant');
  if (isBlank(d.approvedBy)) throw new GrantActorRequired('approvedBy');
  if (d.kind !== 'no-cost-extension' && finalFinancialReportAccepted(state)) throw new AmendmentAfterSettlement(d.kind);
  const base = { grantId: d.grantId, amendmentId: d.amendmentId, reason: d.reason, approvedBy: d.approvedBy, amendedAt: command.now };

  switch (d.kind) {
    case 'no-cost-extension': {
      onlyFields(d, 'newPeriodEnd');
      const newPeriodEnd = d.newPeriodEnd as string;
      assertDate('newPeriodEnd', newPeriodEnd);
      if (!(newPeriodEnd > terms.periodEnd)) throw new ExtensionNotLater(terms.periodEnd, newPeriodEnd);
      const latestPeriodEnd = addYears(terms.periodStart, MAX_GRANT_PERIOD_YEARS);
      if (newPeriodEnd > latestPeriodEnd) throw new ExtensionTooLong(terms.periodStart, latestPeriodEnd, newPeriodEnd);
      return [{ type: 'GrantAmended', data: { ...base, kind: 'no-cost-extension', previousPeriodEnd: terms.periodEnd, newPeriodEnd } }];
    }
    case 'amount-change': {
      onlyFields(d, 'newAmountMinor', ['budgetLines']);
      const newAmountMinor = d.newAmountMinor as number;
      assertPositiveAmount('newAmountMinor', newAmountMinor);
      if (newAmountMinor === terms.amountMinor) throw new AmountUnchanged(terms.amountMinor);
      if (newAmountMinor > terms.amountMinor && newAmountMinor > command.call.maxAwardMinor) throw new AmountExceedsCallMaximum(newAmountMinor, command.call.maxAwardMinor);
      const { paidMinor, scheduledMinor } = grantTotals(state);
      if (newAmountMinor < paidMinor) throw new AmountBelowPaid(newAmountMinor, paidMinor);
      if (newAmountMinor < scheduledMinor) throw new AmountBelowScheduled(newAmountMinor, scheduledMinor);
      const budgetLines = amendedBudgetLines(state, newAmountMinor, d.budgetLines);
      return [
        {
          type: 'GrantAmended',
          data: { ...base, kind: 'amount-change', previousAmountMinor: terms.amountMinor, newAmountMinor, ...(budgetLines === undefined ? {} : { budgetLines }) },
        },
      ];
    }
    case 'budget-reallocation': {
      onlyFields(d, 'budgetReallocation');
      const lines = d.budgetReallocation ?? [];
      assertReallocation(state, lines);
      return [
        {
          type: 'GrantAmended',
          data: {
            ...base,
            kind: 'budget-reallocation',
            budgetReallocation: lines.map(({ budgetLine, changeMinor }) => ({ budgetLine, changeMinor })),
          },
        },
      ];
    }
    default:
      return assertNever(d.kind);
  }
}

/**
 * A reallocation moves money between the lines of the grant's current budget (as agreed, with
 * earlier reallocations applied), so it needs that budget: every line it names is one of its lines,
 * named once and spelled exactly as agreed (budget lines are compared as stored everywhere, like the
 * expenditure of a financial report); money moved out of a line leaves it at zero or more and at
 * least at what is reported spent on it; the changes sum to zero. The floors are checked before the
 * sum: the money moved out is then bounded by the budget, so no rounding can make a sum look zero.
 */
function assertReallocation(state: GrantState, lines: readonly { budgetLine: string; changeMinor: number }[]): void {
  const budget = state.budget;
  if (!budget) throw new BudgetNotAgreed();
  if (lines.length < 2) throw new InvalidBudgetReallocation('A reallocation moves money between at least two budget lines');
  if (lines.some((l) => isBlank(l.budgetLine) || !Number.isSafeInteger(l.changeMinor) || l.changeMinor === 0)) {
    throw new InvalidBudgetReallocation('Each line needs a budget line name and a non-zero integer change in minor units');
  }
  if (new Set(lines.map((l) => l.budgetLine)).size !== lines.length) throw new InvalidBudgetReallocation('Each budget line is named once');
  for (const { budgetLine, changeMinor } of lines) {
    const line = budget.lines.find((b) => b.budgetLine === budgetLine);
    if (line === undefined) throw new ReallocationLineUnknown(budgetLine);
    if (changeMinor > 0) continue;
    const spentMinor = reportedSpentMinor(state, budgetLine);
    if (line.amountMinor + changeMinor < Math.max(0, spentMinor)) throw new ReallocationOverdrawsLine(budgetLine, line.amountMinor, changeMinor, spentMinor);
  }
  const netChangeMinor = lines.reduce((sum, l) => sum + l.changeMinor, 0);
  if (netChangeMinor !== 0) throw new ReallocationChangesAmount(netChangeMinor);
}

/**
 * What the financial reports that stand (submitted, or accepted; not those sent back for revision)
 * show as spent on a line: the most any of them shows. The final report is cumulative; an interim
 * one covers its period, so this is never more than what was spent on the line so far.
 */
function reportedSpentMinor(state: GrantState, budgetLine: string): number {
  let spentMinor = 0;
  for (const report of state.reports) {
    if (!report.financial || (report.status !== 'submitted' && report.status !== 'accepted')) continue;
    for (const line of report.financial.expenditure) if (line.budgetLine === budgetLine) spentMinor = Math.max(spentMinor, line.spentMinor);
  }
  return spentMinor;
}

/**
 * An agreed budget stays equal to the grant amount: an amount change on a grant with a budget
 * carries its new lines, which follow the rules of agreeing a budget (summing to the new amount)
 * and cut no line below what a standing financial report shows spent on it (a line left out is cut
 * to zero; a line kept or raised may stay below what was spent on it, a transfer within its share).
 * Without a budget there are no lines to change: agree one first (POST /grants/{id}/budget).
 */
function amendedBudgetLines(state: GrantState, newAmountMinor: number, lines: readonly BudgetLine[] | undefined): BudgetLine[] | undefined {
  const budget = state.budget;
  if (!budget) {
    if (lines !== undefined) throw new BudgetNotAgreed();
    return undefined;
  }
  if (lines === undefined) throw new AmountChangeBudgetRequired(budget.lines.reduce((sum, l) => sum + l.amountMinor, 0));
  assertBudgetLines(lines, newAmountMinor);
  for (const line of budget.lines) {
    const newLineMinor = lines.find((l) => l.budgetLine === line.budgetLine)?.amountMinor ?? 0;
    if (newLineMinor >= line.amountMinor) continue;
    const spentMinor = reportedSpentMinor(state, line.budgetLine);
    if (newLineMinor < spentMinor) throw new AmendedBudgetLineBelowSpent(line.budgetLine, line.amountMinor, newLineMinor, spentMinor);
  }
  return lines.map(({ budgetLine, amountMinor }) => ({ budgetLine, amountMinor }));
}

const AMENDMENT_FIELDS = ['newPeriodEnd', 'newAmountMinor', 'budgetReallocation', 'budgetLines'] as const;
type AmendmentField = (typeof AMENDMENT_FIELDS)[number];

/** The kind's own field must be present and the other kinds' fields absent (`optional`: the kind's own optional fields). */
function onlyFields(data: AmendGrant['data'], required: AmendmentField, optional: readonly AmendmentField[] = []): void {
  if (data[required] === undefined) throw new InvalidAmendment(`A ${data.kind} amendment needs ${required}`);
  const foreign = AMENDMENT_FIELDS.filter((f) => f !== required && !optional.includes(f) && data[f] !== undefined);
  if (foreign.length > 0) throw new InvalidAmendment(`A ${data.kind} amendment cannot change ${foreign.join(', ')}`);
}

function suspend(command: SuspendGrant, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['active'], 'suspend the grant');
  if (isBlank(d.reason)) throw new GrantReasonRequired('suspend the grant');
  return [{ type: 'GrantSuspended', data: { grantId: d.grantId, reason: d.reason, suspendedAt: command.now } }];
}

function reinstate(command: ReinstateGrant, state: GrantState): GrantEvent[] {
  const d = command.data;
  requireStatus(state, d.grantId, ['suspended'], 'reinstate the grant');
  if (isBlank(d.reason)) throw new GrantReasonRequired('reinstate the grant');
  return [{ type: 'GrantReinstated', data: { grantId: d.grantId, reason: d.reason, reinstatedAt: command.now } }];
}

/**
 * Settles every unpaid tranche by cancelling it (DisbursementCancelled, before GrantTerminated in
 * the same append), so the history shows no tranche left open. The unspent amount goes back to the
 * call: the amount minus what was paid net of recoveries, an unspent advance still owed included
 * (the debt survives: its repayment is recorded on the terminated grant). A grant whose agreement
 * was never signed (the grantee declined) is terminated too, releasing its whole amount.
 *
 * Not while the settlement's final payment is scheduled and unpaid: it is owed for the accepted
 * costs and never cancelled, so the grant is paid and closed instead. Once it is paid, a
 * termination releases the amount minus the accepted costs, as a closure would.
 */
function terminate(command: TerminateGrant, state: GrantState): GrantEvent[] {
  const d = command.data;
  const terms = requireStatus(state, d.grantId, ['awarded', 'active', 'suspended'], 'terminate the grant');
  if (isBlank(d.reason)) throw new GrantReasonRequired('terminate the grant');
  const finalPayment = state.tranches.find((t) => t.trancheId === state.finalPaymentTrancheId && t.status === 'scheduled');
  if (finalPayment) throw new TerminationFinalPaymentOwed(finalPayment.trancheId, finalPayment.amountMinor);
  const cancellations: GrantEvent[] = state.tranches
    .filter((t) => t.status === 'scheduled')
    .map((t) => ({
      type: 'DisbursementCancelled',
      data: { grantId: d.grantId, trancheId: t.trancheId, amountMinor: t.amountMinor, reason: d.reason, cancelledAt: command.now },
    }));
  const unspentMinor = terms.amountMinor - netPaidMinor(state);
  return [...cancellations, { type: 'GrantTerminated', data: { grantId: d.grantId, reason: d.reason, unspentMinor, terminatedAt: command.now } }];
}

/**
 * Every tranche must be settled — paid, or cancelled — and every report accepted or waived: the
 * final report(s) first, then any other the grantee still owes (scheduled, or sent back for
 * revision) or the programme still reviews. A waived report is owed no more (WaiveReport); a waiver
 * settles no money, so with a budget the final financial report is still accepted first.
 */
function close(command: CloseGrant, state: GrantState): GrantEvent[] {
  const d = command.data;
  const terms = requireStatus(state, d.grantId, ['active'], 'close the grant');
  const finalReports = state.reports.filter((r) => r.kind === 'final');
  if (finalReports.length === 0 || finalReports.some((r) => r.status !== 'accepted' && r.status !== 'waived')) throw new FinalReportNotAccepted();
  if (state.budget && !finalFinancialReportAccepted(state)) throw new FinalFinancialReportNotAccepted();
  if (state.recovery && !state.recovery.recovered) throw new RecoveryOutstanding(state.recovery.recoveryMinor);
  const awaitingReview = state.reports.filter((r) => r.status === 'submitted').map((r) => r.reportId);
  if (awaitingReview.length > 0) throw new ReportsAwaitingReview(awaitingReview);
  const outstanding = state.reports.filter((r) => r.status === 'scheduled' || r.status === 'revision-requested').map((r) => r.reportId);
  if (outstanding.length > 0) throw new ReportsOutstanding(outstanding);
  const unsettled = state.tranches.filter((t) => t.status === 'scheduled').map((t) => t.trancheId);
  if (unsettled.length > 0) throw new UnpaidTranches(unsettled);
  const unspentMinor = terms.amountMinor - netPaidMinor(state);
  return [{ type: 'GrantClosed', data: { grantId: d.grantId, unspentMinor, closedAt: command.now } }];
}

/**
 * Paid to the grantee, minus the unspent advance it owes back: what the grant finally cost. At
 * closure the recovery is repaid (RecoveryOutstanding otherwise); at termination it may still be
 * owed, and is counted all the same: the grantee repays it whatever becomes of the grant.
 */
function netPaidMinor(state: GrantState): number {
  return grantTotals(state).paidMinor - (state.recovery ? state.recovery.recoveryMinor : 0);
}

// ---------------------------------------------------------------------------------------------
// guards

/** StreamNotFound before the award; InvalidStateTransition outside the allowed statuses. */
function requireStatus(state: GrantState, grantId: string, allowed: readonly GrantStatus[], attempted: string): GrantTerms {
  if (state.terms === null) throw new StreamNotFound(grantStreamName(grantId));
  if (!allowed.includes(state.status)) throw new InvalidStateTransition(state.status, attempted);
  return state.terms;
}

function findReport(state: GrantState, reportId: string): GrantReport {
  const report = state.reports.find((r) => r.reportId === reportId);
  if (report === undefined) throw new ReportNotScheduled(reportId);
  return report;
}

function assertPositiveAmount(field: string, amountMinor: number): void {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new InvalidGrantAmount(field, amountMinor);
}

/** A real calendar date `YYYY-MM-DD`; such strings compare correctly as strings. */
function assertDate(field: string, value: string): void {
  if (!isCalendarDate(value)) throw new InvalidGrantDate(field, value);
}

/** How long a grant's period may last, extensions included. */
export const MAX_GRANT_PERIOD_YEARS = 10;

/**
 * A tranche's or a report's due date falls between the grant's award and a year after its period
 * ends, the period as extended (final reports and the final payment come after the end). A period
 * that began before the award (a grant made retroactively) opens the window at its start instead.
 * A date outside it is a typing mistake (1999 for 2029), not a plan.
 */
function assertWithinGrantWindow(field: string, value: string, terms: GrantTerms): void {
  const awardedOn = terms.awardedAt.slice(0, 10);
  const earliest = awardedOn < terms.periodStart ? awardedOn : terms.periodStart;
  const latest = addYears(terms.periodEnd, 1);
  if (value < earliest || value > latest) throw new DateOutsideGrantWindow(field, value, earliest, latest);
}

function isBlank(value: string | undefined | null): boolean {
  return typeof value !== 'string' || value.trim() === '';
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

// ---------------------------------------------------------------------------------------------
// pure helpers for read models

export interface GrantTotals {
  /** Current amount, after amendments (0 before the award). */
  amountMinor: number;
  /** Sum of tranches not cancelled (scheduled or paid). */
  scheduledMinor: number;
  paidMinor: number;
  /** Still to be paid to the grantee: amount minus paid. */
  remainingMinor: number;
  /** Not yet planned in any tranche: amount minus scheduled. */
  unscheduledMinor: number;
}

export function grantTotals(state: GrantState): GrantTotals {
  const amountMinor = state.terms?.amountMinor ?? 0;
  let scheduledMinor = 0;
  let paidMinor = 0;
  for (const tranche of state.tranches) {
    if (tranche.status !== 'cancelled') scheduledMinor += tranche.amountMinor;
    if (tranche.status === 'paid') paidMinor += tranche.amountMinor;
  }
  return { amountMinor, scheduledMinor, paidMinor, remainingMinor: amountMinor - paidMinor, unscheduledMinor: amountMinor - scheduledMinor };
}

const isFinished = (state: GrantState): boolean => state.status === 'terminated' || state.status === 'closed';

/** Earliest due date (`YYYY-MM-DD`) of a report not yet accepted nor waived; `null` when none or the grant is finished. */
export function nextReportDue(state: GrantState): string | null {
  if (isFinished(state)) return null;
  const pending = state.reports.filter((r) => r.status !== 'accepted' && r.status !== 'waived').map((r) => r.dueDate);
  return pending.length === 0 ? null : pending.reduce((earliest, dueDate) => (dueDate < earliest ? dueDate : earliest));
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whether the grantee owes a report past its due date: one that is scheduled or sent back for
 * revision, with `now` (an ISO timestamp, any offset) after the end of its due date in UTC.
 * A report submitted and awaiting review is not overdue: the programme owes the next step.
 */
export function isOverdue(state: GrantState, now: string): boolean {
  if (isFinished(state)) return false;
  const nowMs = Date.parse(now);
  return state.reports.some(
    (r) => (r.status === 'scheduled' || r.status === 'revision-requested') && nowMs >= Date.parse(`${r.dueDate}T00:00:00Z`) + DAY_MS,
  );
}
