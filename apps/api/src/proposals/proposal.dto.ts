import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsCurrencyCode, IsMinorUnits, IsPageLimit, IsPageOffset, IsOmittable, REVIEWER_ID, REVIEWER_ID_MESSAGE } from '../http/validation';
import { ListSearchQuery } from '../http/list-search.dto';

/*
 * Examples tell the story of one fictional network: a housing-rights network led by a Lebanese
 * organisation, with Palestinian and Tunisian partners. The ids are placeholders: register the
 * organisations and draft the call first, then paste their ids.
 */
const EXAMPLE_CALL_ID = '5b4f2a11-7d9b-4f38-9c55-1b0e6f3c0a3e';
const EXAMPLE_LEAD_ID = '8a1d2c3e-4b5f-4a6b-9c7d-0e1f2a3b4c5d'; // Beirut housing-rights collective (LB)
const EXAMPLE_PARTNER_PS = '2f6e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f'; // Hebron tenants' committee (PS)
const EXAMPLE_PARTNER_TN = '7c3b9a8d-1e2f-4d5c-a6b7-c8d9e0f1a2b3'; // Sfax informal-settlements association (TN)

export const PROPOSAL_STATUSES = ['draft', 'submitted', 'ineligible', 'under-review', 'awarded', 'rejected', 'reserved', 'withdrawn'] as const;
export const REVIEW_RECOMMENDATIONS = ['fund', 'do-not-fund', 'reserve'] as const;
export const FUNDING_DECISIONS = ['award', 'reject', 'reserve'] as const;

const TEXT = 200;
const LONG_TEXT = 10_000;

export class PartnerDto {
  @ApiProperty({ example: EXAMPLE_PARTNER_PS }) @IsUUID()
  organisationId: string;
  @ApiProperty({ example: 'documentation of evictions' }) @IsString() @IsNotEmpty() @MaxLength(TEXT)
  role: string;
}

export class BudgetLineDto {
  @ApiProperty({ example: 'Legal aid clinics' }) @IsString() @IsNotEmpty() @MaxLength(TEXT)
  label: string;
  @ApiProperty({ example: 2_500_000, description: 'Minor units (cents), a positive integer' }) @IsMinorUnits({ min: 1 })
  amountMinor: number;
}

export class DraftProposalDto {
  @ApiProperty({ example: EXAMPLE_CALL_ID }) @IsUUID()
  callId: string;
  @ApiPropertyOptional({ example: EXAMPLE_LEAD_ID, description: "Defaults to the caller's organisation; applicants may only lead for their own" })
  @IsOptional() @IsUUID()
  leadOrganisationId?: string;
  @ApiProperty({
    type: [PartnerDto],
    example: [
      { organisationId: EXAMPLE_PARTNER_PS, role: 'documentation of evictions' },
      { organisationId: EXAMPLE_PARTNER_TN, role: 'community outreach' },
    ],
  })
  @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => PartnerDto)
  partners: PartnerDto[];
  @ApiProperty({ example: 'Secure tenure for refugee and migrant households' }) @IsString() @IsNotEmpty() @MaxLength(TEXT)
  title: string;
  @ApiProperty({ example: 'Legal aid, eviction monitoring and joint advocacy for tenure rights in Beirut, Hebron and Sfax.' })
  @IsString() @IsNotEmpty() @MaxLength(LONG_TEXT)
  summary: string;
  @ApiProperty({ example: 'housing rights for minorities' }) @IsString() @IsNotEmpty() @MaxLength(TEXT)
  policyIssue: string;
  @ApiProperty({ example: 5_000_000, description: "Minor units; within the call's award range" }) @IsMinorUnits({ min: 1 })
  requestedMinor: number;
  @ApiProperty({ example: 'EUR', description: "ISO 4217; the call's currency" }) @IsCurrencyCode()
  currency: string;
  @ApiProperty({
    type: [BudgetLineDto],
    example: [
      { label: 'Legal aid clinics', amountMinor: 2_500_000 },
      { label: 'Eviction monitoring', amountMinor: 1_500_000 },
      { label: 'Joint advocacy', amountMinor: 1_000_000 },
    ],
    description: 'Lines sum to requestedMinor',
  })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => BudgetLineDto)
  budgetLines: BudgetLineDto[];
  @ApiProperty({ example: 24 }) @IsInt() @Min(1) @Max(120)
  durationMonths: number;
}

