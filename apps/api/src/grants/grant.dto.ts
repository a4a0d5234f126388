import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AMENDMENT_KINDS, REPORT_KINDS, type AmendmentKind, type ReportKind } from '@app/domain/grant';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength, ValidateNested,
} from 'class-validator';
import { IsCalendarDate, IsMinorUnits, IsOmittable, IsPageLimit, IsPageOffset } from '../http/validation';
import { ListSearchQuery } from '../http/list-search.dto';

// Examples are computed when the API starts, so Swagger's "Try it out" works as is on any day.
const DAY = 86_400_000;
const isoDate = (offsetDays: number) => new Date(Math.floor(Date.now() / DAY) * DAY + offsetDays * DAY).toISOString().slice(0, 10);

export class SignatoryDto {
  @ApiProperty({ example: 'Rania Haddad', description: 'Personal data: encrypted in the log, erasable' }) @IsString() @IsNotEmpty() @MaxLength(200)
  name: string;
  @ApiProperty({ example: 'Director, lead organisation' }) @IsString() @IsNotEmpty() @MaxLength(200)
  role: string;
}

export class SignAgreementDto {
  @ApiProperty({ type: [SignatoryDto], example: [{ name: 'Rania Haddad', role: 'Director, lead organisation' }, { name: 'Programme officer', role: 'For the programme' }] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => SignatoryDto)
  signatories: SignatoryDto[];
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    example: ['0f8c6b1e-8a4e-4c55-9d55-2b7d3f0e9a11'],
    description: 'The signed agreement and its annexes, attached to the grant beforehand (POST /grants/{id}/documents), by id',
  })
  @IsOmittable() @IsArray() @ArrayMaxSize(20) @IsUUID('all', { each: true })
  documentIds?: string[];
}

export class ScheduleDisbursementDto {
  @ApiProperty({ example: 1_000_000, minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units in the grant currency; scheduled tranches never exceed the grant amount' })
  @IsMinorUnits({ min: 1 })
  amountMinor: number;
  @ApiProperty({ example: isoDate(30), description: 'YYYY-MM-DD' }) @IsString() @IsCalendarDate()
  dueDate: string;
  @ApiPropertyOptional({ description: 'A report of this grant (POST /grants/:id/reports) that must be accepted before the tranche is paid' })
  @IsOptional() @IsUUID()
  conditionReportId?: string;
}

export class RecordPaymentDto {
  @ApiProperty({ example: 'SEPA-2027-000123', description: 'Reference of the bank transfer' }) @IsString() @IsNotEmpty() @MaxLength(200)
  paymentReference: string;
}

export class CancelDisbursementDto {
  @ApiProperty({ example: 'The network dropped the second round of hearings; this tranche will not be paid', description: 'Why the tranche will not be paid: part of the record' })
  @IsString() @IsNotEmpty() @MaxLength(2000)
  reason: string;
}

export class ScheduleReportDto {
  @ApiProperty({ enum: REPORT_KINDS, example: 'interim' }) @IsIn(REPORT_KINDS)
  kind: ReportKind;
  @ApiProperty({ example: isoDate(180), description: 'YYYY-MM-DD; overdue from the day after' }) @IsString() @IsCalendarDate()
  dueDate: string;
}

export class SubmitReportDto {
  @ApiProperty({ example: 'Six community hearings held in Beirut and Tripoli; a joint policy brief on nationality rights was sent to parliament.' })
  @IsString() @IsNotEmpty() @MaxLength(20_000)
  summary: string;
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    example: ['0f8c6b1e-8a4e-4c55-9d55-2b7d3f0e9a11'],
    description: 'Documents attached to the grant beforehand (POST /grants/{id}/documents), by id; each named once',
  })
  @IsOmittable() @IsArray() @ArrayMaxSize(50) @IsUUID('all', { each: true })
  documentIds?: string[];
}

export class ReasonDto {
  @ApiProperty({ example: 'Agreed at the programme committee of this month' }) @IsString() @IsNotEmpty() @MaxLength(2000)
  reason: string;
}

export class BudgetReallocationLineDto {
  @ApiProperty({ example: 'Community hearings' }) @IsString() @IsNotEmpty() @MaxLength(200)
  budgetLine: string;
  @ApiProperty({ example: 150_000, minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description: 'Non-zero, signed; the lines of one reallocation sum to zero' })
  @IsMinorUnits({ min: -Number.MAX_SAFE_INTEGER })
  changeMinor: number;
}

/**
 * A line of a grant's agreed budget. Not `BudgetLineDto`: the proposal's budget line has that name,
 * and the OpenAPI document keys schemas by class name, so the second class silently took the first's
 * place (until 2026-12-07 POST /grants/{id}/budget was documented with a proposal's `label` lines).
 */
