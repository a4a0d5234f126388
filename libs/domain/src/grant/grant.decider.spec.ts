import { AlreadyExists, fold, InvalidStateTransition, StreamNotFound } from '../shared/decider';
import { given } from '../shared/testing';
import type { AmendGrant, AttachGrantDocument, AwardGrant, GrantCommand } from './grant.commands';
import { grantEventUpcasters } from './grant.upcasters';
import { grantDecider, grantTotals, initialGrantState, isOverdue, nextReportDue, type GrantState } from './grant.decider';
import {
  AgreementNotSigned,
  AmendedBudgetLineBelowSpent,
  AmountBelowPaid,
  AmountBelowScheduled,
  AmountChangeBudgetRequired,
  AmountExceedsCallMaximum,
  AmountUnchanged,
  BudgetAlreadyAgreed,
  BudgetNotAgreed,
  ConditionReportNotAccepted,
  ConditionReportUnknown,
  AmendmentAfterSettlement,
  DisbursementAfterSettlement,
  FinalPaymentOwed,
  FinancialReportNeedsExpenditure,
  ReportsAwaitingReview,
  DisbursementExceedsGrantAmount,
  DocumentNotAttached,
  DuplicateAmendment,
  DuplicateGrantDocument,
  DuplicateReport,
  DuplicateTranche,
  ExpenditureExceedsBudget,
  DateOutsideGrantWindow,
  ExtensionNotLater,
  ExtensionTooLong,
  FinancialReportAfterSettlement,
  FinalFinancialReportAlreadyAccepted,
  FinalFinancialReportNotAccepted,
  FinalReportNotAccepted,
  GrantActorRequired,
  GrantReasonRequired,
  InvalidAmendment,
  InvalidBudgetReallocation,
  InvalidExpenditure,
  InvalidGrantAmount,
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
  GRANT_EVENT_TYPES,
  grantEventSchemaVersions,
  grantPersonalDataFields,
  grantPersonalDataSubjects,
  grantStreamName,
  isGrantEvent,
  type GrantEvent,
} from './grant.events';

// A EUR 120,000 grant to a network working on nationality rights for stateless people.
const grantId = 'e5e5e5e5-0000-4000-8000-000000000005';
const awardedAt = '2026-06-01T10:00:00.000Z';
const signedAt = '2026-06-15T10:00:00.000Z';
const later = '2026-07-01T09:00:00.000Z';
const interimReport = 'report-interim-1';
const finalReport = 'report-final-1';
const advance = 'tranche-advance';
const secondTranche = 'tranche-2';
const balance = 'tranche-balance';

const award: AwardGrant['data'] = {
  grantId,
  proposalId: 'c3c3c3c3-0000-4000-8000-000000000003',
  callId: '0b6f5d2e-4c1a-4f7e-9a53-7f1d2c3b4a01',
  granteeOrganisationId: 'org-lead-statelessness',
  partnerOrganisationIds: ['org-partner-lb', 'org-partner-tn'],
  amountMinor: 12_000_000,
  currency: 'EUR',
  periodStart: '2026-07-01',
  periodEnd: '2027-12-31',
  conditions: ['Safeguarding policy adopted within 3 months'],
};

function awardCommand(overrides: Partial<AwardGrant['data']> = {}, now = awardedAt): GrantCommand {
  return { type: 'AwardGrant', data: { ...award, ...overrides }, now };
}

const awarded: GrantEvent = { type: 'GrantAwarded', data: { ...award, awardedAt } };
const signatories = [
  { name: 'Rana K.', role: 'Director, lead organisation' },
  { name: 'Programme officer', role: 'Grant manager' },
];
const signed: GrantEvent = { type: 'GrantAgreementSigned', data: { grantId, signedAt, signatories } };

/** A financial report submitted on `reportId`: what it shows spent per budget line, in that order. */
function financialReportSubmitted(reportId: string, spent: Readonly<Record<string, number>>, final: boolean): GrantEvent {
  const expenditure = Object.entries(spent).map(([budgetLine, spentMinor]) => ({ budgetLine, spentMinor }));
  return {
    type: 'FinancialReportSubmitted',
    data: { grantId, reportId, final, expenditure, totalSpentMinor: expenditure.reduce((sum, line) => sum + line.spentMinor, 0), submittedAt: later },
  };
}

function reportScheduled(reportId: string, kind: 'interim' | 'final' | 'financial', dueDate: string, scheduledAt = signedAt): GrantEvent {
  return { type: 'ReportScheduled', data: { grantId, reportId, kind, dueDate, scheduledAt } };
}
function trancheScheduled(trancheId: string, amountMinor: number, dueDate: string, reportId?: string, scheduledAt = signedAt): GrantEvent {
  return {
    type: 'DisbursementScheduled',
    data: { grantId, trancheId, amountMinor, dueDate, ...(reportId ? { condition: { reportId } } : {}), scheduledAt },
  };
}
function paid(trancheId: string, amountMinor: number, paymentReference = `PAY-${trancheId}`): GrantEvent {
  return { type: 'DisbursementPaid', data: { grantId, trancheId, paymentReference, amountMinor, paidAt: later } };
}
type AmendmentChange =
  | { kind: 'amount-change'; previousAmountMinor: number; newAmountMinor: number; budgetLines?: { budgetLine: string; amountMinor: number }[] }
  | { kind: 'no-cost-extension'; previousPeriodEnd: string; newPeriodEnd: string }
  | { kind: 'budget-reallocation'; budgetReallocation: { budgetLine: string; changeMinor: number }[] };
function amended(change: AmendmentChange, amendmentId = 'amendment-1'): GrantEvent {
  const base = { grantId, amendmentId, reason: 'Agreed with the grantee', approvedBy: 'user-admin', amendedAt: later };
  return { type: 'GrantAmended', data: { ...base, ...change } };
}
function documentAttached(documentId: string, sha256 = 'a'.repeat(64)): GrantEvent {
  return {
    type: 'GrantDocumentAttached',
    data: { grantId, documentId, organisationId: award.granteeOrganisationId, name: 'narrative.pdf', sizeBytes: 1234, contentType: 'application/pdf', sha256, attachedBy: 'applicant-1', attachedAt: later },
  };
}

function attachCommand(overrides: Partial<AttachGrantDocument['data']> = {}): GrantCommand {
  return {
    type: 'AttachGrantDocument',
    data: { grantId, documentId: 'doc-1', organisationId: award.granteeOrganisationId, name: 'narrative.pdf', sizeBytes: 1234, contentType: 'application/pdf', sha256: 'a'.repeat(64), attachedBy: 'applicant-1', ...overrides },
    now: later,
  };
}

const submitted = (reportId: string): GrantEvent => ({
  type: 'ReportSubmitted',
  data: { grantId, reportId, summary: 'Activities and results', submittedAt: later },
});
const accepted = (reportId: string): GrantEvent => ({
  type: 'ReportAccepted',
  data: { grantId, reportId, acceptedBy: 'user-grant-manager', acceptedAt: later },
});
const revisionRequested = (reportId: string): GrantEvent => ({
  type: 'ReportRevisionRequested',
  data: { grantId, reportId, reason: 'Budget annex missing', requestedBy: 'user-grant-manager', requestedAt: later },
});
const waived = (reportId: string, reason = 'The network\'s office was closed by the authorities; the report cannot be written'): GrantEvent => ({
  type: 'ReportWaived',
  data: { grantId, reportId, reason, waivedBy: 'user-grant-manager', waivedAt: later },
});
const cancelledByWaiver = (trancheId: string, amountMinor: number, reportId: string): GrantEvent => ({
  type: 'DisbursementCancelled',
  data: { grantId, trancheId, amountMinor, reason: `Payable only once report ${reportId} was accepted, which was waived`, cancelledAt: later },
});
const suspended: GrantEvent = { type: 'GrantSuspended', data: { grantId, reason: 'Interim report overdue', suspendedAt: later } };
const reinstated: GrantEvent = { type: 'GrantReinstated', data: { grantId, reason: 'Report received', reinstatedAt: later } };
const terminated: GrantEvent = {
  type: 'GrantTerminated',
  data: { grantId, reason: 'Network dissolved', unspentMinor: 12_000_000, terminatedAt: later },
};
const closed: GrantEvent = { type: 'GrantClosed', data: { grantId, unspentMinor: 0, closedAt: later } };

/** Awarded, signed, an interim and a final report, three tranches: 40% now, 40% after interim, 20% after final. */
const planned: GrantEvent[] = [
  awarded,
  signed,
  reportScheduled(interimReport, 'interim', '2027-01-31'),
  reportScheduled(finalReport, 'final', '2028-02-28'),
  trancheScheduled(advance, 4_800_000, '2026-07-15'),
  trancheScheduled(secondTranche, 4_800_000, '2027-02-28', interimReport),
  trancheScheduled(balance, 2_400_000, '2028-03-31', finalReport),
];
const fullyPaidAndReported: GrantEvent[] = [
  ...planned,
  paid(advance, 4_800_000),
  submitted(interimReport),
  accepted(interimReport),
  paid(secondTranche, 4_800_000),
  submitted(finalReport),
  accepted(finalReport),
  paid(balance, 2_400_000),
];

const interimSubmitted: GrantEvent[] = [...planned, submitted(interimReport)];
const interimAccepted: GrantEvent[] = [...interimSubmitted, accepted(interimReport)];
const interimSentBack: GrantEvent[] = [...interimSubmitted, revisionRequested(interimReport)];

const cmd = {
  sign: (list = signatories): GrantCommand => ({ type: 'SignGrantAgreement', data: { grantId, signatories: list }, now: signedAt }),
  schedule: (trancheId: string, amountMinor: number, dueDate = '2026-09-30', reportId?: string): GrantCommand => ({
    type: 'ScheduleDisbursement',
    data: { grantId, trancheId, amountMinor, dueDate, ...(reportId ? { condition: { reportId } } : {}) },
    now: later,
  }),
  pay: (trancheId: string, paymentReference = 'SEPA-2026-0042'): GrantCommand => ({
    type: 'RecordDisbursementPayment',
    data: { grantId, trancheId, paymentReference },
    now: later,
  }),
  cancel: (trancheId: string, reason = 'Activity dropped by the network', cancelledBy = 'user-grant-manager'): GrantCommand => ({
    type: 'CancelDisbursement',
    data: { grantId, trancheId, reason, cancelledBy },
    now: later,
  }),
  scheduleReport: (reportId: string, kind: 'interim' | 'final' | 'financial' = 'interim', dueDate = '2027-01-31'): GrantCommand => ({
    type: 'ScheduleReport',
    data: { grantId, reportId, kind, dueDate },
    now: later,
  }),
  submit: (reportId: string, summary = 'Activities and results'): GrantCommand => ({
    type: 'SubmitReport',
    data: { grantId, reportId, summary },
    now: later,
  }),
  accept: (reportId: string, acceptedBy = 'user-grant-manager'): GrantCommand => ({
    type: 'AcceptReport',
    data: { grantId, reportId, acceptedBy },
    now: later,
  }),
  requestRevision: (reportId: string, reason = 'Budget annex missing'): GrantCommand => ({
    type: 'RequestReportRevision',
    data: { grantId, reportId, reason, requestedBy: 'user-grant-manager' },
    now: later,
  }),
  /** `maxAwardMinor`: the call's maximum award per grant (EUR 200,000 unless a test is about it). */
  amend: (data: Partial<AmendGrant['data']> & Pick<AmendGrant['data'], 'kind'>, maxAwardMinor = 20_000_000): GrantCommand => ({
    type: 'AmendGrant',
    data: { grantId, amendmentId: 'amendment-1', reason: 'Agreed with the grantee', approvedBy: 'user-admin', ...data },
    call: { maxAwardMinor },
    now: later,
  }),
  waive: (reportId: string, reason = 'The network\'s office was closed by the authorities; the report cannot be written', waivedBy = 'user-grant-manager'): GrantCommand => ({
    type: 'WaiveReport',
    data: { grantId, reportId, reason, waivedBy },
    now: later,
  }),
  suspend: (reason = 'Interim report overdue'): GrantCommand => ({ type: 'SuspendGrant', data: { grantId, reason }, now: later }),
  reinstate: (reason = 'Report received'): GrantCommand => ({ type: 'ReinstateGrant', data: { grantId, reason }, now: later }),
  terminate: (reason = 'Network dissolved'): GrantCommand => ({ type: 'TerminateGrant', data: { grantId, reason }, now: later }),
  close: (): GrantCommand => ({ type: 'CloseGrant', data: { grantId }, now: later }),
};

const state = (events: GrantEvent[]): GrantState => fold(grantDecider, events);