/** Any subset of the content; only what differs is recorded. */
export class ProposalContentChangesDto {
  @ApiPropertyOptional({ example: 'Secure tenure for refugee, migrant and Dom households' }) @IsOmittable() @IsString() @IsNotEmpty() @MaxLength(TEXT)
  title?: string;
  @ApiPropertyOptional() @IsOmittable() @IsString() @IsNotEmpty() @MaxLength(LONG_TEXT)
  summary?: string;
  @ApiPropertyOptional() @IsOmittable() @IsString() @IsNotEmpty() @MaxLength(TEXT)
  policyIssue?: string;
  @ApiPropertyOptional({ example: 5_000_000 }) @IsOmittable() @IsMinorUnits({ min: 1 })
  requestedMinor?: number;
  @ApiPropertyOptional({ type: [BudgetLineDto] }) @IsOmittable() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => BudgetLineDto)
  budgetLines?: BudgetLineDto[];
  @ApiPropertyOptional({ example: 24 }) @IsOmittable() @IsInt() @Min(1) @Max(120)
  durationMonths?: number;
}

export class AddPartnerDto extends PartnerDto {}

export class AcceptPartnershipDto {
  @ApiProperty({
    example: 'Mandated by the board resolution of 12 November 2026 to join the network and manage its share of the budget',
    description:
      "Your organisation's mandate to join the network (who accepted is recorded as your user id). Personal data of your organisation: stored encrypted with its key, and unreadable for good (null in the decision dossier) once its personal data is erased.",
  })
  @IsString() @IsNotEmpty() @MaxLength(2000)
  mandateStatement: string;
  @ApiProperty({ example: 1, description: 'The terms version you accept, as GET /partner-invitations shows it; 422 proposal.partner.terms-changed if the lead changed the budget or the partners since' })
  @IsInt() @Min(1) @Max(1_000_000)
  termsVersion: number;
}

export class RequestRedressDto {
  @ApiProperty({
    example: 'The relevance score ignores the annex on eviction cases documented in Hebron, which the call asked for',
    description:
      "Why the evaluation procedure should be reviewed. Personal data of your organisation: stored encrypted with its key, and read as null (evaluation summary, decision dossier) once its personal data is erased.",
  })
  @IsString() @IsNotEmpty() @MaxLength(LONG_TEXT)
  grounds: string;
}

export const REDRESS_OUTCOMES = ['upheld', 'rejected'] as const;

export class RecordRedressOutcomeDto {
  @ApiProperty({ enum: REDRESS_OUTCOMES, example: 'upheld', description: 'upheld: the decision does not stand and the proposal goes back to evaluation; rejected: it stands' })
  @IsIn(REDRESS_OUTCOMES)
  outcome: (typeof REDRESS_OUTCOMES)[number];
  @ApiProperty({ example: 'The panel did not consider the annex; the proposal is evaluated again' }) @IsString() @IsNotEmpty() @MaxLength(LONG_TEXT)
  reasons: string;
}

export class WithdrawProposalDto {
  @ApiProperty({ example: 'The Tunisian partner lost its premises; the network will re-apply next round' }) @IsString() @IsNotEmpty() @MaxLength(2000)
  reason: string;
}

export class EligibilityResultDto {
  @ApiProperty({ example: 'lead-country-eligible' }) @IsString() @IsNotEmpty() @MaxLength(TEXT)
  rule: string;
  @ApiProperty({ example: true }) @IsBoolean()
  passed: boolean;
  @ApiProperty({ example: 'Lead organisation registered in Lebanon' }) @IsString() @MaxLength(2000)
  note: string;
}