export class GrantBudgetLineDto {
  @ApiProperty({ example: 'Community hearings', description: 'Free text, never public' }) @IsString() @IsNotEmpty() @MaxLength(200)
  budgetLine: string;
  @ApiProperty({ example: 6_000_000, minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units in the grant currency' })
  @IsMinorUnits({ min: 1 })
  amountMinor: number;
}

/**
 * Flat like the domain command: exactly the field of the kind is required, the others absent (422
 * otherwise); `budgetLines` goes with an amount change, required once a budget is agreed. The
 * examples per kind are on the route.
 */
export class AmendGrantDto {
  @ApiProperty({ enum: AMENDMENT_KINDS }) @IsIn(AMENDMENT_KINDS)
  kind: AmendmentKind;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(2000)
  reason: string;
  @ApiPropertyOptional({ description: 'no-cost-extension: the new last day, YYYY-MM-DD' }) @IsOmittable() @IsString() @IsCalendarDate()
  newPeriodEnd?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: "amount-change: the new amount in minor units; an increase stays within the call's maximum award per grant and must fit the call budget" })
  @IsOmittable() @IsMinorUnits({ min: 1 })
  newAmountMinor?: number;
  @ApiPropertyOptional({ type: [BudgetReallocationLineDto], description: 'budget-reallocation: at least two lines summing to zero' })
  @IsOmittable() @IsArray() @ArrayMinSize(2) @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => BudgetReallocationLineDto)
  budgetReallocation?: BudgetReallocationLineDto[];
  @ApiPropertyOptional({
    type: [GrantBudgetLineDto],
    description:
      'amount-change on a grant with an agreed budget (required there, refused without one: 422 `grant.amendment.budget-lines-required`, `grant.budget.not-agreed`): the whole new budget, distinct named lines summing to the new amount (422 `grant.budget.invalid`), replacing the lines; a line cut (or left out) keeps at least what a standing financial report shows spent on it (422 `grant.amendment.budget-line-below-spent`). The transfer share stays',
  })
  @IsOmittable() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => GrantBudgetLineDto)
  budgetLines?: GrantBudgetLineDto[];
}

export const AMENDMENT_EXAMPLES = {
  'no-cost-extension': {
    summary: 'No-cost extension by six months',
    value: { kind: 'no-cost-extension', reason: 'Activities delayed by the closure of crossings', newPeriodEnd: isoDate(5 * 365) },
  },
  'amount-change': {
    summary: 'Amount change (an increase must fit the call budget; with an agreed budget, give its new lines in budgetLines)',
    value: { kind: 'amount-change', reason: 'Additional partner activities approved by the committee', newAmountMinor: 2_500_000 },
  },
  'budget-reallocation': {
    summary: 'Budget reallocation between lines',
    value: {
      kind: 'budget-reallocation',
      reason: 'Travel replaced by online hearings',
      budgetReallocation: [
        { budgetLine: 'Travel', changeMinor: -150_000 },
        { budgetLine: 'Community hearings', changeMinor: 150_000 },
      ],
    },
  },
};

export const DISBURSEMENT_EXAMPLES = {
  unconditional: { summary: 'A tranche payable once the agreement is signed', value: { amountMinor: 1_000_000, dueDate: isoDate(30) } },
  'tied-to-report': {
    summary: 'A tranche payable after a report is accepted (put a reportId of this grant)',
    value: { amountMinor: 1_000_000, dueDate: isoDate(200), conditionReportId: '<reportId from POST /grants/{id}/reports>' },
  },
};

export const GRANT_STATUSES = ['awarded', 'active', 'suspended', 'terminated', 'closed'] as const;

export class ListGrantsQuery extends ListSearchQuery {
  @ApiPropertyOptional({ enum: GRANT_STATUSES }) @IsOptional() @IsIn(GRANT_STATUSES)
  status?: (typeof GRANT_STATUSES)[number];
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: grants owing a report due before today; false: the others' })
  @IsOptional() @IsIn(['true', 'false'])
  overdue?: 'true' | 'false';
  @ApiPropertyOptional({ description: 'Only grants under this call' }) @IsOptional() @IsUUID()
  callId?: string;
  @ApiPropertyOptional({ example: 50, minimum: 1, maximum: 200, description: 'Page size, 1..200 (decimal digits; default 50). CSV: every matching grant unless a limit is given' }) @IsOptional() @IsPageLimit(200)
  limit?: number;
  @ApiPropertyOptional({ example: 0, minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Grants to skip (decimal digits); past the end gives an empty page' })
  @IsOptional() @IsPageOffset()
  offset?: number;
}
