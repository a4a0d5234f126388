import type {
  AmendmentKind,
  BudgetLine,
  BudgetReallocationLine,
  DisbursementCondition,
  ExpenditureLine,
  ReportKind,
  Signatory,
} from './grant.events';

/**
 * Commands for the `grant-{uuid}` stream. Every command names its grant (`data.grantId`) and carries
 * `now`: an ISO timestamp the application takes from its injected clock. Ids of things created
 * inside the grant (trancheId, reportId, amendmentId) are generated outside the domain; the acting
 * user comes in as data where a rule or the record needs it (acceptedBy, requestedBy, approvedBy,
 * cancelledBy).
 */

/** Sent by the award process manager once the call has committed the funds. */
export type AwardGrant = {
  type: 'AwardGrant';
  data: {
    grantId: string;
    proposalId: string;
    callId: string;
    granteeOrganisationId: string;
    partnerOrganisationIds: string[];
    amountMinor: number;
    currency: string;
    periodStart: string;
    periodEnd: string;
    conditions: string[];
  };
  now: string;
};

/** `documentIds`: documents attached to the grant beforehand (the signed agreement, its annexes). */
export type SignGrantAgreement = {
  type: 'SignGrantAgreement';
  data: { grantId: string; signatories: Signatory[]; documentIds?: string[] };
  now: string;
};

/**
 * Records a document already stored (content-addressed, encrypted) for the grant; the application
 * stores the bytes first and passes what it learnt of them. `organisationId` is the organisation
 * whose key encrypted it, and must be the grantee.
 */
export type AttachGrantDocument = {
  type: 'AttachGrantDocument';
  data: {
    grantId: string;
    documentId: string;
    organisationId: string;
    name: string;
    sizeBytes: number;
    contentType: string;
    sha256: string;
    attachedBy: string;
  };
  now: string;
};

export type ScheduleDisbursement = {
  type: 'ScheduleDisbursement';
  data: { grantId: string; trancheId: string; amountMinor: number; dueDate: string; condition?: DisbursementCondition };
  now: string;
};

/** The amount paid is always the tranche's scheduled amount; `now` becomes `paidAt`. */
export type RecordDisbursementPayment = {
  type: 'RecordDisbursementPayment';
  data: { grantId: string; trancheId: string; paymentReference: string };
  now: string;
};

/** Settles a scheduled, unpaid tranche without paying it (e.g. an activity the network dropped). */
export type CancelDisbursement = {
  type: 'CancelDisbursement';
  data: { grantId: string; trancheId: string; reason: string; cancelledBy: string };
  now: string;
};

export type ScheduleReport = {
  type: 'ScheduleReport';
  data: { grantId: string; reportId: string; kind: ReportKind; dueDate: string };
  now: string;
};

export type SubmitReport = {
  type: 'SubmitReport';
  /** `documentIds`: documents attached to the grant beforehand. */
  data: { grantId: string; reportId: string; summary: string; documentIds?: string[] };
  now: string;
};

/**
 * `finalPaymentTrancheId`: the id the final payment gets if this is the final financial report and
 * accepted costs exceed what was paid (generated outside the domain, like every id).
 */
export type AcceptReport = {
  type: 'AcceptReport';
  data: { grantId: string; reportId: string; acceptedBy: string; finalPaymentTrancheId?: string };
  now: string;
};

/** The budget per line, summing to the grant amount; `transferShareBasisPoints` is the programme's or call's term. */
export type AgreeGrantBudget = {
  type: 'AgreeGrantBudget';
  data: { grantId: string; lines: BudgetLine[]; transferShareBasisPoints: number; agreedBy: string };
  now: string;
};

/** Expenditure per budget line on a scheduled report of kind `financial`; `final` for the closing one. */
export type SubmitFinancialReport = {
  type: 'SubmitFinancialReport';
  data: { grantId: string; reportId: string; final: boolean; expenditure: ExpenditureLine[]; documentIds?: string[] };
  now: string;
};

/** The grantee repaid the unspent advance the final financial report showed. */
export type RecordAdvanceRecovery = {
  type: 'RecordAdvanceRecovery';
  data: { grantId: string; reference: string };
  now: string;
};

/**
 * The programme's decision that a scheduled report will not come (the grantee's office was closed
 * down, the people who would write it are gone): the report is no longer owed, with the reason on
 * record. `waivedBy`: the grant manager who decided.
 */
export type WaiveReport = {
  type: 'WaiveReport';
  data: { grantId: string; reportId: string; reason: string; waivedBy: string };
  now: string;
};

export type RequestReportRevision = {
  type: 'RequestReportRevision';
  data: { grantId: string; reportId: string; reason: string; requestedBy: string };
  now: string;
};

/**
 * Flat on purpose (it mirrors the HTTP body): the decider checks that exactly the field the kind
 * needs is present — `newPeriodEnd` for a no-cost extension, `newAmountMinor` for an amount change,
 * `budgetReallocation` for a budget reallocation — and records a GrantAmended narrowed by kind.
 * `budgetLines` goes with an amount change only: the new budget, required when one is agreed and
 * refused when none is.
 */
export type AmendGrant = {
  type: 'AmendGrant';
  data: {
    grantId: string;
    amendmentId: string;
    kind: AmendmentKind;
    reason: string;
    approvedBy: string;
    newPeriodEnd?: string;
    newAmountMinor?: number;
    budgetReallocation?: BudgetReallocationLine[];
    budgetLines?: BudgetLine[];
  };
  /**
   * The call the grant draws on, as plain data read by the handler (its terms are fixed when it is
   * drafted, so nothing is pinned): an amount increase never takes the grant above its maximum
   * award per grant.
   */
  call: { maxAwardMinor: number };
  now: string;
};

export type SuspendGrant = { type: 'SuspendGrant'; data: { grantId: string; reason: string }; now: string };
export type ReinstateGrant = { type: 'ReinstateGrant'; data: { grantId: string; reason: string }; now: string };
export type TerminateGrant = { type: 'TerminateGrant'; data: { grantId: string; reason: string }; now: string };
export type CloseGrant = { type: 'CloseGrant'; data: { grantId: string }; now: string };

export type GrantCommand =
  | AwardGrant
  | SignGrantAgreement
  | AttachGrantDocument
  | ScheduleDisbursement
  | RecordDisbursementPayment
  | CancelDisbursement
  | ScheduleReport
  | SubmitReport
  | AcceptReport
  | RequestReportRevision
  | WaiveReport
  | AgreeGrantBudget
  | SubmitFinancialReport
  | RecordAdvanceRecovery
  | AmendGrant
  | SuspendGrant
  | ReinstateGrant
  | TerminateGrant
  | CloseGrant;