export class ScreenEligibilityDto {
  @ApiProperty({
    type: [EligibilityResultDto],
    example: [
      { rule: 'lead-country-eligible', passed: true, note: 'Lead organisation based in Lebanon' },
      { rule: 'network-size', passed: true, note: 'Three organisations in three countries' },
      { rule: 'budget-consistent', passed: true, note: 'Lines sum to the requested amount' },
    ],
  })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => EligibilityResultDto)
  results: EligibilityResultDto[];
}

export class AssignReviewerDto {
  @ApiProperty({ example: 'reviewer-nadia', description: "The reviewer's user id (token subject): 1-200 of A-Z a-z 0-9 . _ : | @ -, no spaces" })
  @IsString() @IsNotEmpty() @MaxLength(TEXT)
  @Matches(REVIEWER_ID, { message: REVIEWER_ID_MESSAGE })
  reviewerId: string;
}

export class RecuseReviewerDto {
  @ApiProperty({ example: 'reviewer-nadia', description: "The assigned reviewer's user id (token subject): 1-200 of A-Z a-z 0-9 . _ : | @ -, no spaces" })
  @IsString() @IsNotEmpty() @MaxLength(TEXT)
  @Matches(REVIEWER_ID, { message: REVIEWER_ID_MESSAGE })
  reviewerId: string;
  @ApiProperty({
    example: 'Complaint received on 2 May 2027: the reviewer advised the lead organisation on this proposal',
    description:
      'Why the programme recuses the reviewer (a conflict of interest it learned of, e.g. from a complaint). Kept in clear in the decision record, read by the programme team and auditors: state the ground, do not name people.',
  })
  @IsString() @IsNotEmpty() @MaxLength(2000)
  reason: string;
}

export class DeclareConflictDto {
  @ApiProperty({
    example: 'I advised the lead organisation on its tenancy campaign in 2025',
    description:
      "Your relation to the applicants. Personal data of you, the reviewer: stored encrypted with your key, read by the programme team and auditors, and null for good once your personal data is erased. You are recused at once.",
  })
  @IsString() @IsNotEmpty() @MaxLength(2000)
  description: string;
}

export class CriterionScoreDto {
  @ApiProperty({ example: 'relevance' }) @IsString() @IsNotEmpty() @MaxLength(64)
  criterionId: string;
  @ApiProperty({ example: 8, description: "Integer in 0..the criterion's maxScore" }) @IsInt() @Min(0) @Max(1000)
  score: number;
  @ApiProperty({ example: 'Addresses evictions of refugee households directly' }) @IsString() @MaxLength(LONG_TEXT)
  comment: string;
}

export class SubmitReviewDto {
  @ApiProperty({
    type: [CriterionScoreDto],
    example: [
      { criterionId: 'relevance', score: 8, comment: 'Addresses evictions of refugee households directly' },
      { criterionId: 'network', score: 7, comment: 'Complementary partners in three countries' },
      { criterionId: 'feasibility', score: 6, comment: 'Ambitious monitoring plan for the budget' },
    ],
  })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => CriterionScoreDto)
  scores: CriterionScoreDto[];
  @ApiProperty({ enum: REVIEW_RECOMMENDATIONS, example: 'fund' }) @IsIn(REVIEW_RECOMMENDATIONS)
  recommendation: (typeof REVIEW_RECOMMENDATIONS)[number];
  @ApiProperty({
    example: 'A credible network with a clear advocacy target',
    description: 'Kept in clear as part of the decision record (read by the programme team, auditors and, once theirs is in, the other reviewers): judge the proposal, do not name people.',
  })
  @IsString() @MaxLength(LONG_TEXT)
  comment: string;
}

