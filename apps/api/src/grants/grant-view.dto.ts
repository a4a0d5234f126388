import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { GrantView } from '@app/read-models/grants/grant-view.entity';
import { CommandResultDto } from '../http/command-result.dto';

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

export class ReportViewDto {
  @ApiProperty() reportId: string;
  @ApiProperty({ enum: ['interim', 'final', 'financial'] }) kind: string;
  @ApiProperty({ example: '2027-12-31' }) dueDate: string;
  @ApiProperty({ enum: ['scheduled', 'submitted', 'revision-requested', 'accepted'] }) status: string;
  @ApiPropertyOptional({ nullable: true, type: String }) submittedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) acceptedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: FinancialReportViewDto, description: 'A financial report\'s expenditure per budget line, once submitted' })
  financial: FinancialReportViewDto | null;
}

export class AmendmentViewDto {
  @ApiProperty() amendmentId: string;
  @ApiProperty({ enum: ['budget-reallocation', 'no-cost-extension', 'amount-change'] }) kind: string;
  @ApiProperty() reason: string;
  @ApiProperty({ description: 'User id of the approver' }) approvedBy: string;
  @ApiProperty() amendedAt: string;
  @ApiPropertyOptional() previousAmountMinor?: number;
  @ApiPropertyOptional() newAmountMinor?: number;
  @ApiPropertyOptional() previousPeriodEnd?: string;
  @ApiPropertyOptional() newPeriodEnd?: string;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object', properties: { budgetLine: { type: 'string' }, changeMinor: { type: 'integer' } } } })
  budgetReallocation?: { budgetLine: string; changeMinor: number }[];
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
  @ApiProperty({ description: 'Amount minus disbursed' }) remainingMinor: number;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Given back to the call at closure or termination' }) unspentMinor: number | null;
  @ApiProperty({ example: '2027-06-01' }) periodStart: string;
  @ApiProperty({ example: '2029-05-31' }) periodEnd: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Earliest due date of a report not yet accepted' }) nextReportDue: string | null;
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

export class GrantListDto {
  @ApiProperty({ type: [GrantViewDto] }) items: GrantViewDto[];
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

/** `today` is `YYYY-MM-DD` by the injected clock: overdue is a question of when you ask. */
export function toGrantViewDto(grant: GrantView, today: string): GrantViewDto {
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
    })),
    amendments: grant.amendments,
    budget: state.budget ? { lines: state.budget.lines.map((l) => ({ ...l })), transferShareBasisPoints: state.budget.transferShareBasisPoints, agreedAt: state.budget.agreedAt } : null,
    recovery: state.recovery ? { ...state.recovery } : null,
    awardedAt: grant.awardedAt.toISOString(),
    updatedAt: grant.updatedAt.toISOString(),
    version: grant.version,
  };
}
