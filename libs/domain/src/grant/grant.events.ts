/**
 * Events of the `grant-{uuid}` stream. The `type` strings are stored in the log and are part of
 * the public contract: never derive them from class names, never rename them. A change to an
 * event's data shape gets a new schema version in `grantEventSchemaVersions` and an upcaster
 * from the old one, applied on read.
 *
 * Conventions (shared with the other streams):
 * - amounts are integers in minor units (`...Minor`) in the grant's ISO 4217 currency;
 * - `...At` fields are ISO 8601 timestamps from the application's clock; `periodStart`,
 *   `periodEnd` and `dueDate` are calendar dates `YYYY-MM-DD` (inclusive);
 * - every event carries `grantId`, so a consumer of the global log need not parse stream names.
 */

import { eventTypesOf, isEventOf } from '../shared/stream-kind';

export const REPORT_KINDS = ['interim', 'final', 'financial'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export const AMENDMENT_KINDS = ['budget-reallocation', 'no-cost-extension', 'amount-change'] as const;
export type AmendmentKind = (typeof AMENDMENT_KINDS)[number];

/** Personal data: encrypted inside stored events by the infrastructure; the list is `null` once erased. */
export interface Signatory {
  name: string;
  role: string;
}

/**
 * A stored document a report or the agreement refers to: one attached to the grant
 * (GrantDocumentAttached), by id and content hash. `documentId` is absent (and `name` set) only in
 * reports recorded at schema version 1, which named files without storing them.
 */
export interface ReportDocument {
  documentId?: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
  /** Only in reports recorded at schema version 1 (upcast): the file name they gave. */
  name?: string;
}

/**
 * One line of a budget reallocation: money moved into (positive) or out of (negative) a budget
 * line named in free text. The lines of one reallocation sum to zero: the grant amount is unchanged.
 */
export interface BudgetReallocationLine {
  budgetLine: string;
  changeMinor: number;
}

/** A tranche payable only once the named report has been accepted. */
export interface DisbursementCondition {
  reportId: string;
}

export interface GrantAwardedData {
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
  awardedAt: string;
}

export interface GrantAgreementSignedData {
  grantId: string;
  signedAt: string;
  /** Personal data (see `grantPersonalDataFields`); `null` after crypto-shredding. */
  signatories: Signatory[] | null;
  /** The signed agreement and its annexes, attached to the grant beforehand (schema version 2). */
  documents?: ReportDocument[];
}

/**
 * A document stored for the grant (content-addressed, encrypted with the key of the organisation
 * owning it, the grantee). `name` is personal data, encrypted with the same subject, so an erasure
 * of the organisation shreds the file and its name together; `null` after that.
 */
export interface GrantDocumentAttachedData {
  grantId: string;
  documentId: string;
  /** The organisation whose personal-data key encrypts the file and its name: the grantee. */
  organisationId: string;
  name: string | null;
  sizeBytes: number;
  /** Sniffed from the bytes when uploaded. */
  contentType: string;
  /** Lower-case hex SHA-256 of the file's bytes: where it is stored. */
  sha256: string;
  attachedBy: string;
  attachedAt: string;
}

export interface DisbursementScheduledData {
  grantId: string;
  trancheId: string;
  amountMinor: number;
  dueDate: string;
  /** Absent: payable any time the grant is active. */
  condition?: DisbursementCondition;
  scheduledAt: string;
}

export interface DisbursementPaidData {
  grantId: string;
  trancheId: string;
  paymentReference: string;
  /** Always the tranche's scheduled amount; repeated here for consumers of the log. */
  amountMinor: number;
  paidAt: string;
}

/**
 * A scheduled tranche that will never be paid: settled without payment, so it no longer counts as
 * scheduled and no longer blocks closure. Recorded on its own (CancelDisbursement), or for every
 * unpaid tranche when a grant is terminated, in the same append as GrantTerminated and before it, or
 * for the tranches payable only once a report is accepted when that report is waived, in the same
 * append as ReportWaived and after it.
 */
export interface DisbursementCancelledData {
  grantId: string;
  trancheId: string;
  /** The tranche's scheduled amount; repeated here for consumers of the log. */
  amountMinor: number;
  reason: string;
  /**
   * User id of whoever cancelled the tranche on its own. Absent when a termination, a settlement or
   * a waiver cancelled it (the event metadata names the actor), and in events recorded before
   * single cancellations existed.
   */
  cancelledBy?: string;
  cancelledAt: string;
}

export interface ReportScheduledData {
  grantId: string;
  reportId: string;
  kind: ReportKind;
  dueDate: string;
  scheduledAt: string;
}

export interface ReportSubmittedData {
  grantId: string;
  reportId: string;
  summary: string;
  documents?: ReportDocument[];
  submittedAt: string;
}

export interface ReportAcceptedData {
  grantId: string;
  reportId: string;
  acceptedBy: string;
  acceptedAt: string;
}

export interface ReportRevisionRequestedData {
  grantId: string;
  reportId: string;
  reason: string;
  requestedBy: string;
  requestedAt: string;
}

/**
 * The programme waived a report the grantee owed (scheduled, or sent back for revision): it is no
 * longer owed and no longer keeps the grant from closing. A waiver settles nothing: no cost is
 * accepted and nothing is paid on it; the tranches that were payable only once this report was
 * accepted are cancelled in the same append, after it (DisbursementCancelled). Not public: reports
 * are not in the public catalogue, and the reason is free text that may name people.
 */
export interface ReportWaivedData {
  grantId: string;
  reportId: string;
  reason: string;
  /** The grant manager who decided. */
  waivedBy: string;
  waivedAt: string;
}

interface GrantAmendmentBase {
  grantId: string;
  amendmentId: string;
  reason: string;
  approvedBy: string;
  amendedAt: string;
}

/** Narrow on `data.kind`: each kind carries exactly the fields it changes. */
export type GrantAmendedData = GrantAmendmentBase &
  (
    | { kind: 'budget-reallocation'; budgetReallocation: BudgetReallocationLine[] }
    | { kind: 'no-cost-extension'; previousPeriodEnd: string; newPeriodEnd: string }
    | {
        kind: 'amount-change';
        /** The delta to the call's commitment is `newAmountMinor - previousAmountMinor` (a process manager applies it). */
        previousAmountMinor: number;
        newAmountMinor: number;
        /**
         * The grant's budget after the change, line by line, summing to `newAmountMinor`: present
         * when a budget was agreed (required since 2026-12-05), and then it replaces the budget's
         * lines (the transfer share stays). Absent: no budget was agreed, or the change was recorded
         * before the rule, and the budget stays as it was. Line names are never public.
         */
        budgetLines?: BudgetLine[];
      }
  );

/** One line of the agreed budget. Line names are free text and never public. */
export interface BudgetLine {
  budgetLine: string;
  amountMinor: number;
}

/**
 * The budget the grant is agreed on, line by line, summing to the grant amount. It carries the
 * share of a line's budget that spending may exceed by transfers from other lines without an
 * amendment (a programme or call term, in basis points: 1000 = 10 %), so every later decision
 * replays with the term in force.
 */
export interface GrantBudgetAgreedData {
  grantId: string;
  lines: BudgetLine[];
  transferShareBasisPoints: number;
  agreedBy: string;
  agreedAt: string;
}

/** What was spent on one budget line over the period a financial report covers (cumulative for the final one). */
export interface ExpenditureLine {
  budgetLine: string;
  spentMinor: number;
}

/** A financial report: expenditure per budget line. `final` marks the closing one, whose accepted costs settle the grant. */
export interface FinancialReportSubmittedData {
  grantId: string;
  reportId: string;
  final: boolean;
  expenditure: ExpenditureLine[];
  /** Sum of `expenditure`. */
  totalSpentMinor: number;
  documents?: ReportDocument[];
  submittedAt: string;
}

/**
 * Accepting the final financial report left money to pay: the accepted costs (at most the grant
 * amount) minus what was paid. Scheduled as the tranche `trancheId`, paid like any other; every
 * tranche still scheduled was cancelled just before (the final payment replaces them).
 */
export interface FinalPaymentDeterminedData {
  grantId: string;
  reportId: string;
  trancheId: string;
  acceptedCostsMinor: number;
  paidMinor: number;
  amountMinor: number;
  determinedAt: string;
}

/** Accepting the final financial report showed that less was spent than advanced: the grantee owes the difference back. */
export interface UnspentAdvanceRecoveryDeterminedData {
  grantId: string;
  reportId: string;
  acceptedCostsMinor: number;
  paidMinor: number;
  recoveryMinor: number;
  determinedAt: string;
}

/**
 * The grantee repaid the unspent advance; it goes back to the call when the grant closes (or went
 * back already, if the grant was terminated while the recovery was outstanding).
 */
export interface UnspentAdvanceRecoveredData {
  grantId: string;
  recoveryMinor: number;
  /** The bank's reference of the repayment (internal: never public). */
  reference: string;
  recoveredAt: string;
}

export interface GrantSuspendedData {
  grantId: string;
  reason: string;
  suspendedAt: string;
}

export interface GrantReinstatedData {
  grantId: string;
  reason: string;
  reinstatedAt: string;
}

export interface GrantTerminatedData {
  grantId: string;
  reason: string;
  /**
   * Amount minus what was paid net of recoveries: released back to the call by a process manager.
   * An unspent advance the settlement determined counts as recovered even if the grantee has not
   * repaid it yet (it still owes it: UnspentAdvanceRecovered may follow the termination). Before
   * 2026-12-05 such an outstanding recovery was not deducted.
   */
  unspentMinor: number;
  terminatedAt: string;
}

export interface GrantClosedData {
  grantId: string;
  /** Amount minus what was paid net of the recovered advance: released back to the call by a process manager. */
  unspentMinor: number;
  closedAt: string;
}

export type GrantAwarded = { type: 'GrantAwarded'; data: GrantAwardedData };
export type GrantAgreementSigned = { type: 'GrantAgreementSigned'; data: GrantAgreementSignedData };
export type GrantDocumentAttached = { type: 'GrantDocumentAttached'; data: GrantDocumentAttachedData };
export type DisbursementScheduled = { type: 'DisbursementScheduled'; data: DisbursementScheduledData };
export type DisbursementPaid = { type: 'DisbursementPaid'; data: DisbursementPaidData };
export type DisbursementCancelled = { type: 'DisbursementCancelled'; data: DisbursementCancelledData };
export type ReportScheduled = { type: 'ReportScheduled'; data: ReportScheduledData };
export type ReportSubmitted = { type: 'ReportSubmitted'; data: ReportSubmittedData };
export type ReportAccepted = { type: 'ReportAccepted'; data: ReportAcceptedData };
export type ReportRevisionRequested = { type: 'ReportRevisionRequested'; data: ReportRevisionRequestedData };
export type ReportWaived = { type: 'ReportWaived'; data: ReportWaivedData };
export type GrantAmended = { type: 'GrantAmended'; data: GrantAmendedData };
export type GrantBudgetAgreed = { type: 'GrantBudgetAgreed'; data: GrantBudgetAgreedData };
export type FinancialReportSubmitted = { type: 'FinancialReportSubmitted'; data: FinancialReportSubmittedData };
export type FinalPaymentDetermined = { type: 'FinalPaymentDetermined'; data: FinalPaymentDeterminedData };
export type UnspentAdvanceRecoveryDetermined = { type: 'UnspentAdvanceRecoveryDetermined'; data: UnspentAdvanceRecoveryDeterminedData };
export type UnspentAdvanceRecovered = { type: 'UnspentAdvanceRecovered'; data: UnspentAdvanceRecoveredData };
export type GrantSuspended = { type: 'GrantSuspended'; data: GrantSuspendedData };
export type GrantReinstated = { type: 'GrantReinstated'; data: GrantReinstatedData };
export type GrantTerminated = { type: 'GrantTerminated'; data: GrantTerminatedData };
export type GrantClosed = { type: 'GrantClosed'; data: GrantClosedData };

export type GrantEvent =
  | GrantAwarded
  | GrantAgreementSigned
  | GrantDocumentAttached
  | DisbursementScheduled
  | DisbursementPaid
  | DisbursementCancelled
  | ReportScheduled
  | ReportSubmitted
  | ReportAccepted
  | ReportRevisionRequested
  | ReportWaived
  | GrantAmended
  | GrantBudgetAgreed
  | FinancialReportSubmitted
  | FinalPaymentDetermined
  | UnspentAdvanceRecoveryDetermined
  | UnspentAdvanceRecovered
  | GrantSuspended
  | GrantReinstated
  | GrantTerminated
  | GrantClosed;

export type GrantEventType = GrantEvent['type'];

/**
 * Schema version stored with each event type. A change to a data shape bumps it and registers an
 * upcaster from the previous version with this stream's schema versions (SchemaRegistry refuses to
 * start without one; see proposal.upcasters.ts for an example); the codec upcasts on read.
 */
export const grantEventSchemaVersions: Readonly<Record<GrantEventType, number>> = {
  GrantAwarded: 1,
  GrantAgreementSigned: 2,
  GrantDocumentAttached: 1,
  DisbursementScheduled: 1,
  DisbursementPaid: 1,
  DisbursementCancelled: 1,
  ReportScheduled: 1,
  ReportSubmitted: 2,
  ReportAccepted: 1,
  ReportRevisionRequested: 1,
  ReportWaived: 1,
  GrantAmended: 1,
  GrantBudgetAgreed: 1,
  FinancialReportSubmitted: 1,
  FinalPaymentDetermined: 1,
  UnspentAdvanceRecoveryDetermined: 1,
  UnspentAdvanceRecovered: 1,
  GrantSuspended: 1,
  GrantReinstated: 1,
  GrantTerminated: 1,
  GrantClosed: 1,
};

/** Every event type of the grant stream, e.g. for a read-model's event filter or the event catalogue. */
export const GRANT_EVENT_TYPES = eventTypesOf(grantEventSchemaVersions);

export function isGrantEvent(event: { type: string }): event is GrantEvent {
  return isEventOf(grantEventSchemaVersions, event);
}

export const GRANT_STREAM_PREFIX = 'grant-';

/** The stream a grant's events live in: `grant-{uuid}`. */
export function grantStreamName(grantId: string): string {
  return `${GRANT_STREAM_PREFIX}${grantId}`;
}

/**
 * Paths (within `data`) of personal fields, per event type. The infrastructure encrypts these
 * with the subject's key and returns them as `null` after erasure (crypto-shredding).
 */
export const grantPersonalDataFields: Readonly<Partial<Record<GrantEventType, readonly string[]>>> = {
  GrantAgreementSigned: ['signatories'],
  GrantDocumentAttached: ['name'],
};

/**
 * Personal fields whose subject is not the stream: a document's name belongs to the organisation
 * that owns the document, so erasing that organisation shreds it with the file.
 */
export const grantPersonalDataSubjects: Readonly<Partial<Record<GrantEventType, (data: never) => string>>> = {
  GrantDocumentAttached: (data: GrantDocumentAttachedData) => `organisation-${data.organisationId}`,
};