describe('grant decider', () => {
  describe('event catalogue', () => {
    it('lists every event type with its schema version and marks signatories and document names as personal data', () => {
      expect(GRANT_EVENT_TYPES).toHaveLength(21);
      const atVersion2 = ['GrantAgreementSigned', 'ReportSubmitted'];
      expect(GRANT_EVENT_TYPES.every((type) => grantEventSchemaVersions[type] === (atVersion2.includes(type) ? 2 : 1))).toBe(true);
      expect(isGrantEvent({ type: 'DisbursementPaid' })).toBe(true);
      expect(isGrantEvent({ type: 'CallDrafted' })).toBe(false);
      expect(grantPersonalDataFields).toEqual({ GrantAgreementSigned: ['signatories'], GrantDocumentAttached: ['name'] });
      // A document's name is its organisation's personal data, erased with the organisation.
      expect(grantPersonalDataSubjects.GrantDocumentAttached?.({ organisationId: 'org-1' } as never)).toBe('organisation-org-1');
      expect(grantStreamName(grantId)).toBe(`grant-${grantId}`);
    });
  });

  describe('an award is created once', () => {
    it('awards a grant on a new stream', () => {
      given(grantDecider).when(awardCommand()).then([awarded]);
    });

    it('repeating the same award (a redelivered FundsCommitted) appends nothing, whatever the clock says', () => {
      given(grantDecider, [awarded]).when(awardCommand({}, later)).then([]);
      given(grantDecider, fullyPaidAndReported).when(awardCommand({}, later)).then([]);
    });

    it('the same award is still recognised after amendments moved the amount and the period end', () => {
      const amendedTwice: GrantEvent[] = [
        awarded,
        amended({ kind: 'amount-change', previousAmountMinor: 12_000_000, newAmountMinor: 13_000_000 }, 'a1'),
        amended({ kind: 'no-cost-extension', previousPeriodEnd: '2027-12-31', newPeriodEnd: '2028-06-30' }, 'a2'),
      ];
      given(grantDecider, amendedTwice).when(awardCommand()).then([]);
    });

    it('a different award on an existing grant is a conflict', () => {
      const error = given(grantDecider, [awarded]).when(awardCommand({ amountMinor: 12_000_001 })).thenThrows(AlreadyExists);
      expect(error.streamId).toBe(`grant-${grantId}`);
      given(grantDecider, [awarded]).when(awardCommand({ partnerOrganisationIds: ['org-partner-lb'] })).thenThrows(AlreadyExists);
    });
  });

  describe('award data', () => {
    it('amount > 0', () => {
      given(grantDecider).when(awardCommand({ amountMinor: 0 })).thenThrows(InvalidGrantAmount);
      given(grantDecider).when(awardCommand({ amountMinor: -100 })).thenThrows(InvalidGrantAmount);
      given(grantDecider).when(awardCommand({ amountMinor: 100.5 })).thenThrows(InvalidGrantAmount);
    });

    it('period start < end', () => {
      given(grantDecider).when(awardCommand({ periodEnd: '2026-07-01' })).thenThrows(InvalidGrantPeriod);
      given(grantDecider).when(awardCommand({ periodEnd: '2026-06-30' })).thenThrows(InvalidGrantPeriod);
    });

    it('period dates are real calendar dates', () => {
      given(grantDecider).when(awardCommand({ periodStart: '2026-02-30' })).thenThrows(InvalidGrantDate);
      given(grantDecider).when(awardCommand({ periodStart: '0000-01-01' })).thenThrows(InvalidGrantDate);
      given(grantDecider).when(awardCommand({ periodEnd: '2027-12-31T00:00:00Z' })).thenThrows(InvalidGrantDate);
      given(grantDecider).when(awardCommand({ periodStart: '2028-02-29', periodEnd: '2029-02-28' })).then([
        { type: 'GrantAwarded', data: { ...award, periodStart: '2028-02-29', periodEnd: '2029-02-28', awardedAt } },
      ]);
    });

    it('currency is an ISO 4217 code', () => {
      given(grantDecider).when(awardCommand({ currency: 'eur' })).thenThrows(InvalidGrantCurrency);
    });

    it('ids are present, partners distinct and the grantee is not its own partner', () => {
      given(grantDecider).when(awardCommand({ proposalId: ' ' })).thenThrows(InvalidGrantDetails);
      given(grantDecider).when(awardCommand({ partnerOrganisationIds: ['a', 'a'] })).thenThrows(InvalidGrantDetails);
      given(grantDecider).when(awardCommand({ partnerOrganisationIds: [award.granteeOrganisationId] })).thenThrows(InvalidGrantDetails);
      given(grantDecider).when(awardCommand({ conditions: [''] })).thenThrows(InvalidGrantDetails);
    });

    it('a network of one (no partners, no conditions) is a valid award', () => {
      given(grantDecider)
        .when(awardCommand({ partnerOrganisationIds: [], conditions: [] }))
        .then([{ type: 'GrantAwarded', data: { ...award, partnerOrganisationIds: [], conditions: [], awardedAt } }]);
    });
  });

  describe('any command but the award needs an awarded grant', () => {
    const everyCommandButAward: GrantCommand[] = [
      cmd.sign(),
      cmd.schedule('t', 1),
      cmd.pay('t'),
      cmd.cancel('t'),
      cmd.scheduleReport('r'),
      cmd.submit('r'),
      cmd.accept('r'),
      cmd.requestRevision('r'),
      cmd.waive('r'),
      cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2028-01-31' }),
      cmd.suspend(),
      cmd.reinstate(),
      cmd.terminate(),
      cmd.close(),
    ];
    it.each(everyCommandButAward)('$type on a new stream is StreamNotFound', (command) => {
      const error = given(grantDecider).when(command).thenThrows(StreamNotFound);
      expect(error.streamId).toBe(`grant-${grantId}`);
    });
  });

  describe('agreement signed once, only while awarded', () => {
    it('signing activates the grant', () => {
      given(grantDecider, [awarded]).when(cmd.sign()).then([signed]);
      expect(state([awarded, signed]).status).toBe('active');
    });

    it('signing twice is a state conflict', () => {
      given(grantDecider, [awarded, signed]).when(cmd.sign()).thenThrows(InvalidStateTransition);
      given(grantDecider, [awarded, signed, suspended]).when(cmd.sign()).thenThrows(InvalidStateTransition);
    });

    it('needs signatories with a name and a role', () => {
      given(grantDecider, [awarded]).when(cmd.sign([])).thenThrows(SignatoriesRequired);
      given(grantDecider, [awarded]).when(cmd.sign([{ name: 'Rana K.', role: '' }])).thenThrows(SignatoriesRequired);
    });

    it('a history whose signatories were crypto-shredded still folds', () => {
      const shredded: GrantEvent = { type: 'GrantAgreementSigned', data: { grantId, signedAt, signatories: null } };
      expect(state([awarded, shredded])).toMatchObject({ status: 'active', agreementSignedAt: signedAt });
    });
  });

  describe('documents: attached to the grant, then named by the agreement and reports', () => {
    it('records a stored document of the grantee while the grant runs, once', () => {
      given(grantDecider, [awarded]).when(attachCommand()).then([documentAttached('doc-1')]);
      given(grantDecider, [awarded, signed, suspended]).when(attachCommand()).then([documentAttached('doc-1')]);
      // A retried upload of the same document appends nothing; another content under the same id is refused.
      given(grantDecider, [awarded, documentAttached('doc-1')]).when(attachCommand()).then([]);
      given(grantDecider, [awarded, documentAttached('doc-1')]).when(attachCommand({ sha256: 'b'.repeat(64) })).thenThrows(DuplicateGrantDocument);
    });

    it('not before the award nor after the grant ended', () => {
      given(grantDecider, []).when(attachCommand()).thenThrows(StreamNotFound);
      given(grantDecider, [awarded, signed, terminated]).when(attachCommand()).thenThrows(InvalidStateTransition);
    });

    it('needs a name, a size, a type, a SHA-256, an actor, and belongs to the grantee', () => {
      given(grantDecider, [awarded]).when(attachCommand({ documentId: ' ' })).thenThrows(InvalidGrantDetails);
      given(grantDecider, [awarded]).when(attachCommand({ attachedBy: '' })).thenThrows(GrantActorRequired);
      given(grantDecider, [awarded]).when(attachCommand({ name: ' ' })).thenThrows(InvalidGrantDocument);
      given(grantDecider, [awarded]).when(attachCommand({ name: 'x'.repeat(256) })).thenThrows(InvalidGrantDocument);
      given(grantDecider, [awarded]).when(attachCommand({ sizeBytes: 0 })).thenThrows(InvalidGrantDocument);
      given(grantDecider, [awarded]).when(attachCommand({ contentType: '' })).thenThrows(InvalidGrantDocument);
      given(grantDecider, [awarded]).when(attachCommand({ sha256: 'A'.repeat(64) })).thenThrows(InvalidGrantDocument);
      given(grantDecider, [awarded]).when(attachCommand({ organisationId: 'someone-else' })).thenThrows(InvalidGrantDocument);
    });

    it('the agreement names attached documents only', () => {
      const signWith = (...documentIds: string[]): GrantCommand => ({ type: 'SignGrantAgreement', data: { grantId, signatories, documentIds }, now: signedAt });
      given(grantDecider, [awarded]).when(signWith('doc-1')).thenThrows(DocumentNotAttached);
      given(grantDecider, [awarded, documentAttached('doc-1')]).when(signWith('doc-1', 'doc-1')).thenThrows(InvalidReportDocuments);
      given(grantDecider, [awarded, documentAttached('doc-1')]).when(signWith('doc-1')).then([
        { type: 'GrantAgreementSigned', data: { grantId, signedAt, signatories, documents: [{ documentId: 'doc-1', sha256: 'a'.repeat(64) }] } },
      ]);
    });

    it('a document whose name was crypto-shredded still folds', () => {
      const shredded = documentAttached('doc-1');
      (shredded.data as { name: string | null }).name = null;
      expect(state([awarded, shredded]).documents).toEqual([expect.objectContaining({ documentId: 'doc-1', name: null, sha256: 'a'.repeat(64) })]);
    });

    it('reports and agreements stored at schema version 1 are upcast: named files keep their name and hash, without a document id', () => {
      const facts = { streamId: grantStreamName(grantId), eventId: 'e', actorId: 'a', recordedAt: later };
      const report = grantEventUpcasters.find((u) => u.type === 'ReportSubmitted' && u.fromVersion === 1);
      expect(report?.upcast({ grantId, reportId: 'r', summary: 's', documents: [{ name: 'n.pdf', sha256: 'a'.repeat(64) }], submittedAt: later }, facts)).toEqual({
        grantId, reportId: 'r', summary: 's', documents: [{ name: 'n.pdf', sha256: 'a'.repeat(64) }], submittedAt: later,
      });
      const agreement = grantEventUpcasters.find((u) => u.type === 'GrantAgreementSigned' && u.fromVersion === 1);
      expect(agreement?.upcast({ grantId, signedAt, signatories }, facts)).toEqual({ grantId, signedAt, signatories });
    });
  });

  describe('financial reports: expenditure per budget line, transfers within a share, settlement from accepted costs', () => {
    // EUR 120,000 agreed as three lines; up to 10 % of a line may be covered by transfers from the others.
    const lines = [
      { budgetLine: 'Hearings', amountMinor: 6_000_000 },
      { budgetLine: 'Legal aid', amountMinor: 4_000_000 },
      { budgetLine: 'Coordination', amountMinor: 2_000_000 },
    ];
    const financial = 'report-financial-final';
    const agreeCommand = (overrides: Partial<{ lines: typeof lines; transferShareBasisPoints: number; agreedBy: string }> = {}): GrantCommand => ({
      type: 'AgreeGrantBudget',
      data: { grantId, lines, transferShareBasisPoints: 1_000, agreedBy: 'user-grant-manager', ...overrides },
      now: later,
    });
    const budgetAgreed: GrantEvent = { type: 'GrantBudgetAgreed', data: { grantId, lines, transferShareBasisPoints: 1_000, agreedBy: 'user-grant-manager', agreedAt: later } };
    const spend = (hearings: number, legalAid: number, coordination: number, final = true): GrantCommand => ({
      type: 'SubmitFinancialReport',
      data: {
        grantId,
        reportId: financial,
        final,
        expenditure: [
          { budgetLine: 'Hearings', spentMinor: hearings },
          { budgetLine: 'Legal aid', spentMinor: legalAid },
          { budgetLine: 'Coordination', spentMinor: coordination },
        ],
      },
      now: later,
    });
    const reported = (hearings: number, legalAid: number, coordination: number, final = true): GrantEvent =>
      financialReportSubmitted(financial, { Hearings: hearings, 'Legal aid': legalAid, Coordination: coordination }, final);
    const acceptFinal = (finalPaymentTrancheId?: string): GrantCommand => ({
      type: 'AcceptReport',
      data: { grantId, reportId: financial, acceptedBy: 'user-grant-manager', ...(finalPaymentTrancheId ? { finalPaymentTrancheId } : {}) },
      now: later,
    });
    // Active, budget agreed, the financial report scheduled; 9,600,000 paid in two tranches, 2,400,000 still scheduled.
    const running: GrantEvent[] = [
      awarded,
      signed,
      budgetAgreed,
      reportScheduled(financial, 'financial', '2028-01-31'),
      trancheScheduled(advance, 4_800_000, '2026-07-15'),
      paid(advance, 4_800_000),
      trancheScheduled(secondTranche, 4_800_000, '2027-02-28'),
      paid(secondTranche, 4_800_000),
      trancheScheduled(balance, 2_400_000, '2028-03-31'),
    ];
    const finalAccepted = (hearings: number, legalAid: number, coordination: number): GrantEvent[] => [
      ...running,
      reported(hearings, legalAid, coordination),
      { type: 'ReportAccepted', data: { grantId, reportId: financial, acceptedBy: 'user-grant-manager', acceptedAt: later } },
    ];
    const balanceCancelled: GrantEvent = {
      type: 'DisbursementCancelled',
      data: { grantId, trancheId: balance, amountMinor: 2_400_000, reason: 'Replaced by the settlement of the final financial report', cancelledAt: later },
    };

    it('the budget is agreed once, line by line, summing to the grant amount, with a transfer share from 0 to 100 %', () => {
      given(grantDecider, [awarded]).when(agreeCommand()).then([budgetAgreed]);
      given(grantDecider, [awarded, budgetAgreed]).when(agreeCommand()).thenThrows(BudgetAlreadyAgreed);
      given(grantDecider, [awarded]).when(agreeCommand({ lines: [{ budgetLine: 'Hearings', amountMinor: 11_999_999 }] })).thenThrows(InvalidGrantBudget);
      given(grantDecider, [awarded]).when(agreeCommand({ lines: [{ budgetLine: 'A', amountMinor: 6_000_000 }, { budgetLine: 'A', amountMinor: 6_000_000 }] })).thenThrows(InvalidGrantBudget);
      // Names a reader cannot tell apart: another case, a trailing space.
      given(grantDecider, [awarded]).when(agreeCommand({ lines: [{ budgetLine: 'Legal aid', amountMinor: 6_000_000 }, { budgetLine: 'legal aid', amountMinor: 6_000_000 }] })).thenThrows(InvalidGrantBudget);
      const padded = given(grantDecider, [awarded]).when(agreeCommand({ lines: [{ budgetLine: 'A', amountMinor: 6_000_000 }, { budgetLine: 'A ', amountMinor: 6_000_000 }] })).thenThrows(InvalidGrantBudget);
      expect(padded.message).toContain('"A "');
      given(grantDecider, [awarded]).when(agreeCommand({ lines: [{ budgetLine: 'A', amountMinor: 12_000_001 }, { budgetLine: 'B', amountMinor: -1 }] })).thenThrows(InvalidGrantBudget);
      given(grantDecider, [awarded]).when(agreeCommand({ lines: [] })).thenThrows(InvalidGrantBudget);
      given(grantDecider, [awarded]).when(agreeCommand({ transferShareBasisPoints: 10_001 })).thenThrows(InvalidGrantBudget);
      given(grantDecider, [awarded]).when(agreeCommand({ agreedBy: ' ' })).thenThrows(GrantActorRequired);
      given(grantDecider, [awarded, signed, terminated]).when(agreeCommand()).thenThrows(InvalidStateTransition);
    });

    it('expenditure is reported per line of the agreed budget, on a financial report', () => {
      given(grantDecider, running).when(spend(5_000_000, 3_000_000, 1_500_000)).then([reported(5_000_000, 3_000_000, 1_500_000)]);
      given(grantDecider, [awarded, signed, reportScheduled(financial, 'financial', '2028-01-31')]).when(spend(1, 1, 1)).thenThrows(BudgetNotAgreed);
      given(grantDecider, [awarded, signed, budgetAgreed, reportScheduled(financial, 'interim', '2028-01-31')]).when(spend(1, 1, 1)).thenThrows(NotAFinancialReport);
      given(grantDecider, running).when({ ...spend(1, 1, 1), data: { grantId, reportId: financial, final: true, expenditure: [{ budgetLine: 'Travel', spentMinor: 1 }] } } as GrantCommand).thenThrows(InvalidExpenditure);
      given(grantDecider, running).when(spend(-1, 1, 1)).thenThrows(InvalidExpenditure);
      given(grantDecider, [...running, reported(1, 1, 1)]).when(spend(1, 1, 1)).thenThrows(ReportAlreadySubmitted);
    });

    it('a financial report of a grant with a budget reports its expenditure, not a narrative alone; without a budget, a narrative is all it can be', () => {
      const error = given(grantDecider, running).when(cmd.submit(financial)).thenThrows(FinancialReportNeedsExpenditure);
      expect(error.reportId).toBe(financial);
      expect(grantDecider.decide(cmd.submit(financial), state([awarded, signed, reportScheduled(financial, 'financial', '2028-01-31')]))).toEqual([
        expect.objectContaining({ type: 'ReportSubmitted', data: expect.objectContaining({ reportId: financial }) }),
      ]);
    });

    it('spending beyond a line is a transfer: up to the share of that line without an amendment, beyond it refused', () => {
      // Coordination overspent by exactly 10 % of its 2,000,000 (200,000), covered by the other lines.
      given(grantDecider, running).when(spend(5_900_000, 3_900_000, 2_200_000)).then([reported(5_900_000, 3_900_000, 2_200_000)]);
      given(grantDecider, running).when(spend(5_900_000, 3_800_000, 2_200_001)).thenThrows(TransferExceedsShare);
      // With a share of 0, no line may be overspent at all.
      const noTransfers: GrantEvent = { type: 'GrantBudgetAgreed', data: { ...(budgetAgreed.data as { lines: typeof lines }), grantId, transferShareBasisPoints: 0, agreedBy: 'u', agreedAt: later } };
      given(grantDecider, [awarded, signed, noTransfers, reportScheduled(financial, 'financial', '2028-01-31')]).when(spend(5_000_000, 4_000_001, 0)).thenThrows(TransferExceedsShare);
      // Transfers move money between lines: never above the total budget.
      given(grantDecider, running).when(spend(6_300_000, 4_200_000, 2_000_000)).thenThrows(ExpenditureExceedsBudget);
    });

    it('a budget-reallocation amendment moves the line budgets, so a larger transfer passes after it', () => {
      const reallocation = amended({ kind: 'budget-reallocation', budgetReallocation: [{ budgetLine: 'Coordination', changeMinor: 500_000 }, { budgetLine: 'Hearings', changeMinor: -500_000 }] });
      given(grantDecider, running).when(spend(5_000_000, 4_000_000, 2_500_000)).thenThrows(TransferExceedsShare);
      given(grantDecider, [...running, reallocation]).when(spend(5_000_000, 4_000_000, 2_500_000)).then([reported(5_000_000, 4_000_000, 2_500_000)]);
      expect(state([...running, reallocation]).budget?.lines).toEqual([
        { budgetLine: 'Hearings', amountMinor: 5_500_000 },
        { budgetLine: 'Legal aid', amountMinor: 4_000_000 },
        { budgetLine: 'Coordination', amountMinor: 2_500_000 },
      ]);
    });

    it('accepted costs above what was paid: the final payment replaces the tranches still scheduled', () => {
      given(grantDecider, [...running, reported(6_000_000, 4_000_000, 1_700_000)]).when(acceptFinal('tranche-final')).then([
        { type: 'ReportAccepted', data: { grantId, reportId: financial, acceptedBy: 'user-grant-manager', acceptedAt: later } },
        balanceCancelled,
        {
          type: 'FinalPaymentDetermined',
          data: { grantId, reportId: financial, trancheId: 'tranche-final', acceptedCostsMinor: 11_700_000, paidMinor: 9_600_000, amountMinor: 2_100_000, determinedAt: later },
        },
      ]);
      given(grantDecider, [...running, reported(6_000_000, 4_000_000, 1_700_000)]).when(acceptFinal()).thenThrows(InvalidGrantDetails);
    });

    it('accepted costs below what was paid: the unspent advance is recovered, with a reference', () => {
      const recoveryDetermined: GrantEvent = {
        type: 'UnspentAdvanceRecoveryDetermined',
        data: { grantId, reportId: financial, acceptedCostsMinor: 9_000_000, paidMinor: 9_600_000, recoveryMinor: 600_000, determinedAt: later },
      };
      given(grantDecider, [...running, reported(5_000_000, 3_000_000, 1_000_000)]).when(acceptFinal('tranche-final')).then([
        { type: 'ReportAccepted', data: { grantId, reportId: financial, acceptedBy: 'user-grant-manager', acceptedAt: later } },
        balanceCancelled,
        recoveryDetermined,
      ]);
      const owed = [...finalAccepted(5_000_000, 3_000_000, 1_000_000), balanceCancelled, recoveryDetermined];
      const recover: GrantCommand = { type: 'RecordAdvanceRecovery', data: { grantId, reference: 'SEPA-RETURN-17' }, now: later };
      const recovered: GrantEvent = { type: 'UnspentAdvanceRecovered', data: { grantId, recoveryMinor: 600_000, reference: 'SEPA-RETURN-17', recoveredAt: later } };
      given(grantDecider, owed).when(recover).then([recovered]);
      given(grantDecider, owed).when({ ...recover, data: { grantId, reference: ' ' } } as GrantCommand).thenThrows(PaymentReferenceRequired);
      given(grantDecider, [...owed, recovered]).when(recover).thenThrows(NoRecoveryDue);
      given(grantDecider, running).when(recover).thenThrows(NoRecoveryDue);
    });

    it('accepted costs equal to what was paid settle the grant with nothing more to pay or recover', () => {
      given(grantDecider, [...running, reported(5_000_000, 3_000_000, 1_600_000)]).when(acceptFinal('tranche-final')).then([
        { type: 'ReportAccepted', data: { grantId, reportId: financial, acceptedBy: 'user-grant-manager', acceptedAt: later } },
        balanceCancelled,
      ]);
    });

    it('no financial report is scheduled once the grant is settled; a narrative report still may be', () => {
      const settled = [...finalAccepted(5_000_000, 3_000_000, 1_600_000), balanceCancelled];
      const error = given(grantDecider, settled).when(cmd.scheduleReport('report-financial-2', 'financial', '2028-03-31')).thenThrows(FinancialReportAfterSettlement);
      expect(error.reportId).toBe('report-financial-2');
      given(grantDecider, settled)
        .when(cmd.scheduleReport('report-impact', 'final', '2028-06-30'))
        .then([{ type: 'ReportScheduled', data: { grantId, reportId: 'report-impact', kind: 'final', dueDate: '2028-06-30', scheduledAt: later } }]);
    });

    it('one final financial report settles a grant: another is refused once it is accepted', () => {
      const settled = [...finalAccepted(5_000_000, 3_000_000, 1_600_000), balanceCancelled, reportScheduled('report-financial-2', 'financial', '2028-03-31')];
      const again: GrantCommand = { ...spend(1, 1, 1), data: { ...(spend(1, 1, 1).data as object), reportId: 'report-financial-2' } } as GrantCommand;
      given(grantDecider, settled).when(again).thenThrows(FinalFinancialReportAlreadyAccepted);
    });

    it('a grant with a budget closes only once its final financial report is accepted and any recovery is recorded', () => {
      const close: GrantCommand = { type: 'CloseGrant', data: { grantId }, now: later };
      const narrative = [reportScheduled(finalReport, 'final', '2028-02-28'), submitted(finalReport), accepted(finalReport)];
      given(grantDecider, [...running, ...narrative, paid(balance, 2_400_000)]).when(close).thenThrows(FinalFinancialReportNotAccepted);
      const recoveryDetermined: GrantEvent = {
        type: 'UnspentAdvanceRecoveryDetermined',
        data: { grantId, reportId: financial, acceptedCostsMinor: 9_000_000, paidMinor: 9_600_000, recoveryMinor: 600_000, determinedAt: later },
      };
      const owed = [...finalAccepted(5_000_000, 3_000_000, 1_000_000), balanceCancelled, recoveryDetermined, ...narrative];
      given(grantDecider, owed).when(close).thenThrows(RecoveryOutstanding);
      // Recovered: the grant cost 9,000,000, so 3,000,000 of the 12,000,000 go back to the call.
      const recovered: GrantEvent = { type: 'UnspentAdvanceRecovered', data: { grantId, recoveryMinor: 600_000, reference: 'SEPA-RETURN-17', recoveredAt: later } };
      given(grantDecider, [...owed, recovered]).when(close).then([{ type: 'GrantClosed', data: { grantId, unspentMinor: 3_000_000, closedAt: later } }]);
      // A final payment, once paid, leaves the amount minus the accepted costs unspent.
      const finalPayment: GrantEvent = {
        type: 'FinalPaymentDetermined',
        data: { grantId, reportId: financial, trancheId: 'tranche-final', acceptedCostsMinor: 11_700_000, paidMinor: 9_600_000, amountMinor: 2_100_000, determinedAt: later },
      };
      const withPayment = [...finalAccepted(6_000_000, 4_000_000, 1_700_000), balanceCancelled, finalPayment, ...narrative];
      given(grantDecider, withPayment).when(close).thenThrows(UnpaidTranches);
      given(grantDecider, withPayment).when(cmd.pay('tranche-final')).then([
        { type: 'DisbursementPaid', data: { grantId, trancheId: 'tranche-final', paymentReference: 'SEPA-2026-0042', amountMinor: 2_100_000, paidAt: later } },
      ]);
      given(grantDecider, [...withPayment, paid('tranche-final', 2_100_000)]).when(close).then([{ type: 'GrantClosed', data: { grantId, unspentMinor: 300_000, closedAt: later } }]);
      // A report submitted and not yet reviewed holds the closure (it would stay awaiting review for good).
      const lateReport = [reportScheduled('report-late', 'interim', '2028-03-31'), submitted('report-late')];
      const awaiting = given(grantDecider, [...withPayment, paid('tranche-final', 2_100_000), ...lateReport]).when(close).thenThrows(ReportsAwaitingReview);
      expect(awaiting.reportIds).toEqual(['report-late']);
      given(grantDecider, [...withPayment, paid('tranche-final', 2_100_000), ...lateReport, accepted('report-late')]).when(close).then([
        { type: 'GrantClosed', data: { grantId, unspentMinor: 300_000, closedAt: later } },
      ]);
    });

    describe('once settled, the only money out is the final payment', () => {
      const finalPayment: GrantEvent = {
        type: 'FinalPaymentDetermined',
        data: { grantId, reportId: financial, trancheId: 'tranche-final', acceptedCostsMinor: 11_700_000, paidMinor: 9_600_000, amountMinor: 2_100_000, determinedAt: later },
      };
      const recoveryDetermined: GrantEvent = {
        type: 'UnspentAdvanceRecoveryDetermined',
        data: { grantId, reportId: financial, acceptedCostsMinor: 9_000_000, paidMinor: 9_600_000, recoveryMinor: 600_000, determinedAt: later },
      };
      const withPayment = [...finalAccepted(6_000_000, 4_000_000, 1_700_000), balanceCancelled, finalPayment];
      const owed = [...finalAccepted(5_000_000, 3_000_000, 1_000_000), balanceCancelled, recoveryDetermined];
      const even = [...finalAccepted(5_000_000, 3_000_000, 1_600_000), balanceCancelled];

      it('no tranche is scheduled after the final financial report is accepted, whatever it settled', () => {
        // Costs equal to what was paid (the reviewer's 54,000 = 54,000), a final payment to make, a recovery owed.
        for (const settled of [even, withPayment, owed]) {
          const error = given(grantDecider, settled).when(cmd.schedule('tranche-extra', 600_000)).thenThrows(DisbursementAfterSettlement);
          expect(error.trancheId).toBe('tranche-extra');
        }
        given(grantDecider, [...owed, suspended]).when(cmd.schedule('tranche-extra', 1)).thenThrows(DisbursementAfterSettlement);
        // Before the settlement, scheduling stays open (a report submitted is not yet a settlement).
        given(grantDecider, [...running.slice(0, -1), reported(5_000_000, 3_000_000, 1_000_000)]).when(cmd.schedule('tranche-extra', 1)).then([
          trancheScheduled('tranche-extra', 1, '2026-09-30', undefined, later),
        ]);
      });

      it('its money is no longer amended, whatever it settled: no amount change, no reallocation; a no-cost extension still is', () => {
        // Amount changes that would pass before the settlement, new line budgets included.
        const raised = { kind: 'amount-change' as const, newAmountMinor: 13_000_000, budgetLines: [{ budgetLine: 'Hearings', amountMinor: 7_000_000 }, lines[1], lines[2]] };
        const lowered = { kind: 'amount-change' as const, newAmountMinor: 11_000_000, budgetLines: [{ budgetLine: 'Hearings', amountMinor: 5_000_000 }, lines[1], lines[2]] };
        for (const settled of [even, withPayment, owed]) {
          given(grantDecider, settled).when(cmd.amend(raised)).thenThrows(AmendmentAfterSettlement);
          given(grantDecider, settled).when(cmd.amend(lowered)).thenThrows(AmendmentAfterSettlement);
          const moved = [{ budgetLine: 'Coordination', changeMinor: 1 }, { budgetLine: 'Hearings', changeMinor: -1 }];
          given(grantDecider, settled).when(cmd.amend({ kind: 'budget-reallocation', budgetReallocation: moved })).thenThrows(AmendmentAfterSettlement);
          expect(grantDecider.decide(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2030-01-31' }), state(settled))).toEqual([
            expect.objectContaining({ type: 'GrantAmended', data: expect.objectContaining({ kind: 'no-cost-extension', newPeriodEnd: '2030-01-31' }) }),
          ]);
        }
        // Before the settlement (the final report submitted, not accepted), the amount still changes.
        expect(grantDecider.decide(cmd.amend(raised), state([...running.slice(0, -1), reported(5_000_000, 3_000_000, 1_000_000)]))).toEqual([
          expect.objectContaining({ type: 'GrantAmended', data: expect.objectContaining({ kind: 'amount-change', newAmountMinor: 13_000_000 }) }),
        ]);
      });

      it("the settlement's final payment is paid; a tranche scheduled after the settlement under older rules is not", () => {
        given(grantDecider, withPayment).when(cmd.pay('tranche-final')).then([
          { type: 'DisbursementPaid', data: { grantId, trancheId: 'tranche-final', paymentReference: 'SEPA-2026-0042', amountMinor: 2_100_000, paidAt: later } },
        ]);
        const late = trancheScheduled('tranche-late', 500_000, '2028-04-30', undefined, later);
        given(grantDecider, [...withPayment, late]).when(cmd.pay('tranche-late')).thenThrows(DisbursementAfterSettlement);
        given(grantDecider, [...owed, late]).when(cmd.pay('tranche-late')).thenThrows(DisbursementAfterSettlement);
        given(grantDecider, [...even, late]).when(cmd.pay('tranche-late')).thenThrows(DisbursementAfterSettlement);
        // It can still be cancelled, so the grant can close.
        given(grantDecider, [...owed, late]).when(cmd.cancel('tranche-late')).then([
          { type: 'DisbursementCancelled', data: { grantId, trancheId: 'tranche-late', amountMinor: 500_000, reason: 'Activity dropped by the network', cancelledBy: 'user-grant-manager', cancelledAt: later } },
        ]);
        expect(state(withPayment).finalPaymentTrancheId).toBe('tranche-final');
        expect(state(owed).finalPaymentTrancheId).toBeNull();
      });

      it('the final payment is owed: it is paid, never cancelled (cancelled, nothing could pay it, and the grant closed with the accepted costs unpaid)', () => {
        const error = given(grantDecider, withPayment).when(cmd.cancel('tranche-final')).thenThrows(FinalPaymentOwed);
        expect(error.trancheId).toBe('tranche-final');
        given(grantDecider, [...withPayment, suspended]).when(cmd.cancel('tranche-final')).thenThrows(FinalPaymentOwed);
        // A settlement's refusal names the final payment when there is one.
        const refused = given(grantDecider, withPayment).when(cmd.schedule('tranche-extra', 1)).thenThrows(DisbursementAfterSettlement);
        expect(refused.message).toContain('tranche tranche-final; not tranche tranche-extra');
        expect(given(grantDecider, owed).when(cmd.schedule('tranche-extra', 1)).thenThrows(DisbursementAfterSettlement).message).toContain('it leaves nothing to pay');
      });

      it('the final payment is owed: no termination while it is unpaid (it would cancel it, and the accepted costs could never be paid); once paid, the termination releases the amount minus the accepted costs', () => {
        const error = given(grantDecider, withPayment).when(cmd.terminate()).thenThrows(TerminationFinalPaymentOwed);
        expect(error).toMatchObject({ rule: 'grant.termination.final-payment-owed', trancheId: 'tranche-final', amountMinor: 2_100_000 });
        given(grantDecider, [...withPayment, suspended]).when(cmd.terminate()).thenThrows(TerminationFinalPaymentOwed);
        // A reason is still asked for first.
        given(grantDecider, withPayment).when(cmd.terminate(' ')).thenThrows(GrantReasonRequired);
        // Paid: nothing left to cancel; the grant cost its accepted costs, 11,700,000 of the 12,000,000.
        const finalPaid = paid('tranche-final', 2_100_000);
        given(grantDecider, [...withPayment, finalPaid]).when(cmd.terminate()).then([
          { type: 'GrantTerminated', data: { grantId, reason: 'Network dissolved', unspentMinor: 300_000, terminatedAt: later } },
        ]);
        // A settlement that left nothing to pay holds no termination back either.
        given(grantDecider, even).when(cmd.terminate()).then([
          { type: 'GrantTerminated', data: { grantId, reason: 'Network dissolved', unspentMinor: 2_400_000, terminatedAt: later } },
        ]);
      });
    });

    describe('a recovery owed survives termination', () => {
      const recoveryDetermined: GrantEvent = {
        type: 'UnspentAdvanceRecoveryDetermined',
        data: { grantId, reportId: financial, acceptedCostsMinor: 9_000_000, paidMinor: 9_600_000, recoveryMinor: 600_000, determinedAt: later },
      };
      const owed = [...finalAccepted(5_000_000, 3_000_000, 1_000_000), balanceCancelled, recoveryDetermined];
      const recover: GrantCommand = { type: 'RecordAdvanceRecovery', data: { grantId, reference: 'SEPA-RETURN-17' }, now: later };
      const recovered: GrantEvent = { type: 'UnspentAdvanceRecovered', data: { grantId, recoveryMinor: 600_000, reference: 'SEPA-RETURN-17', recoveredAt: later } };
      // The grant cost its accepted costs, 9,000,000: the rest of the 12,000,000 goes back to the call, the 600,000 owed included.
      const terminatedOwing: GrantEvent = { type: 'GrantTerminated', data: { grantId, reason: 'Network dissolved', unspentMinor: 3_000_000, terminatedAt: later } };

      it('termination releases the amount minus what was paid net of the recovery owed', () => {
        given(grantDecider, owed).when(cmd.terminate()).then([terminatedOwing]);
        given(grantDecider, [...owed, suspended]).when(cmd.terminate()).then([terminatedOwing]);
        // Already repaid: the same figure.
        given(grantDecider, [...owed, recovered]).when(cmd.terminate()).then([terminatedOwing]);
      });

      it('the repayment is recorded on the terminated grant, once', () => {
        given(grantDecider, [...owed, terminatedOwing]).when(recover).then([recovered]);
        given(grantDecider, [...owed, terminatedOwing, recovered]).when(recover).thenThrows(NoRecoveryDue);
        given(grantDecider, [...running, { type: 'GrantTerminated', data: { grantId, reason: 'r', unspentMinor: 2_400_000, terminatedAt: later } }]).when(recover).thenThrows(NoRecoveryDue);
        const after = state([...owed, terminatedOwing, recovered]);
        expect(after).toMatchObject({ status: 'terminated', unspentMinor: 3_000_000, recovery: { recoveryMinor: 600_000, recovered: true } });
        // Nothing else moves money on the terminated grant.
        given(grantDecider, [...owed, terminatedOwing]).when(cmd.schedule('tranche-extra', 1)).thenThrows(InvalidStateTransition);
        given(grantDecider, [...owed, terminatedOwing]).when(cmd.close()).thenThrows(InvalidStateTransition);
        // A closed grant had its recovery repaid first: nothing to record there.
        given(grantDecider, [...owed, recovered, closed]).when(recover).thenThrows(InvalidStateTransition);
      });
    });
  });

  describe('disbursements only scheduled after the agreement is signed', () => {
    it('rejects scheduling before signing', () => {
      given(grantDecider, [awarded]).when(cmd.schedule(advance, 1_000_000)).thenThrows(AgreementNotSigned);
    });

    it('schedules a tranche, optionally tied to a scheduled report', () => {
      given(grantDecider, [awarded, signed])
        .when(cmd.schedule(advance, 4_800_000, '2026-07-15'))
        .then([trancheScheduled(advance, 4_800_000, '2026-07-15', undefined, later)]);
      given(grantDecider, [awarded, signed, reportScheduled(interimReport, 'interim', '2027-01-31')])
        .when(cmd.schedule(secondTranche, 4_800_000, '2027-02-28', interimReport))
        .then([trancheScheduled(secondTranche, 4_800_000, '2027-02-28', interimReport, later)]);
    });

    it('a tranche can only be tied to a report that is scheduled', () => {
      given(grantDecider, [awarded, signed]).when(cmd.schedule(advance, 1, '2026-09-30', 'no-such-report')).thenThrows(ConditionReportUnknown);
    });

    it('tranche ids are unique, amounts positive, due dates real', () => {
      given(grantDecider, planned).when(cmd.schedule(advance, 1)).thenThrows(DuplicateTranche);
      given(grantDecider, [awarded, signed]).when(cmd.schedule('t', 0)).thenThrows(InvalidGrantAmount);
      given(grantDecider, [awarded, signed]).when(cmd.schedule('t', 1, '31/12/2026')).thenThrows(InvalidGrantDate);
    });

    it('may be planned while suspended, never once terminated or closed', () => {
      given(grantDecider, [awarded, signed, suspended])
        .when(cmd.schedule(advance, 1_000_000))
        .then([trancheScheduled(advance, 1_000_000, '2026-09-30', undefined, later)]);
      given(grantDecider, [awarded, signed, terminated]).when(cmd.schedule(advance, 1)).thenThrows(InvalidStateTransition);
    });
  });

  describe('scheduled tranches never sum above the grant amount (after amendments)', () => {
    it('allows scheduling up to exactly the amount', () => {
      given(grantDecider, [awarded, signed, trancheScheduled(advance, 10_000_000, '2026-07-15')])
        .when(cmd.schedule(balance, 2_000_000))
        .then([trancheScheduled(balance, 2_000_000, '2026-09-30', undefined, later)]);
    });

    it('rejects one minor unit more', () => {
      const error = given(grantDecider, [awarded, signed, trancheScheduled(advance, 10_000_000, '2026-07-15')])
        .when(cmd.schedule(balance, 2_000_001))
        .thenThrows(DisbursementExceedsGrantAmount);
      expect(error.rule).toBe('grant.disbursement.exceeds-amount');
      expect([error.amountMinor, error.scheduledMinor, error.requestedMinor]).toEqual([12_000_000, 10_000_000, 2_000_001]);
    });

    it('measures against the amended amount', () => {
      const increased = amended({ kind: 'amount-change', previousAmountMinor: 12_000_000, newAmountMinor: 15_000_000 });
      given(grantDecider, [...planned, increased])
        .when(cmd.schedule('extra', 3_000_000))
        .then([trancheScheduled('extra', 3_000_000, '2026-09-30', undefined, later)]);
      given(grantDecider, [...planned, increased]).when(cmd.schedule('extra', 3_000_001)).thenThrows(DisbursementExceedsGrantAmount);
    });
  });

  describe('a tranche is paid once, only while active, and after its report is accepted', () => {
    it('pays an unconditional tranche with the scheduled amount', () => {
      given(grantDecider, planned).when(cmd.pay(advance)).then([paid(advance, 4_800_000, 'SEPA-2026-0042')]);
    });

    it('a tranche is paid once', () => {
      given(grantDecider, [...planned, paid(advance, 4_800_000)]).when(cmd.pay(advance)).thenThrows(TrancheAlreadyPaid);
    });

    it('an unknown tranche cannot be paid', () => {
      given(grantDecider, planned).when(cmd.pay('no-such-tranche')).thenThrows(TrancheNotFound);
    });

    it('needs a payment reference', () => {
      given(grantDecider, planned).when(cmd.pay(advance, '  ')).thenThrows(PaymentReferenceRequired);
    });

    it('not while suspended, terminated or closed', () => {
      given(grantDecider, [...planned, suspended]).when(cmd.pay(advance)).thenThrows(InvalidStateTransition);
      given(grantDecider, [...planned, terminated]).when(cmd.pay(advance)).thenThrows(InvalidStateTransition);
      given(grantDecider, [...fullyPaidAndReported, closed]).when(cmd.pay(advance)).thenThrows(InvalidStateTransition);
    });

    it('payable again once reinstated', () => {
      given(grantDecider, [...planned, suspended, reinstated]).when(cmd.pay(advance)).then([paid(advance, 4_800_000, 'SEPA-2026-0042')]);
    });

    it('a tranche tied to a report is paid only after that report is accepted', () => {
      given(grantDecider, planned).when(cmd.pay(secondTranche)).thenThrows(ConditionReportNotAccepted);
      given(grantDecider, interimSubmitted).when(cmd.pay(secondTranche)).thenThrows(ConditionReportNotAccepted);
      given(grantDecider, interimSentBack).when(cmd.pay(secondTranche)).thenThrows(ConditionReportNotAccepted);
      given(grantDecider, interimAccepted).when(cmd.pay(secondTranche)).then([paid(secondTranche, 4_800_000, 'SEPA-2026-0042')]);
    });

    it('paid total never exceeds the grant amount, even on a history written under older rules', () => {
      // A cut below the scheduled total is refused today; this history pretends an older version allowed it.
      const legacyCut = amended({ kind: 'amount-change', previousAmountMinor: 12_000_000, newAmountMinor: 5_000_000 }, 'legacy');
      const error = given(grantDecider, [...planned, paid(advance, 4_800_000), submitted(finalReport), accepted(finalReport), legacyCut])
        .when(cmd.pay(balance))
        .thenThrows(PaymentExceedsGrantAmount);
      expect([error.amountMinor, error.paidMinor, error.requestedMinor]).toEqual([5_000_000, 4_800_000, 2_400_000]);
    });
  });

  describe('a scheduled, unpaid tranche may be cancelled; a cancelled tranche is settled', () => {
    const cancelledByManager = (trancheId: string, amountMinor: number): GrantEvent => ({
      type: 'DisbursementCancelled',
      data: { grantId, trancheId, amountMinor, reason: 'Activity dropped by the network', cancelledBy: 'user-grant-manager', cancelledAt: later },
    });
    /** Everything done but the balance: the final report is accepted, the balance will never be paid. */
    const balanceUnpaid = fullyPaidAndReported.filter((e) => !(e.type === 'DisbursementPaid' && e.data.trancheId === balance));

    it('cancels a scheduled tranche with its amount, a reason and who cancelled it', () => {
      given(grantDecider, planned).when(cmd.cancel(balance)).then([cancelledByManager(balance, 2_400_000)]);
    });

    it('cancel a paid tranche: refused (money paid cannot be un-paid)', () => {
      given(grantDecider, [...planned, paid(advance, 4_800_000)]).when(cmd.cancel(advance)).thenThrows(TrancheAlreadyPaid);
    });

    it('cancel twice: refused, cancellation is final', () => {
      given(grantDecider, [...planned, cancelledByManager(balance, 2_400_000)]).when(cmd.cancel(balance)).thenThrows(TrancheCancelled);
    });

    it('a cancelled tranche is never paid', () => {
      given(grantDecider, [...planned, cancelledByManager(advance, 4_800_000)]).when(cmd.pay(advance)).thenThrows(TrancheCancelled);
    });

    it('an unknown tranche cannot be cancelled; a reason and the canceller are required', () => {
      given(grantDecider, planned).when(cmd.cancel('no-such-tranche')).thenThrows(TrancheNotFound);
      given(grantDecider, planned).when(cmd.cancel(balance, ' ')).thenThrows(GrantReasonRequired);
      const error = given(grantDecider, planned).when(cmd.cancel(balance, 'Dropped', '')).thenThrows(GrantActorRequired);
      expect(error.field).toBe('cancelledBy');
    });

    it('while awarded, active or suspended; never once terminated or closed', () => {
      given(grantDecider, [awarded]).when(cmd.cancel(balance)).thenThrows(TrancheNotFound);
      given(grantDecider, [...planned, suspended]).when(cmd.cancel(balance)).then([cancelledByManager(balance, 2_400_000)]);
      given(grantDecider, [...planned, terminated]).when(cmd.cancel(balance)).thenThrows(InvalidStateTransition);
      given(grantDecider, [...fullyPaidAndReported, closed]).when(cmd.cancel(balance)).thenThrows(InvalidStateTransition);
    });

    it('a cancelled tranche no longer counts in scheduledMinor, leaving room to schedule or cut the amount', () => {
      const afterCancel = [...planned, cancelledByManager(balance, 2_400_000)];
      expect(grantTotals(state(afterCancel))).toEqual({
        amountMinor: 12_000_000,
        scheduledMinor: 9_600_000,
        paidMinor: 0,
        remainingMinor: 12_000_000,
        unscheduledMinor: 2_400_000,
      });
      given(grantDecider, planned).when(cmd.schedule('t-new', 1)).thenThrows(DisbursementExceedsGrantAmount);
      given(grantDecider, afterCancel).when(cmd.schedule('t-new', 2_400_000)).then([trancheScheduled('t-new', 2_400_000, '2026-09-30', undefined, later)]);
      given(grantDecider, afterCancel)
        .when(cmd.amend({ kind: 'amount-change', newAmountMinor: 9_600_000 }))
        .then([amended({ kind: 'amount-change', previousAmountMinor: 12_000_000, newAmountMinor: 9_600_000 })]);
    });

    it('closure after cancelling the unpaid tranche: allowed, unspent = amount - paid', () => {
      given(grantDecider, balanceUnpaid).when(cmd.close()).thenThrows(UnpaidTranches);
      given(grantDecider, [...balanceUnpaid, cancelledByManager(balance, 2_400_000)])
        .when(cmd.close())
        .then([{ type: 'GrantClosed', data: { grantId, unspentMinor: 12_000_000 - 9_600_000, closedAt: later } }]);
    });

    it('folds the cancellation into the tranche: status, when and why', () => {
      const tranche = state([...planned, cancelledByManager(balance, 2_400_000)]).tranches.find((t) => t.trancheId === balance);
      expect(tranche).toMatchObject({ status: 'cancelled', cancelledAt: later, cancellationReason: 'Activity dropped by the network', paidAt: null });
    });

    it('a cancellation recorded before cancelledBy existed (by termination) still folds', () => {
      const legacy: GrantEvent = {
        type: 'DisbursementCancelled',
        data: { grantId, trancheId: balance, amountMinor: 2_400_000, reason: 'Network dissolved', cancelledAt: later },
      };
      const s = state([...balanceUnpaid, legacy]);
      expect(s.tranches.find((t) => t.trancheId === balance)).toMatchObject({ status: 'cancelled', cancellationReason: 'Network dissolved' });
      expect(grantTotals(s)).toMatchObject({ scheduledMinor: 9_600_000, paidMinor: 9_600_000 });
      given(grantDecider, [...balanceUnpaid, legacy]).when(cmd.close()).then([{ type: 'GrantClosed', data: { grantId, unspentMinor: 2_400_000, closedAt: later } }]);
    });
  });

  describe('due dates fall between the award (or the start, if earlier) and a year after the period ends', () => {
    // Awarded 2026-06-01, period 2026-07-01 to 2027-12-31: due dates from 2026-06-01 to 2028-12-31.
    const active = [awarded, signed];

    it('a tranche', () => {
      for (const dueDate of ['2026-06-01', '2028-12-31']) {
        given(grantDecider, active).when(cmd.schedule(advance, 1_000_000, dueDate)).then([trancheScheduled(advance, 1_000_000, dueDate, undefined, later)]);
      }
      for (const dueDate of ['1999-09-30', '2026-05-31', '2029-01-01', '0001-01-01', '9999-12-31']) {
        const error = given(grantDecider, active).when(cmd.schedule(advance, 1_000_000, dueDate)).thenThrows(DateOutsideGrantWindow);
        expect(error).toMatchObject({ field: 'dueDate', value: dueDate, earliest: '2026-06-01', latest: '2028-12-31' });
      }
    });

    it('a report, before the agreement too', () => {
      given(grantDecider, [awarded]).when(cmd.scheduleReport('r', 'final', '2028-12-31')).then([
        { type: 'ReportScheduled', data: { grantId, reportId: 'r', kind: 'final', dueDate: '2028-12-31', scheduledAt: later } },
      ]);
      given(grantDecider, [awarded]).when(cmd.scheduleReport('r', 'interim', '2026-05-31')).thenThrows(DateOutsideGrantWindow);
      given(grantDecider, [awarded]).when(cmd.scheduleReport('r', 'final', '2029-01-01')).thenThrows(DateOutsideGrantWindow);
    });

    it('a start before the award opens the window at the start; an extension moves its end', () => {
      const startedEarly: GrantEvent = { type: 'GrantAwarded', data: { ...award, periodStart: '2026-03-01', awardedAt } };
      given(grantDecider, [startedEarly, signed]).when(cmd.schedule(advance, 1_000_000, '2026-03-01')).then([trancheScheduled(advance, 1_000_000, '2026-03-01', undefined, later)]);
      given(grantDecider, [startedEarly, signed]).when(cmd.schedule(advance, 1_000_000, '2026-02-28')).thenThrows(DateOutsideGrantWindow);
      const extended = amended({ kind: 'no-cost-extension', previousPeriodEnd: '2027-12-31', newPeriodEnd: '2028-06-30' });
      given(grantDecider, [...active, extended]).when(cmd.schedule(advance, 1_000_000, '2029-06-30')).then([trancheScheduled(advance, 1_000_000, '2029-06-30', undefined, later)]);
    });
  });

  describe('reports', () => {
    it('are scheduled with a kind and a due date, even before the agreement is signed', () => {
      given(grantDecider, [awarded])
        .when(cmd.scheduleReport(finalReport, 'final', '2028-02-28'))
        .then([reportScheduled(finalReport, 'final', '2028-02-28', later)]);
      given(grantDecider, planned).when(cmd.scheduleReport(interimReport)).thenThrows(DuplicateReport);
      given(grantDecider, [awarded]).when(cmd.scheduleReport('r', 'quarterly' as never)).thenThrows(InvalidReportKind);
      given(grantDecider, [awarded]).when(cmd.scheduleReport('r', 'interim', '2027-13-01')).thenThrows(InvalidGrantDate);
      given(grantDecider, [...fullyPaidAndReported, closed]).when(cmd.scheduleReport('r')).thenThrows(InvalidStateTransition);
    });

    it('reports submitted only when scheduled and not yet accepted', () => {
      given(grantDecider, planned).when(cmd.submit(interimReport)).then([submitted(interimReport)]);
      given(grantDecider, planned).when(cmd.submit('no-such-report')).thenThrows(ReportNotScheduled);
      given(grantDecider, interimSubmitted).when(cmd.submit(interimReport)).thenThrows(ReportAlreadySubmitted);
      given(grantDecider, interimAccepted).when(cmd.submit(interimReport)).thenThrows(ReportAlreadyAccepted);
    });

    it('a submission needs a summary; documents are named by the id of a document attached to the grant', () => {
      given(grantDecider, planned).when(cmd.submit(interimReport, '')).thenThrows(ReportSummaryRequired);
      const withDocs = (...documentIds: string[]): GrantCommand => ({
        type: 'SubmitReport',
        data: { grantId, reportId: interimReport, summary: 'Narrative', documentIds },
        now: later,
      });
      given(grantDecider, planned).when(withDocs('doc-1')).thenThrows(DocumentNotAttached);
      given(grantDecider, [...planned, documentAttached('doc-1')]).when(withDocs('doc-1', 'doc-1')).thenThrows(InvalidReportDocuments);
      given(grantDecider, [...planned, documentAttached('doc-1')]).when(withDocs('doc-1')).then([
        {
          type: 'ReportSubmitted',
          data: { grantId, reportId: interimReport, summary: 'Narrative', documents: [{ documentId: 'doc-1', sha256: 'a'.repeat(64) }], submittedAt: later },
        },
      ]);
    });

    it('reports are not submitted before the agreement is signed, but may be while suspended', () => {
      given(grantDecider, [awarded, reportScheduled(interimReport, 'interim', '2027-01-31')])
        .when(cmd.submit(interimReport))
        .thenThrows(InvalidStateTransition);
      given(grantDecider, [...planned, suspended]).when(cmd.submit(interimReport)).then([submitted(interimReport)]);
    });

    it('accepted only when submitted (and not already accepted)', () => {
      given(grantDecider, interimSubmitted).when(cmd.accept(interimReport)).then([accepted(interimReport)]);
      given(grantDecider, planned).when(cmd.accept(interimReport)).thenThrows(ReportNotSubmitted);
      given(grantDecider, interimAccepted).when(cmd.accept(interimReport)).thenThrows(ReportAlreadyAccepted);
      given(grantDecider, interimSentBack).when(cmd.accept(interimReport)).thenThrows(ReportNotSubmitted);
      given(grantDecider, planned).when(cmd.accept('no-such-report')).thenThrows(ReportNotScheduled);
      given(grantDecider, interimSubmitted).when(cmd.accept(interimReport, '')).thenThrows(GrantActorRequired);
    });

    it('revision requested only for a submitted report, which then can be resubmitted', () => {
      given(grantDecider, interimSubmitted).when(cmd.requestRevision(interimReport)).then([revisionRequested(interimReport)]);
      given(grantDecider, planned).when(cmd.requestRevision(interimReport)).thenThrows(ReportNotSubmitted);
      given(grantDecider, interimSentBack).when(cmd.requestRevision(interimReport)).thenThrows(ReportNotSubmitted);
      given(grantDecider, interimAccepted).when(cmd.requestRevision(interimReport)).thenThrows(ReportAlreadyAccepted);
      given(grantDecider, interimSubmitted).when(cmd.requestRevision(interimReport, ' ')).thenThrows(GrantReasonRequired);
      given(grantDecider, interimSentBack).when(cmd.submit(interimReport)).then([submitted(interimReport)]);
      given(grantDecider, [...interimSentBack, submitted(interimReport)]).when(cmd.accept(interimReport)).then([accepted(interimReport)]);
    });
  });

  describe('a report the grantee will not deliver is waived by the programme, with a reason', () => {
    it('waives a scheduled report: it is owed no more, shown waived with why and when', () => {
      given(grantDecider, [awarded, signed, reportScheduled(interimReport, 'interim', '2027-01-31')]).when(cmd.waive(interimReport)).then([waived(interimReport)]);
      const report = state([awarded, signed, reportScheduled(interimReport, 'interim', '2027-01-31'), waived(interimReport)]).reports[0];
      expect(report).toMatchObject({ reportId: interimReport, status: 'waived', waiver: { reason: expect.stringContaining('office was closed'), waivedAt: later } });
    });

    it('waives a report sent back for revision (owed again), and one scheduled before the agreement or while suspended', () => {
      given(grantDecider, [awarded, signed, reportScheduled(interimReport, 'interim', '2027-01-31'), submitted(interimReport), revisionRequested(interimReport)])
        .when(cmd.waive(interimReport))
        .then([waived(interimReport)]);
      given(grantDecider, [awarded, reportScheduled(interimReport, 'interim', '2027-01-31')]).when(cmd.waive(interimReport)).then([waived(interimReport)]);
      given(grantDecider, [awarded, signed, reportScheduled(interimReport, 'interim', '2027-01-31'), suspended]).when(cmd.waive(interimReport)).then([waived(interimReport)]);
    });

    it('a tranche payable only once the waived report is accepted could never be paid: the waiver cancels it; other tranches and the money paid stay as they are', () => {
      given(grantDecider, planned).when(cmd.waive(interimReport)).then([waived(interimReport), cancelledByWaiver(secondTranche, 4_800_000, interimReport)]);
      const after = state([...planned, waived(interimReport), cancelledByWaiver(secondTranche, 4_800_000, interimReport)]);
      expect(after.tranches.map((t) => [t.trancheId, t.status])).toEqual([
        [advance, 'scheduled'],
        [secondTranche, 'cancelled'],
        [balance, 'scheduled'],
      ]);
      expect(grantTotals(after)).toMatchObject({ scheduledMinor: 7_200_000, paidMinor: 0 });
      // No tranche is tied to a waived report afterwards.
      const error = given(grantDecider, [...planned, waived(interimReport), cancelledByWaiver(secondTranche, 4_800_000, interimReport)])
        .when(cmd.schedule('t-after', 1_000_000, '2027-03-31', interimReport))
        .thenThrows(ReportAlreadyWaived);
      expect(error).toMatchObject({ rule: 'grant.report.already-waived', reportId: interimReport });
    });

    it('not a report accepted (done), submitted and awaiting review (accept it, or send it back), or waived already; the report must be scheduled', () => {
      given(grantDecider, interimAccepted).when(cmd.waive(interimReport)).thenThrows(ReportAlreadyAccepted);
      given(grantDecider, interimSubmitted).when(cmd.waive(interimReport)).thenThrows(ReportAlreadySubmitted);
      given(grantDecider, [...interimSentBack, waived(interimReport)]).when(cmd.waive(interimReport)).thenThrows(ReportAlreadyWaived);
      given(grantDecider, planned).when(cmd.waive('report-unknown')).thenThrows(ReportNotScheduled);
    });

    it('needs a reason and who decided', () => {
      given(grantDecider, planned).when(cmd.waive(interimReport, '  ')).thenThrows(GrantReasonRequired);
      given(grantDecider, planned).when(cmd.waive(interimReport, 'Office closed', '')).thenThrows(GrantActorRequired);
    });

    it('a waived report is neither submitted, reviewed nor accepted afterwards: the waiver stands', () => {
      const waivedInterim = [...planned, waived(interimReport), cancelledByWaiver(secondTranche, 4_800_000, interimReport)];
      given(grantDecider, waivedInterim).when(cmd.submit(interimReport)).thenThrows(ReportAlreadyWaived);
      given(grantDecider, waivedInterim).when(cmd.accept(interimReport)).thenThrows(ReportAlreadyWaived);
      given(grantDecider, waivedInterim).when(cmd.requestRevision(interimReport)).thenThrows(ReportAlreadyWaived);
    });

    it('a waived report is owed no more: not overdue, not the next report due, not in the way of closure', () => {
      const impactReport = 'report-interim-2';
      const owed = [...fullyPaidAndReported, reportScheduled(impactReport, 'interim', '2027-07-31')];
      given(grantDecider, owed).when(cmd.close()).thenThrows(ReportsOutstanding);
      given(grantDecider, [...owed, waived(impactReport)]).when(cmd.close()).then([closed]);
      expect(isOverdue(state(owed), '2027-09-01T00:00:00Z')).toBe(true);
      expect(isOverdue(state([...owed, waived(impactReport)]), '2027-09-01T00:00:00Z')).toBe(false);
      expect(nextReportDue(state(owed))).toBe('2027-07-31');
      expect(nextReportDue(state([...owed, waived(impactReport)]))).toBeNull();
    });

    it('a waived final report lets the grant close; what was paid is what it cost, and the rest goes back to the call', () => {
      // The final report will not come: its tranche (the balance) is cancelled, the grant closes with it unspent.
      const paidSoFar = [...planned, paid(advance, 4_800_000), submitted(interimReport), accepted(interimReport), paid(secondTranche, 4_800_000)];
      given(grantDecider, paidSoFar).when(cmd.close()).thenThrows(FinalReportNotAccepted);
      given(grantDecider, paidSoFar).when(cmd.waive(finalReport)).then([waived(finalReport), cancelledByWaiver(balance, 2_400_000, finalReport)]);
      given(grantDecider, [...paidSoFar, waived(finalReport), cancelledByWaiver(balance, 2_400_000, finalReport)])
        .when(cmd.close())
        .then([{ type: 'GrantClosed', data: { grantId, unspentMinor: 2_400_000, closedAt: later } }]);
    });

    describe('a waiver settles no money: with a budget, only an accepted final financial report does', () => {
      const budgetAgreed: GrantEvent = {
        type: 'GrantBudgetAgreed',
        data: { grantId, lines: [{ budgetLine: 'Legal aid', amountMinor: 12_000_000 }], transferShareBasisPoints: 1000, agreedBy: 'user-grant-manager', agreedAt: signedAt },
      };
      const financial = 'report-financial-1';
      const secondFinancial = 'report-financial-2';
      const reported = [...fullyPaidAndReported.filter((e) => e.type !== 'DisbursementPaid' || e.data.trancheId !== balance), budgetAgreed, reportScheduled(financial, 'financial', '2028-02-28')];

      it('the final financial report waived, the grant is not settled: no final payment, no recovery, and it does not close (another financial report is scheduled, or the grant is terminated)', () => {
        given(grantDecider, reported).when(cmd.waive(financial)).then([waived(financial)]);
        const waivedFinancial = [...reported, waived(financial)];
        expect(state(waivedFinancial).recovery).toBeNull();
        expect(state(waivedFinancial).finalPaymentTrancheId).toBeNull();
        // The balance, tied to the narrative final report (accepted), stays payable; paid, the grant still lacks its settlement.
        given(grantDecider, [...waivedFinancial, paid(balance, 2_400_000)]).when(cmd.close()).thenThrows(FinalFinancialReportNotAccepted);
        // Another financial report carries the final accounts, and settles the grant as any would.
        given(grantDecider, [...waivedFinancial, paid(balance, 2_400_000)]).when(cmd.scheduleReport(secondFinancial, 'financial', '2028-03-31')).then([reportScheduled(secondFinancial, 'financial', '2028-03-31', later)]);
        const settled = [
          ...waivedFinancial,
          paid(balance, 2_400_000),
          reportScheduled(secondFinancial, 'financial', '2028-03-31', later),
          financialReportSubmitted(secondFinancial, { 'Legal aid': 12_000_000 }, true),
          accepted(secondFinancial),
        ];
        given(grantDecider, settled).when(cmd.close()).then([closed]);
        // Or the grant is terminated: what was paid is released no further than the amount minus it.
        given(grantDecider, [...waivedFinancial, paid(balance, 2_400_000)]).when(cmd.terminate()).then([{ type: 'GrantTerminated', data: { grantId, reason: 'Network dissolved', unspentMinor: 0, terminatedAt: later } }]);
      });

      it('after the settlement, waiving a report leaves the final payment owed, scheduled and payable', () => {
        const settledWithPayment = [
          ...planned,
          budgetAgreed,
          paid(advance, 4_800_000),
          reportScheduled(financial, 'financial', '2028-02-28'),
          financialReportSubmitted(financial, { 'Legal aid': 9_000_000 }, true),
          accepted(financial),
          ...[
            [secondTranche, 4_800_000],
            [balance, 2_400_000],
          ].map(([trancheId, amountMinor]) => ({ type: 'DisbursementCancelled', data: { grantId, trancheId, amountMinor, reason: 'Replaced by the settlement of the final financial report', cancelledAt: later } })),
          { type: 'FinalPaymentDetermined', data: { grantId, reportId: financial, trancheId: 'final-payment', acceptedCostsMinor: 9_000_000, paidMinor: 4_800_000, amountMinor: 4_200_000, determinedAt: later } },
        ] as GrantEvent[];
        given(grantDecider, settledWithPayment).when(cmd.waive(finalReport)).then([waived(finalReport)]);
        given(grantDecider, [...settledWithPayment, waived(finalReport)])
          .when(cmd.pay('final-payment'))
          .then([{ type: 'DisbursementPaid', data: { grantId, trancheId: 'final-payment', paymentReference: 'SEPA-2026-0042', amountMinor: 4_200_000, paidAt: later } }]);
      });
    });
  });

  describe('amendments', () => {
    it('amount change: records the previous amount so the call commitment can follow', () => {
      given(grantDecider, planned)
        .when(cmd.amend({ kind: 'amount-change', newAmountMinor: 15_000_000 }))
        .then([amended({ kind: 'amount-change', previousAmountMinor: 12_000_000, newAmountMinor: 15_000_000 })]);
    });

    it('amount change: new amount >= already paid', () => {
      const paidInFull: GrantEvent[] = [awarded, signed, trancheScheduled(advance, 4_800_000, '2026-07-15'), paid(advance, 4_800_000)];
      const error = given(grantDecider, paidInFull)
        .when(cmd.amend({ kind: 'amount-change', newAmountMinor: 4_799_999 }))
        .thenThrows(AmountBelowPaid);
      expect(error.paidMinor).toBe(4_800_000);
      given(grantDecider, paidInFull)
        .when(cmd.amend({ kind: 'amount-change', newAmountMinor: 4_800_000 }))
        .then([amended({ kind: 'amount-change', previousAmountMinor: 12_000_000, newAmountMinor: 4_800_000 })]);
    });

    it('amount change: new amount >= scheduled (so scheduled tranches never exceed the amount)', () => {
      given(grantDecider, planned).when(cmd.amend({ kind: 'amount-change', newAmountMinor: 11_999_999 })).thenThrows(AmountBelowScheduled);
    });

    it("amount change: an increase never takes the grant above the call's maximum award per grant; a decrease is never held to it", () => {
      // A call awarding at most EUR 130,000 per grant: EUR 120,000 may rise to 130,000, not one cent more.
      const error = given(grantDecider, planned).when(cmd.amend({ kind: 'amount-change', newAmountMinor: 13_000_001 }, 13_000_000)).thenThrows(AmountExceedsCallMaximum);
      expect(error).toMatchObject({ rule: 'grant.amendment.exceeds-call-maximum', newAmountMinor: 13_000_001, maxAwardMinor: 13_000_000 });
      given(grantDecider, planned)
        .when(cmd.amend({ kind: 'amount-change', newAmountMinor: 13_000_000 }, 13_000_000))
        .then([amended({ kind: 'amount-change', previousAmountMinor: 12_000_000, newAmountMinor: 13_000_000 })]);
      // A grant above the maximum (raised before the rule) may come down, even to an amount still above it; it rises no further.
      const raisedBefore = [...planned, amended({ kind: 'amount-change', previousAmountMinor: 12_000_000, newAmountMinor: 15_000_000 }, 'amendment-0')];
      given(grantDecider, raisedBefore)
        .when(cmd.amend({ kind: 'amount-change', newAmountMinor: 14_000_000 }, 13_000_000))
        .then([amended({ kind: 'amount-change', previousAmountMinor: 15_000_000, newAmountMinor: 14_000_000 })]);
      given(grantDecider, raisedBefore).when(cmd.amend({ kind: 'amount-change', newAmountMinor: 15_000_001 }, 13_000_000)).thenThrows(AmountExceedsCallMaximum);
      // Other kinds move no money: the maximum does not concern them.
      given(grantDecider, raisedBefore)
        .when(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2028-06-30' }, 13_000_000))
        .then([amended({ kind: 'no-cost-extension', previousPeriodEnd: '2027-12-31', newPeriodEnd: '2028-06-30' })]);
    });

    it('amount change: positive, and an actual change', () => {
      given(grantDecider, planned).when(cmd.amend({ kind: 'amount-change', newAmountMinor: 0 })).thenThrows(InvalidGrantAmount);
      given(grantDecider, planned).when(cmd.amend({ kind: 'amount-change', newAmountMinor: 12_000_000 })).thenThrows(AmountUnchanged);
    });

    it('no-cost extension: the whole period lasts ten years at most', () => {
      // From 2026-07-01: ends by 2036-07-01.
      given(grantDecider, planned)
        .when(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2036-07-01' }))
        .then([amended({ kind: 'no-cost-extension', previousPeriodEnd: '2027-12-31', newPeriodEnd: '2036-07-01' })]);
      const error = given(grantDecider, planned).when(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2036-07-02' })).thenThrows(ExtensionTooLong);
      expect(error).toMatchObject({ periodStart: '2026-07-01', latestPeriodEnd: '2036-07-01', newPeriodEnd: '2036-07-02' });
      given(grantDecider, planned).when(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '9999-12-31' })).thenThrows(ExtensionTooLong);
    });

    it('no-cost extension: newPeriodEnd later than current end', () => {
      const extended = amended({ kind: 'no-cost-extension', previousPeriodEnd: '2027-12-31', newPeriodEnd: '2028-06-30' });
      given(grantDecider, planned).when(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2028-06-30' })).then([extended]);
      given(grantDecider, planned).when(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2027-12-31' })).thenThrows(ExtensionNotLater);
      given(grantDecider, [...planned, extended])
        .when(cmd.amend({ amendmentId: 'amendment-2', kind: 'no-cost-extension', newPeriodEnd: '2028-03-31' }))
        .thenThrows(ExtensionNotLater);
      given(grantDecider, planned).when(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: 'next year' })).thenThrows(InvalidGrantDate);
      expect(state([...planned, extended]).terms?.periodEnd).toBe('2028-06-30');
    });

    describe('amount change on a grant with a budget: the new lines go with it, so the budget stays equal to the amount', () => {
      // EUR 75,000 in two lines, on an active grant with 30,000 paid.
      const lines = [
        { budgetLine: 'Hearings', amountMinor: 5_000_000 },
        { budgetLine: 'Coordination', amountMinor: 2_500_000 },
      ];
      const awarded75: GrantEvent = { type: 'GrantAwarded', data: { ...award, amountMinor: 7_500_000, awardedAt } };
      const budgetAgreed: GrantEvent = { type: 'GrantBudgetAgreed', data: { grantId, lines, transferShareBasisPoints: 1_000, agreedBy: 'user-grant-manager', agreedAt: later } };
      const budgeted: GrantEvent[] = [awarded75, signed, budgetAgreed, trancheScheduled(advance, 3_000_000, '2026-07-15'), paid(advance, 3_000_000)];
      const change = (newAmountMinor: number, budgetLines?: { budgetLine: string; amountMinor: number }[]): GrantCommand =>
        cmd.amend({ kind: 'amount-change', newAmountMinor, ...(budgetLines ? { budgetLines } : {}) });
      const changed = (newAmountMinor: number, budgetLines?: { budgetLine: string; amountMinor: number }[]): GrantEvent =>
        amended({ kind: 'amount-change', previousAmountMinor: 7_500_000, newAmountMinor, ...(budgetLines ? { budgetLines } : {}) });
      const financial = 'report-financial-1';
      const spent = (hearings: number, coordination: number, final = false): GrantEvent[] => [
        reportScheduled(financial, 'financial', '2027-06-30'),
        financialReportSubmitted(financial, { Hearings: hearings, Coordination: coordination }, final),
      ];

      it('an increase carries the new lines, which become the budget (the transfer share stays), so the increase can be reported', () => {
        const raised = [
          { budgetLine: 'Hearings', amountMinor: 6_000_000 },
          { budgetLine: 'Coordination', amountMinor: 3_000_000 },
        ];
        given(grantDecider, budgeted).when(change(9_000_000, raised)).then([changed(9_000_000, raised)]);
        const after = state([...budgeted, changed(9_000_000, raised)]);
        expect(after.budget).toEqual({ lines: raised, transferShareBasisPoints: 1_000, agreedAt: later });
        expect(grantTotals(after).amountMinor).toBe(9_000_000);
        // 90,000 spent is now within the budget (it was refused against the 75,000 lines).
        const report: GrantCommand = {
          type: 'SubmitFinancialReport',
          data: { grantId, reportId: financial, final: true, expenditure: [{ budgetLine: 'Hearings', spentMinor: 6_000_000 }, { budgetLine: 'Coordination', spentMinor: 3_000_000 }] },
          now: later,
        };
        given(grantDecider, [...budgeted, reportScheduled(financial, 'financial', '2027-06-30')]).when(report).thenThrows(TransferExceedsShare);
        given(grantDecider, [...budgeted, changed(9_000_000, raised), reportScheduled(financial, 'financial', '2027-06-30')])
          .when(report)
          .then([financialReportSubmitted(financial, { Hearings: 6_000_000, Coordination: 3_000_000 }, true)]);
        // Lines may be added and dropped (one nothing was spent on), as when the budget is agreed.
        const reshaped = [
          { budgetLine: 'Hearings', amountMinor: 5_000_000 },
          { budgetLine: 'Legal aid', amountMinor: 4_000_000 },
        ];
        given(grantDecider, budgeted).when(change(9_000_000, reshaped)).then([changed(9_000_000, reshaped)]);
      });

      it('is refused without the new lines while a budget is agreed, and with them while none is', () => {
        const error = given(grantDecider, budgeted).when(change(9_000_000)).thenThrows(AmountChangeBudgetRequired);
        expect(error.budgetMinor).toBe(7_500_000);
        given(grantDecider, [...budgeted.slice(0, 2), ...budgeted.slice(3)]).when(change(9_000_000, lines)).thenThrows(BudgetNotAgreed);
        given(grantDecider, [...budgeted.slice(0, 2), ...budgeted.slice(3)]).when(change(9_000_000)).then([changed(9_000_000)]);
        // The lines belong to an amount change only.
        given(grantDecider, budgeted).when(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2028-06-30', budgetLines: lines })).thenThrows(InvalidAmendment);
        given(grantDecider, budgeted)
          .when(cmd.amend({ kind: 'budget-reallocation', budgetReallocation: [{ budgetLine: 'Hearings', changeMinor: -1 }, { budgetLine: 'Coordination', changeMinor: 1 }], budgetLines: lines }))
          .thenThrows(InvalidAmendment);
      });

      it('the new lines follow the rules of agreeing a budget: summing to the new amount, distinct, named, positive', () => {
        given(grantDecider, budgeted).when(change(9_000_000, lines)).thenThrows(InvalidGrantBudget);
        given(grantDecider, budgeted).when(change(9_000_000, [])).thenThrows(InvalidGrantBudget);
        given(grantDecider, budgeted).when(change(9_000_000, [{ budgetLine: 'Hearings', amountMinor: 4_500_000 }, { budgetLine: 'Hearings', amountMinor: 4_500_000 }])).thenThrows(InvalidGrantBudget);
        given(grantDecider, budgeted).when(change(9_000_000, [{ budgetLine: ' ', amountMinor: 4_500_000 }, { budgetLine: 'Hearings', amountMinor: 4_500_000 }])).thenThrows(InvalidGrantBudget);
        given(grantDecider, budgeted).when(change(9_000_000, [{ budgetLine: 'Coordination', amountMinor: 0 }, { budgetLine: 'Hearings', amountMinor: 9_000_000 }])).thenThrows(InvalidGrantBudget);
        given(grantDecider, budgeted).when(change(9_000_000, [{ budgetLine: 'Coordination', amountMinor: -1 }, { budgetLine: 'Hearings', amountMinor: 9_000_001 }])).thenThrows(InvalidGrantBudget);
        // The amount rules come first: a decrease below what was paid is refused as before.
        given(grantDecider, budgeted).when(change(2_999_999, [{ budgetLine: 'Hearings', amountMinor: 2_999_999 }])).thenThrows(AmountBelowPaid);
      });

      it('a decrease cuts no line below what a standing financial report shows spent on it', () => {
        const reported = [...budgeted, ...spent(2_000_000, 1_500_000)];
        const cut = [
          { budgetLine: 'Hearings', amountMinor: 4_500_000 },
          { budgetLine: 'Coordination', amountMinor: 1_499_999 },
        ];
        const error = given(grantDecider, reported).when(change(5_999_999, cut)).thenThrows(AmendedBudgetLineBelowSpent);
        expect(error).toMatchObject({ budgetLine: 'Coordination', amountMinor: 2_500_000, newAmountMinor: 1_499_999, spentMinor: 1_500_000 });
        // Down to what was spent: recorded, and the budget follows.
        const toSpent = [
          { budgetLine: 'Hearings', amountMinor: 4_500_000 },
          { budgetLine: 'Coordination', amountMinor: 1_500_000 },
        ];
        given(grantDecider, reported).when(change(6_000_000, toSpent)).then([changed(6_000_000, toSpent)]);
        // A line left out is cut to zero.
        given(grantDecider, reported).when(change(6_000_000, [{ budgetLine: 'Hearings', amountMinor: 6_000_000 }])).thenThrows(AmendedBudgetLineBelowSpent);
        // A report sent back for revision does not stand.
        given(grantDecider, [...reported, revisionRequested(financial)]).when(change(5_999_999, cut)).then([changed(5_999_999, cut)]);
        // A line overspent within its transfer share may stay as it is: only a cut is held to what was spent.
        const overspent = [...budgeted, ...spent(2_000_000, 2_700_000)];
        const kept = [
          { budgetLine: 'Hearings', amountMinor: 4_000_000 },
          { budgetLine: 'Coordination', amountMinor: 2_500_000 },
        ];
        given(grantDecider, overspent).when(change(6_500_000, kept)).then([
          amended({ kind: 'amount-change', previousAmountMinor: 7_500_000, newAmountMinor: 6_500_000, budgetLines: kept }),
        ]);
      });

      it('replays an amount change recorded before the lines were required as it was: the budget stays', () => {
        const legacy = changed(9_000_000);
        const after = state([...budgeted, legacy]);
        expect(after.budget?.lines).toEqual(lines);
        expect(after.terms?.amountMinor).toBe(9_000_000);
        // A later amount change brings the budget back to the amount.
        const fixed = [
          { budgetLine: 'Hearings', amountMinor: 6_000_000 },
          { budgetLine: 'Coordination', amountMinor: 3_500_000 },
        ];
        given(grantDecider, [...budgeted, legacy]).when(cmd.amend({ amendmentId: 'amendment-2', kind: 'amount-change', newAmountMinor: 9_500_000, budgetLines: fixed })).then([
          amended({ kind: 'amount-change', previousAmountMinor: 9_000_000, newAmountMinor: 9_500_000, budgetLines: fixed }, 'amendment-2'),
        ]);
      });
    });

    describe('budget reallocation: money moves between the lines of the current budget', () => {
      // EUR 120,000 agreed as three lines.
      const budgetAgreed: GrantEvent = {
        type: 'GrantBudgetAgreed',
        data: {
          grantId,
          lines: [
            { budgetLine: 'Hearings', amountMinor: 6_000_000 },
            { budgetLine: 'Legal aid', amountMinor: 4_000_000 },
            { budgetLine: 'Coordination', amountMinor: 2_000_000 },
          ],
          transferShareBasisPoints: 1_000,
          agreedBy: 'user-grant-manager',
          agreedAt: later,
        },
      };
      const budgeted: GrantEvent[] = [...planned, budgetAgreed];
      type Lines = { budgetLine: string; changeMinor: number }[];
      const reallocate = (budgetReallocation: Lines, extra: Partial<AmendGrant['data']> = {}): GrantCommand =>
        cmd.amend({ kind: 'budget-reallocation', budgetReallocation, ...extra });
      const reallocated = (budgetReallocation: Lines, amendmentId?: string): GrantEvent => amended({ kind: 'budget-reallocation', budgetReallocation }, amendmentId);
      const move = (from: string, to: string, amountMinor: number): Lines => [
        { budgetLine: from, changeMinor: -amountMinor },
        { budgetLine: to, changeMinor: amountMinor },
      ];
      // A financial report on the grant, showing what was spent on Coordination (and nothing elsewhere).
      const financial = 'report-financial-1';
      const spentOnCoordination = (spentMinor: number): GrantEvent[] => [
        reportScheduled(financial, 'financial', '2027-06-30'),
        financialReportSubmitted(financial, { Coordination: spentMinor }, false),
      ];

      it('moves money between lines of the budget, leaving the amount and the budget total unchanged', () => {
        const lines = move('Hearings', 'Coordination', 500_000);
        given(grantDecider, budgeted).when(reallocate(lines)).then([reallocated(lines)]);
        const after = state([...budgeted, reallocated(lines)]);
        expect(after.budget?.lines).toEqual([
          { budgetLine: 'Hearings', amountMinor: 5_500_000 },
          { budgetLine: 'Legal aid', amountMinor: 4_000_000 },
          { budgetLine: 'Coordination', amountMinor: 2_500_000 },
        ]);
        expect(grantTotals(after).amountMinor).toBe(12_000_000);
        // Between more than two lines, and emptying a line entirely (to zero, not below).
        const three = [
          { budgetLine: 'Coordination', changeMinor: -2_000_000 },
          { budgetLine: 'Hearings', changeMinor: 1_500_000 },
          { budgetLine: 'Legal aid', changeMinor: 500_000 },
        ];
        given(grantDecider, budgeted).when(reallocate(three)).then([reallocated(three)]);
      });

      it('works on the budget as amended: a later reallocation sees the lines an earlier one moved', () => {
        const first = reallocated(move('Hearings', 'Coordination', 500_000));
        const second = move('Coordination', 'Legal aid', 2_500_000);
        given(grantDecider, [...budgeted, first]).when(reallocate(second, { amendmentId: 'amendment-2' })).then([reallocated(second, 'amendment-2')]);
        given(grantDecider, [...budgeted, first])
          .when(reallocate(move('Coordination', 'Legal aid', 2_500_001), { amendmentId: 'amendment-2' }))
          .thenThrows(ReallocationOverdrawsLine);
      });

      it('refuses a grant without an agreed budget: there are no lines to move money between', () => {
        given(grantDecider, planned).when(reallocate(move('Travel', 'Legal aid', 300_000))).thenThrows(BudgetNotAgreed);
      });

      it('refuses a line that is not in the budget, naming it, also when only the spelling differs', () => {
        const error = given(grantDecider, budgeted).when(reallocate([{ budgetLine: 'Hearing rooms', changeMinor: 5_000_000 }, { budgetLine: 'Coord', changeMinor: -5_000_000 }])).thenThrows(ReallocationLineUnknown);
        expect(error.budgetLine).toBe('Hearing rooms');
        given(grantDecider, budgeted).when(reallocate(move('Hearings', 'Travel', 100_000))).thenThrows(ReallocationLineUnknown);
        given(grantDecider, budgeted).when(reallocate(move('Travel', 'Hearings', 100_000))).thenThrows(ReallocationLineUnknown);
        // Line names are compared as agreed (as the expenditure of a financial report is): no trimming, no case folding.
        given(grantDecider, budgeted).when(reallocate(move('hearings', 'Coordination', 100_000))).thenThrows(ReallocationLineUnknown);
        given(grantDecider, budgeted).when(reallocate(move('Hearings ', 'Coordination', 100_000))).thenThrows(ReallocationLineUnknown);
      });

      it('refuses a line named twice, also a change and its reverse on the same line', () => {
        given(grantDecider, budgeted).when(reallocate(move('Hearings', 'Hearings', 5))).thenThrows(InvalidBudgetReallocation);
        given(grantDecider, budgeted)
          .when(reallocate([...move('Hearings', 'Coordination', 100_000), { budgetLine: 'Hearings', changeMinor: 50_000 }, { budgetLine: 'Legal aid', changeMinor: -50_000 }]))
          .thenThrows(InvalidBudgetReallocation);
      });

      it('refuses to leave a line below zero', () => {
        const error = given(grantDecider, budgeted).when(reallocate(move('Coordination', 'Hearings', 2_000_001))).thenThrows(ReallocationOverdrawsLine);
        expect(error).toMatchObject({ budgetLine: 'Coordination', amountMinor: 2_000_000, changeMinor: -2_000_001, spentMinor: 0 });
        given(grantDecider, budgeted).when(reallocate(move('Coordination', 'Hearings', 5_000_000))).thenThrows(ReallocationOverdrawsLine);
      });

      it('refuses to leave a line below what a standing financial report shows spent on it', () => {
        const reported = [...budgeted, ...spentOnCoordination(1_500_000)];
        const error = given(grantDecider, reported).when(reallocate(move('Coordination', 'Hearings', 500_001))).thenThrows(ReallocationOverdrawsLine);
        expect(error).toMatchObject({ budgetLine: 'Coordination', amountMinor: 2_000_000, changeMinor: -500_001, spentMinor: 1_500_000 });
        const upToSpent = move('Coordination', 'Hearings', 500_000);
        given(grantDecider, reported).when(reallocate(upToSpent)).then([reallocated(upToSpent)]);
        // Accepted reports count too; a report sent back for revision does not stand.
        given(grantDecider, [...reported, accepted(financial)]).when(reallocate(move('Coordination', 'Hearings', 500_001))).thenThrows(ReallocationOverdrawsLine);
        given(grantDecider, [...reported, revisionRequested(financial)]).when(reallocate(move('Coordination', 'Hearings', 500_001))).then([reallocated(move('Coordination', 'Hearings', 500_001))]);
        // Money moved into a line spent beyond its budget (a transfer within the share) is always fine.
        const overspent = [...budgeted, ...spentOnCoordination(2_200_000)];
        given(grantDecider, overspent).when(reallocate(move('Hearings', 'Coordination', 200_000))).then([reallocated(move('Hearings', 'Coordination', 200_000))]);
        given(grantDecider, overspent).when(reallocate(move('Coordination', 'Hearings', 1))).thenThrows(ReallocationOverdrawsLine);
      });

      it('refuses changes that do not net to zero, fewer than two lines, blank names and zero changes', () => {
        given(grantDecider, budgeted)
          .when(reallocate([{ budgetLine: 'Hearings', changeMinor: -300_000 }, { budgetLine: 'Legal aid', changeMinor: 400_000 }]))
          .thenThrows(ReallocationChangesAmount);
        given(grantDecider, budgeted).when(reallocate(move('Hearings', 'Legal aid', 300_000), { newAmountMinor: 13_000_000 })).thenThrows(InvalidAmendment);
        given(grantDecider, budgeted).when(reallocate([{ budgetLine: 'Hearings', changeMinor: -300_000 }])).thenThrows(InvalidBudgetReallocation);
        given(grantDecider, budgeted).when(reallocate(move(' ', 'Hearings', 1))).thenThrows(InvalidBudgetReallocation);
        given(grantDecider, budgeted).when(reallocate(move('Legal aid', 'Hearings', 0))).thenThrows(InvalidBudgetReallocation);
      });

      it('replays a reallocation recorded before these rules as it was recorded', () => {
        const legacy = reallocated([{ budgetLine: 'Travel', changeMinor: 100_000 }, { budgetLine: 'Hearings', changeMinor: -100_000 }]);
        expect(state([...budgeted, legacy]).budget?.lines).toEqual([
          { budgetLine: 'Hearings', amountMinor: 5_900_000 },
          { budgetLine: 'Legal aid', amountMinor: 4_000_000 },
          { budgetLine: 'Coordination', amountMinor: 2_000_000 },
          { budgetLine: 'Travel', amountMinor: 100_000 },
        ]);
        expect(state([...planned, legacy]).budget).toBeNull();
      });
    });

    it('each kind carries exactly its own field, with a reason, an approver and a fresh id', () => {
      given(grantDecider, planned).when(cmd.amend({ kind: 'no-cost-extension' })).thenThrows(InvalidAmendment);
      given(grantDecider, planned)
        .when(cmd.amend({ kind: 'amount-change', newAmountMinor: 13_000_000, newPeriodEnd: '2028-06-30' }))
        .thenThrows(InvalidAmendment);
      given(grantDecider, planned).when(cmd.amend({ kind: 'rebudget' as never })).thenThrows(InvalidAmendment);
      const extension = (extra: Partial<AmendGrant['data']>): GrantCommand =>
        cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2028-06-30', ...extra });
      given(grantDecider, planned).when(extension({ reason: '' })).thenThrows(GrantReasonRequired);
      given(grantDecider, planned).when(extension({ approvedBy: '' })).thenThrows(GrantActorRequired);
      const first = amended({ kind: 'no-cost-extension', previousPeriodEnd: '2027-12-31', newPeriodEnd: '2028-06-30' });
      given(grantDecider, [...planned, first]).when(extension({ newPeriodEnd: '2028-12-31' })).thenThrows(DuplicateAmendment);
    });

    it('not after termination or closure', () => {
      given(grantDecider, [...planned, terminated])
        .when(cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2028-06-30' }))
        .thenThrows(InvalidStateTransition);
    });
  });

  describe('suspension and reinstatement', () => {
    it('suspension only when active', () => {
      given(grantDecider, planned).when(cmd.suspend()).then([suspended]);
      given(grantDecider, [awarded]).when(cmd.suspend()).thenThrows(InvalidStateTransition);
      given(grantDecider, [...planned, suspended]).when(cmd.suspend()).thenThrows(InvalidStateTransition);
      given(grantDecider, planned).when(cmd.suspend('')).thenThrows(GrantReasonRequired);
    });

    it('reinstatement only when suspended', () => {
      given(grantDecider, [...planned, suspended]).when(cmd.reinstate()).then([reinstated]);
      given(grantDecider, planned).when(cmd.reinstate()).thenThrows(InvalidStateTransition);
      given(grantDecider, [...planned, suspended]).when(cmd.reinstate(' ')).thenThrows(GrantReasonRequired);
      expect(state([...planned, suspended, reinstated]).status).toBe('active');
    });
  });

  describe('termination from awarded, active or suspended, unspent = amount - paid (net of recoveries)', () => {
    const cancelled = (trancheId: string, amountMinor: number): GrantEvent => ({
      type: 'DisbursementCancelled',
      data: { grantId, trancheId, amountMinor, reason: 'Network dissolved', cancelledAt: later },
    });

    it('cancels every unpaid tranche, then terminates with the unspent amount', () => {
      given(grantDecider, [...planned, paid(advance, 4_800_000)]).when(cmd.terminate()).then([
        cancelled(secondTranche, 4_800_000),
        cancelled(balance, 2_400_000),
        { type: 'GrantTerminated', data: { grantId, reason: 'Network dissolved', unspentMinor: 7_200_000, terminatedAt: later } },
      ]);
    });

    it('from suspended too', () => {
      given(grantDecider, [awarded, signed, suspended]).when(cmd.terminate()).then([terminated]);
    });

    it('before signing too (the grantee declines the agreement): nothing was paid, the whole amount is released', () => {
      const declined: GrantEvent = { type: 'GrantTerminated', data: { grantId, reason: 'The grantee declined to sign', unspentMinor: 12_000_000, terminatedAt: later } };
      given(grantDecider, [awarded]).when(cmd.terminate('The grantee declined to sign')).then([declined]);
      given(grantDecider, [awarded, reportScheduled(interimReport, 'interim', '2027-01-31')]).when(cmd.terminate('The grantee declined to sign')).then([declined]);
      // The agreement is not signed after that, and the grant never closes.
      given(grantDecider, [awarded, declined]).when(cmd.sign()).thenThrows(InvalidStateTransition);
      given(grantDecider, [awarded, declined]).when(cmd.close()).thenThrows(InvalidStateTransition);
      expect(state([awarded, declined])).toMatchObject({ status: 'terminated', unspentMinor: 12_000_000 });
    });

    it('not twice, and with a reason', () => {
      given(grantDecider, [awarded, signed, terminated]).when(cmd.terminate()).thenThrows(InvalidStateTransition);
      given(grantDecider, [awarded, terminated]).when(cmd.terminate()).thenThrows(InvalidStateTransition);
      given(grantDecider, [awarded, signed]).when(cmd.terminate('')).thenThrows(GrantReasonRequired);
      given(grantDecider, [awarded]).when(cmd.terminate(' ')).thenThrows(GrantReasonRequired);
    });

    it('after termination totals count no cancelled tranche as scheduled', () => {
      const after = state([
        ...planned,
        paid(advance, 4_800_000),
        cancelled(secondTranche, 4_800_000),
        cancelled(balance, 2_400_000),
        { type: 'GrantTerminated', data: { grantId, reason: 'Network dissolved', unspentMinor: 7_200_000, terminatedAt: later } },
      ]);
      expect(after.status).toBe('terminated');
      expect(after.unspentMinor).toBe(7_200_000);
      expect(grantTotals(after)).toEqual({
        amountMinor: 12_000_000,
        scheduledMinor: 4_800_000,
        paidMinor: 4_800_000,
        remainingMinor: 7_200_000,
        unscheduledMinor: 7_200_000,
      });
    });
  });

  describe('closure only when the final report is accepted and every tranche is settled (paid or cancelled)', () => {
    it('closes with unspent = amount - paid', () => {
      given(grantDecider, fullyPaidAndReported).when(cmd.close()).then([closed]);
      // Only part of the amount was ever scheduled: the rest goes back to the call.
      const partlyScheduled: GrantEvent[] = [
        awarded,
        signed,
        reportScheduled(finalReport, 'final', '2028-02-28'),
        trancheScheduled(advance, 9_000_000, '2026-07-15'),
        paid(advance, 9_000_000),
        submitted(finalReport),
        accepted(finalReport),
      ];
      given(grantDecider, partlyScheduled)
        .when(cmd.close())
        .then([{ type: 'GrantClosed', data: { grantId, unspentMinor: 3_000_000, closedAt: later } }]);
    });

    it('not before the final report is accepted', () => {
      const withoutFinal = fullyPaidAndReported.filter((e) => !(e.type === 'ReportAccepted' && e.data.reportId === finalReport));
      given(grantDecider, withoutFinal).when(cmd.close()).thenThrows(FinalReportNotAccepted);
      given(grantDecider, [awarded, signed]).when(cmd.close()).thenThrows(FinalReportNotAccepted);
    });

    it('not while a tranche is still scheduled (neither paid nor cancelled)', () => {
      const unpaidBalance = fullyPaidAndReported.filter((e) => !(e.type === 'DisbursementPaid' && e.data.trancheId === balance));
      const error = given(grantDecider, unpaidBalance).when(cmd.close()).thenThrows(UnpaidTranches);
      expect(error.trancheIds).toEqual([balance]);
    });

    it('not while a report is still owed by the grantee, scheduled or sent back for revision (closing would drop it for good); terminating still ends the grant', () => {
      const impactReport = 'report-interim-2';
      const owed = [...fullyPaidAndReported, reportScheduled(impactReport, 'interim', '2027-07-31')];
      const error = given(grantDecider, owed).when(cmd.close()).thenThrows(ReportsOutstanding);
      expect(error).toMatchObject({ rule: 'grant.closure.reports-outstanding', reportIds: [impactReport] });
      const sentBack = [...owed, submitted(impactReport), revisionRequested(impactReport)];
      expect(given(grantDecider, sentBack).when(cmd.close()).thenThrows(ReportsOutstanding).reportIds).toEqual([impactReport]);
      // Submitted, it awaits the programme's review; accepted, the grant closes.
      given(grantDecider, [...sentBack, submitted(impactReport)]).when(cmd.close()).thenThrows(ReportsAwaitingReview);
      given(grantDecider, [...sentBack, submitted(impactReport), accepted(impactReport)]).when(cmd.close()).then([closed]);
      // Every report owed is named.
      const twoOwed = [...owed, reportScheduled('report-financial-1', 'financial', '2027-08-31')];
      expect(given(grantDecider, twoOwed).when(cmd.close()).thenThrows(ReportsOutstanding).reportIds).toEqual([impactReport, 'report-financial-1']);
      // Termination is the way out of obligations that will not be met.
      given(grantDecider, owed).when(cmd.terminate()).then([{ type: 'GrantTerminated', data: { grantId, reason: 'Network dissolved', unspentMinor: 0, terminatedAt: later } }]);
    });

    it('not while suspended or before signing', () => {
      given(grantDecider, [...fullyPaidAndReported, suspended]).when(cmd.close()).thenThrows(InvalidStateTransition);
      given(grantDecider, [awarded]).when(cmd.close()).thenThrows(InvalidStateTransition);
    });
  });

  describe('nothing after closed/terminated', () => {
    const everyCommandButAward: GrantCommand[] = [
      cmd.sign(),
      cmd.schedule('t-new', 1),
      cmd.pay(balance),
      cmd.cancel(balance),
      cmd.scheduleReport('r-new'),
      cmd.submit(finalReport),
      cmd.accept(finalReport),
      cmd.requestRevision(finalReport),
      cmd.waive(finalReport),
      cmd.amend({ kind: 'no-cost-extension', newPeriodEnd: '2029-01-31' }),
      cmd.suspend(),
      cmd.reinstate(),
      cmd.terminate(),
      cmd.close(),
    ];
    it.each(everyCommandButAward)('closed: $type is refused', (command) => {
      given(grantDecider, [...fullyPaidAndReported, closed]).when(command).thenThrows(InvalidStateTransition);
    });
    it.each(everyCommandButAward)('terminated: $type is refused', (command) => {
      given(grantDecider, [...planned, terminated]).when(command).thenThrows(InvalidStateTransition);
    });
  });

  describe('read-model helpers', () => {
    it('grantTotals', () => {
      expect(grantTotals(initialGrantState)).toEqual({ amountMinor: 0, scheduledMinor: 0, paidMinor: 0, remainingMinor: 0, unscheduledMinor: 0 });
      expect(grantTotals(state([...planned, paid(advance, 4_800_000)]))).toEqual({
        amountMinor: 12_000_000,
        scheduledMinor: 12_000_000,
        paidMinor: 4_800_000,
        remainingMinor: 7_200_000,
        unscheduledMinor: 0,
      });
    });

    it('nextReportDue: earliest due date of a report not yet accepted', () => {
      expect(nextReportDue(state([awarded]))).toBeNull();
      expect(nextReportDue(state(planned))).toBe('2027-01-31');
      expect(nextReportDue(state(interimSubmitted))).toBe('2027-01-31');
      expect(nextReportDue(state(interimAccepted))).toBe('2028-02-28');
      expect(nextReportDue(state([...planned, reportScheduled('financial-1', 'financial', '2026-12-31')]))).toBe('2026-12-31');
      expect(nextReportDue(state(fullyPaidAndReported))).toBeNull();
      expect(nextReportDue(state([...planned, terminated]))).toBeNull();
    });

    it('isOverdue: a report the grantee still owes, past the end of its due date (UTC)', () => {
      const s = state(planned);
      expect(isOverdue(s, '2027-01-31T23:59:59.999Z')).toBe(false);
      expect(isOverdue(s, '2027-02-01T00:00:00.000Z')).toBe(true);
      // Offsets are honoured: 01:00 at +02:00 on 1 Feb is still 31 Jan in UTC.
      expect(isOverdue(s, '2027-02-01T01:00:00+02:00')).toBe(false);
      expect(isOverdue(state(interimSubmitted), '2027-03-01T00:00:00Z')).toBe(false);
      expect(isOverdue(state(interimSentBack), '2027-03-01T00:00:00Z')).toBe(true);
      expect(isOverdue(state([...planned, terminated]), '2030-01-01T00:00:00Z')).toBe(false);
      expect(isOverdue(state([awarded]), '2030-01-01T00:00:00Z')).toBe(false);
    });
  });

  describe('evolve', () => {
    it('folds a full history into the current state', () => {
      const s = state([...fullyPaidAndReported, closed]);
      expect(s.status).toBe('closed');
      expect(s.unspentMinor).toBe(0);
      expect(s.terms).toMatchObject({ grantId, amountMinor: 12_000_000, awardedAmountMinor: 12_000_000, periodEnd: '2027-12-31' });
      expect(s.tranches.map((t) => [t.trancheId, t.status, t.paymentReference])).toEqual([
        [advance, 'paid', `PAY-${advance}`],
        [secondTranche, 'paid', `PAY-${secondTranche}`],
        [balance, 'paid', `PAY-${balance}`],
      ]);
      expect(s.reports.map((r) => [r.reportId, r.status, r.acceptedAt])).toEqual([
        [interimReport, 'accepted', later],
        [finalReport, 'accepted', later],
      ]);
    });

    it('does not mutate earlier states', () => {
      const before = state(planned);
      const snapshot = JSON.parse(JSON.stringify(before));
      grantDecider.evolve(before, paid(advance, 4_800_000));
      expect(before).toEqual(snapshot);
    });
  });
});
