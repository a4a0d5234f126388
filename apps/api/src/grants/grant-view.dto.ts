import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { GrantView } from '@app/read-models/grants/grant-view.entity';
import { CommandResultDto } from '../http/command-result.dto';
import type { CsvColumn } from '../http/csv';
import { LIST_NAME_DESCRIPTION } from '../http/list-search.dto';
import { listedOrganisationName } from '@app/application/organisations/organisation-access';
import type { ListNames, OrganisationNameScope } from '@app/read-models/lists/list-search';

export class TrancheViewDto {
  @ApiProperty() trancheId: string;
  @ApiProperty() amountMinor: number;
  @ApiProperty({ example: '2027-09-30' }) dueDate: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Payable only once this report is accepted' }) conditionReportId: string | null;
  @ApiProperty({ enum: ['scheduled', 'paid', 'cancelled'] }) status: string;
  @ApiPropertyOptional({ nullable: true, type: String }) paymentReference: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) paidAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Set when the tranche was cancelled (on its own, or by termination)' }) cancelledAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) cancellationReason: string | null;
}

export class ExpenditureLineViewDto {
  @ApiProperty() budgetLine: string;
  @ApiProperty() spentMinor: number;
}

export class FinancialReportViewDto {
  @ApiProperty({ description: 'The closing financial report, whose accepted costs settle the grant' }) final: boolean;
  @ApiProperty() totalSpentMinor: number;
  @ApiProperty({ type: [ExpenditureLineViewDto] }) expenditure: ExpenditureLineViewDto[];
}

export class BudgetLineViewDto {
  @ApiProperty() budgetLine: string;
  @ApiProperty({ description: 'After reallocation amendments' }) amountMinor: number;
}

export class BudgetViewDto {
  @ApiProperty({ type: [BudgetLineViewDto] }) lines: BudgetLineViewDto[];
  @ApiProperty({ description: 'Share of a line that transfers may add without an amendment, in basis points (1000 = 10 %)' }) transferShareBasisPoints: number;
  @ApiProperty() agreedAt: string;
}

export class RecoveryViewDto {
  @ApiProperty({ description: 'The unspent advance the final financial report showed' }) recoveryMinor: number;
  @ApiProperty() recovered: boolean;
}

export class ReportRevisionRequestViewDto {
  @ApiProperty({ example: 'Add the attendance lists of the hearings' }) reason: string;
  @ApiProperty() requestedAt: string;
}

export class ReportWaiverViewDto {
  @ApiProperty({ example: "The network's office was closed by the authorities; the report cannot be written" }) reason: string;
  @ApiProperty() waivedAt: string;
}

export class ReportViewDto {
  @ApiProperty() reportId: string;
  @ApiProperty({ enum: ['interim', 'final', 'financial'] }) kind: string;
  @ApiProperty({ example: '2027-12-31' }) dueDate: string;
  @ApiProperty({ enum: ['scheduled', 'submitted', 'revision-requested', 'accepted', 'waived'], description: '`waived`: the programme decided the report will not come (see `waiver`); it is owed no more' })
  status: string;
  @ApiPropertyOptional({ nullable: true, type: String }) submittedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) acceptedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: FinancialReportViewDto, description: 'A financial report\'s expenditure per budget line, once submitted' })
  financial: FinancialReportViewDto | null;
  @ApiPropertyOptional({
    nullable: true,
    type: ReportRevisionRequestViewDto,
    description: 'The last time the programme sent the report back, and why: what the grantee addresses in its next submission (null: never sent back)',
  })
  revisionRequest: ReportRevisionRequestViewDto | null;
  @ApiPropertyOptional({ nullable: true, type: ReportWaiverViewDto, description: 'Why and when the programme waived the report (null: not waived)' })
  waiver: ReportWaiverViewDto | null;
}

export class AmendmentViewDto {
  @ApiProperty() amendmentId: string;
  @ApiProperty({ enum: ['budget-reallocation', 'no-cost-extension', 'amount-change'] }) kind: string;
  @ApiProperty() reason: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "User id of the approver. The programme's own record: the programme team and auditors only (null for applicants: staff are not traced outside the programme)",
  })
  approvedBy: string | null;
  @ApiProperty() amendedAt: string;
  @ApiPropertyOptional() previousAmountMinor?: number;
  @ApiPropertyOptional() newAmountMinor?: number;
  @ApiPropertyOptional() previousPeriodEnd?: string;
  @ApiPropertyOptional() newPeriodEnd?: string;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object', properties: { budgetLine: { type: 'string' }, changeMinor: { type: 'integer' } } } })
  budgetReallocation?: { budgetLine: string; changeMinor: number }[];
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', properties: { budgetLine: { type: 'string' }, amountMinor: { type: 'integer' } } },
    description: 'amount-change on a grant with a budget: the budget lines it set',
  })
  budgetLines?: { budgetLine: string; amountMinor: number }[];
}