export class RecordConsensusDto {
  @ApiProperty({ example: 72.5, description: '0..100, at most two decimals' }) @IsNumber({ maxDecimalPlaces: 2, allowNaN: false, allowInfinity: false }) @Min(0) @Max(100)
  score: number;
  @ApiProperty({ example: 'Panel agrees on relevance; feasibility concerns addressed by the revised monitoring plan' }) @IsString() @IsNotEmpty() @MaxLength(LONG_TEXT)
  summary: string;
  @ApiPropertyOptional({
    type: [CriterionScoreDto],
    description: "The panel's agreed score and comment per criterion of the call (each once, within its range): what the lead and accepted partners read in the evaluation summary after the decision",
    example: [
      { criterionId: 'relevance', score: 8, comment: 'Addresses evictions of refugee households directly' },
      { criterionId: 'network', score: 7, comment: 'Complementary partners in three countries' },
    ],
  })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => CriterionScoreDto)
  criteria?: CriterionScoreDto[];
}

export class RecordDecisionDto {
  @ApiProperty({ enum: FUNDING_DECISIONS, example: 'award' }) @IsIn(FUNDING_DECISIONS)
  decision: (typeof FUNDING_DECISIONS)[number];
  @ApiPropertyOptional({ example: 4_500_000, description: 'Award only, and required for one: minor units, at most the requested amount' })
  @ValidateIf((body: RecordDecisionDto) => body.decision === 'award' || body.amountMinor !== undefined)
  @IsDefined({ message: 'amountMinor is required when the decision is award' })
  @IsMinorUnits({ min: 1 })
  amountMinor?: number;
  @ApiProperty({ example: 'Ranked second; monitoring budget reduced by the committee' }) @IsString() @IsNotEmpty() @MaxLength(LONG_TEXT)
  reasons: string;
  @ApiProperty({ example: 'Grants committee, session of 12 May 2027' }) @IsString() @IsNotEmpty() @MaxLength(TEXT)
  committee: string;
}

export class RequestClarificationDto {
  @ApiProperty({ example: ['How will the Hebron committee keep eviction records safe?', 'Which courts will the legal aid clinics cover?'] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(20) @IsString({ each: true }) @IsNotEmpty({ each: true }) @MaxLength(2000, { each: true })
  questions: string[];
}

export class ProvideClarificationDto {
  @ApiProperty({ example: '3e9c1b2a-5d4f-4e6a-8b7c-9d0e1f2a3b4c', description: 'From the clarification request (see GET /proposals/:id)' }) @IsUUID()
  requestId: string;
  @ApiProperty({ example: 'Records are kept offline by two trained members; the clinics cover Beirut and Mount Lebanon courts.' })
  @IsString() @IsNotEmpty() @MaxLength(LONG_TEXT)
  answer: string;
  @ApiPropertyOptional({ type: ProposalContentChangesDto, description: 'The only way submitted content changes' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => ProposalContentChangesDto)
  revisedFields?: ProposalContentChangesDto;
}

export class ListProposalsQuery extends ListSearchQuery {
  @ApiPropertyOptional({ example: EXAMPLE_CALL_ID }) @IsOptional() @IsUUID()
  callId?: string;
  @ApiPropertyOptional({ enum: PROPOSAL_STATUSES }) @IsOptional() @IsIn(PROPOSAL_STATUSES)
  status?: (typeof PROPOSAL_STATUSES)[number];
  @ApiPropertyOptional({ example: 50, description: '1..200 (default 50). CSV: every matching row unless a limit is given' }) @IsOptional() @IsPageLimit(200)
  limit?: number;
  @ApiPropertyOptional({ example: 0, description: '0..2^53-1' }) @IsOptional() @IsPageOffset()
  offset?: number;
}

export class ReviewerQueueQuery {
  @ApiPropertyOptional({ description: 'true: only proposals still awaiting your review; false: only those you reviewed' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  pending?: boolean;
  @ApiPropertyOptional({ example: 50, description: '1..200' }) @IsOptional() @IsPageLimit(200)
  limit?: number;
  @ApiPropertyOptional({ example: 0, description: '0..2^53-1' }) @IsOptional() @IsPageOffset()
  offset?: number;
}