export class GrantViewDto {
  @ApiProperty() id: string;
  @ApiProperty() proposalId: string;
  @ApiProperty() callId: string;
  @ApiProperty({ description: 'The lead organisation of the network' }) granteeOrganisationId: string;
  @ApiProperty({ type: [String] }) partnerOrganisationIds: string[];
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty({ enum: ['awarded', 'active', 'suspended', 'terminated', 'closed'] }) status: string;
  @ApiProperty({ description: 'Current amount, after amendments' }) amountMinor: number;
  @ApiProperty() awardedAmountMinor: number;
  @ApiProperty({ description: 'Sum of tranches not cancelled (scheduled or paid)' }) scheduledMinor: number;
  @ApiProperty({ description: 'Sum of tranches paid' }) disbursedMinor: number;
  @ApiProperty({ description: 'Amount minus disbursed (on a closed or terminated grant, see unspentMinor: nothing more is paid)' }) remainingMinor: number;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Given back to the call at closure or termination' }) unspentMinor: number | null;
  @ApiProperty({ example: '2027-06-01' }) periodStart: string;
  @ApiProperty({ example: '2029-05-31' }) periodEnd: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Earliest due date of a report not yet accepted nor waived' }) nextReportDue: string | null;
  @ApiProperty({ description: 'A report the grantee owes (scheduled or sent back) was due before today' }) overdue: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) agreementSignedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Why it was suspended or terminated' }) statusReason: string | null;
  @ApiProperty({ type: [String] }) conditions: string[];
  @ApiProperty({ type: [TrancheViewDto] }) tranches: TrancheViewDto[];
  @ApiProperty({ type: [ReportViewDto] }) reports: ReportViewDto[];
  @ApiProperty({ type: [AmendmentViewDto] }) amendments: AmendmentViewDto[];
  @ApiPropertyOptional({ nullable: true, type: BudgetViewDto, description: 'The agreed budget per line (POST /grants/{id}/budget)' }) budget: BudgetViewDto | null;
  @ApiPropertyOptional({ nullable: true, type: RecoveryViewDto, description: 'Set when the final financial report showed an unspent advance' }) recovery: RecoveryViewDto | null;
  @ApiProperty() awardedAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty({ description: 'Stream version this view reflects' }) version: number;
}

export class GrantPartnerDto {
  @ApiProperty() organisationId: string;
  @ApiProperty({ type: String, nullable: true, description: LIST_NAME_DESCRIPTION }) organisationName: string | null;
}

/** A grant in the list: the grant with the names beside its ids. */
export class GrantListItemDto extends GrantViewDto {
  @ApiProperty({ type: String, nullable: true, example: 'Secure tenure for refugee and migrant households', description: "The grant's title: its proposal's" }) title: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Small grants for issue-based networks' }) callTitle: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Beirut Housing Rights Collective', description: LIST_NAME_DESCRIPTION }) granteeOrganisationName: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'LB', description: "The grantee's country (ISO 3166-1 alpha-2); null when its name is withheld from you" })
  granteeOrganisationCountry: string | null;
  @ApiProperty({ type: [GrantPartnerDto], description: 'The partners of the network, with their names' }) partners: GrantPartnerDto[];
}

export class GrantListDto {
  @ApiProperty({ type: [GrantListItemDto] }) items: GrantListItemDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export class TrancheScheduledDto extends CommandResultDto {
  @ApiProperty({ description: 'Id of the new tranche: pay it at /grants/:id/disbursements/:trancheId/payment' }) trancheId: string;
}

export class ReportScheduledDto extends CommandResultDto {
  @ApiProperty({ description: 'Id of the new report' }) reportId: string;
}

export class AmendmentRecordedDto extends CommandResultDto {
  @ApiProperty({ description: 'Id of the amendment' }) amendmentId: string;
}

/** The grant with the names beside its ids, as the caller may read them (organisation-access.ts). */
export function toGrantListItemDto(grant: GrantView, today: string, names: ListNames, scope: OrganisationNameScope, staff: boolean): GrantListItemDto {
  const grantee = listedOrganisationName(scope, grant.granteeOrganisationId, names.organisations);
  return {
    ...toGrantViewDto(grant, today, staff),
    title: names.proposalTitles.get(grant.proposalId) ?? null,
    callTitle: names.callTitles.get(grant.callId) ?? null,
    granteeOrganisationName: grantee.name,
    granteeOrganisationCountry: grantee.country,
    partners: grant.partnerOrganisationIds.map((organisationId) => ({
      organisationId,
      organisationName: listedOrganisationName(scope, organisationId, names.organisations).name,
    })),
  };
}

/** The columns of GET /grants as CSV: the portfolio's figures flat, without tranches, reports or amendments. */
export const GRANT_CSV_COLUMNS: readonly CsvColumn<GrantListItemDto>[] = [
  { header: 'id', value: (g) => g.id },
  { header: 'title', value: (g) => g.title },
  { header: 'status', value: (g) => g.status },
  { header: 'callId', value: (g) => g.callId },
  { header: 'callTitle', value: (g) => g.callTitle },
  { header: 'proposalId', value: (g) => g.proposalId },
  { header: 'granteeOrganisationId', value: (g) => g.granteeOrganisationId },
  { header: 'granteeOrganisationName', value: (g) => g.granteeOrganisationName },
  { header: 'granteeOrganisationCountry', value: (g) => g.granteeOrganisationCountry },
  { header: 'partnerOrganisationIds', value: (g) => g.partners.map((p) => p.organisationId).join('; ') },
  { header: 'partnerOrganisationNames', value: (g) => g.partners.map((p) => p.organisationName ?? '').join('; ') },
  { header: 'currency', value: (g) => g.currency },
  { header: 'amountMinor', value: (g) => g.amountMinor },
  { header: 'awardedAmountMinor', value: (g) => g.awardedAmountMinor },
  { header: 'disbursedMinor', value: (g) => g.disbursedMinor },
  { header: 'remainingMinor', value: (g) => g.remainingMinor },
  // Given back at closure or termination: a reader of the CSV sees that a terminated grant's
  // "remaining" will not be paid (until 2026-12-06 the CSV had only remainingMinor).
  { header: 'unspentMinor', value: (g) => g.unspentMinor },
  { header: 'periodStart', value: (g) => g.periodStart },
  { header: 'periodEnd', value: (g) => g.periodEnd },
  { header: 'nextReportDue', value: (g) => g.nextReportDue },
  { header: 'overdue', value: (g) => g.overdue },
  { header: 'agreementSignedAt', value: (g) => g.agreementSignedAt },
  { header: 'awardedAt', value: (g) => g.awardedAt },
  { header: 'updatedAt', value: (g) => g.updatedAt },
];

/** What `Accept: text/csv` answers, for the OpenAPI document. */
export const GRANT_CSV_EXAMPLE =
  GRANT_CSV_COLUMNS.map((column) => column.header).join(',') +
  '\r\n' +
  '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a,Secure tenure for refugee and migrant households,active,5b4f2a11-7d9b-4f38-9c55-1b0e6f3c0a3e,Small grants for issue-based networks,' +
  '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b,8a1d2c3e-4b5f-4a6b-9c7d-0e1f2a3b4c5d,Beirut Housing Rights Collective,LB,2f6e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f,Withheld recipient,' +
  'EUR,5000000,5000000,2500000,2500000,2027-06-01,2029-05-31,2027-12-01,false,2027-05-20T09:00:00.000Z,2027-05-03T09:00:00.000Z,2027-06-01T09:00:00.000Z\r\n';

/** `today` is `YYYY-MM-DD` by the injected clock: overdue is a question of when you ask. */
/** `staff`: whether the reader sees who on the programme's staff acted (seesGrantStaff). */
export function toGrantViewDto(grant: GrantView, today: string, staff: boolean): GrantViewDto {
  const { state } = grant;
  return {
    id: grant.id,
    proposalId: grant.proposalId,
    callId: grant.callId,
    granteeOrganisationId: grant.granteeOrganisationId,
    partnerOrganisationIds: grant.partnerOrganisationIds,
    currency: grant.currency,
    status: grant.status,
    amountMinor: grant.amountMinor,
    awardedAmountMinor: grant.awardedAmountMinor,
    scheduledMinor: grant.scheduledMinor,
    disbursedMinor: grant.paidMinor,
    remainingMinor: grant.remainingMinor,
    unspentMinor: grant.unspentMinor,
    periodStart: grant.periodStart,
    periodEnd: grant.periodEnd,
    nextReportDue: grant.nextReportDue,
    overdue: grant.nextReportOwed !== null && grant.nextReportOwed < today,
    agreementSignedAt: grant.agreementSignedAt ? grant.agreementSignedAt.toISOString() : null,
    statusReason: grant.statusReason,
    conditions: state.terms?.conditions ?? [],
    tranches: state.tranches.map((t) => ({
      trancheId: t.trancheId,
      amountMinor: t.amountMinor,
      dueDate: t.dueDate,
      conditionReportId: t.condition?.reportId ?? null,
      status: t.status,
      paymentReference: t.paymentReference,
      paidAt: t.paidAt,
      cancelledAt: t.cancelledAt ?? null,
      cancellationReason: t.cancellationReason ?? null,
    })),
    reports: state.reports.map((r) => ({
      reportId: r.reportId,
      kind: r.kind,
      dueDate: r.dueDate,
      status: r.status,
      submittedAt: r.submittedAt,
      acceptedAt: r.acceptedAt,
      financial: r.financial ? { final: r.financial.final, totalSpentMinor: r.financial.totalSpentMinor, expenditure: r.financial.expenditure.map((l) => ({ ...l })) } : null,
      revisionRequest: r.revisionRequest ? { ...r.revisionRequest } : null,
      waiver: r.waiver ? { ...r.waiver } : null,
    })),
    amendments: staff ? grant.amendments : grant.amendments.map((amendment) => ({ ...amendment, approvedBy: null })),
    budget: state.budget ? { lines: state.budget.lines.map((l) => ({ ...l })), transferShareBasisPoints: state.budget.transferShareBasisPoints, agreedAt: state.budget.agreedAt } : null,
    recovery: state.recovery ? { ...state.recovery } : null,
    awardedAt: grant.awardedAt.toISOString(),
    updatedAt: grant.updatedAt.toISOString(),
    version: grant.version,
  };
}
