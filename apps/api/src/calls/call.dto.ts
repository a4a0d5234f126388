import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsISO31661Alpha2, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { IsCurrencyCode, IsInstant, IsMinorUnits, IsPageLimit, IsPageOffset } from '../http/validation';

// Examples are computed when the API starts, so Swagger's "Try it out" works as is on any day.
const DAY = 86_400_000;
const isoDay = (offsetDays: number) => new Date(Math.floor(Date.now() / DAY) * DAY + offsetDays * DAY).toISOString();

export class ScoringCriterionDto {
  @ApiProperty({ example: 'relevance' }) @IsString() @IsNotEmpty() @MaxLength(64) @Matches(/^[a-z0-9-]+$/, { message: 'id must be lower-case letters, digits and dashes' })
  id: string;
  @ApiProperty({ example: 'Relevance to the policy issue' }) @IsString() @IsNotEmpty() @MaxLength(200)
  name: string;
  @ApiPropertyOptional({ example: 'How directly the network addresses the rights of the group it works with' }) @IsOptional() @IsString() @MaxLength(2000)
  description?: string;
  @ApiProperty({ example: 40, description: 'Integer percentage; the weights of a call sum to 100' }) @IsInt() @Min(1) @Max(100)
  weight: number;
  @ApiProperty({ example: 10, description: 'Reviewers score 0..maxScore; at most 1000' }) @IsInt() @Min(1) @Max(1000)
  maxScore: number;
}

export class DraftCallDto {
  @ApiProperty({ example: 'Civic Space and Minority Rights Programme 2027' }) @IsString() @IsNotEmpty() @MaxLength(200)
  programme: string;
  @ApiProperty({ example: 'Small grants for issue-based networks' }) @IsString() @IsNotEmpty() @MaxLength(200)
  title: string;
  @ApiProperty({ example: 'Grants for networks of grassroots organisations in Lebanon, Palestine, Morocco and Tunisia working together on one policy issue.' })
  @IsString() @IsNotEmpty() @MaxLength(10_000)
  description: string;
  @ApiProperty({ example: 'EUR', description: 'ISO 4217 code of a currency in circulation' }) @IsCurrencyCode()
  currency: string;
  @ApiProperty({ example: 60_000_000, description: 'Minor units (cents): 600,000.00 EUR' }) @IsMinorUnits({ min: 1 })
  budgetMinor: number;
  @ApiProperty({ example: 2_000_000 }) @IsMinorUnits({ min: 1 })
  minAwardMinor: number;
  @ApiProperty({ example: 8_000_000 }) @IsMinorUnits({ min: 1 })
  maxAwardMinor: number;
  @ApiProperty({ example: ['LB', 'PS', 'MA', 'TN'], description: 'ISO 3166-1 alpha-2' }) @IsArray() @ArrayMinSize(1) @ArrayMaxSize(250) @IsISO31661Alpha2({ each: true, message: 'each value in eligibleCountries must be an ISO 3166-1 alpha-2 code such as LB' })
  eligibleCountries: string[];
  @ApiProperty({ example: 3, description: 'Minimum organisations per network, the lead included (at most 51: a lead and the 50 partners a proposal may name)' }) @IsInt() @Min(1) @Max(51)
  minPartners: number;
  @ApiProperty({
    type: [ScoringCriterionDto],
    example: [
      { id: 'relevance', name: 'Relevance to the policy issue', weight: 40, maxScore: 10 },
      { id: 'network', name: 'Strength of the network', weight: 30, maxScore: 10 },
      { id: 'feasibility', name: 'Feasibility and budget', weight: 30, maxScore: 10 },
    ],
  })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => ScoringCriterionDto)
  criteria: ScoringCriterionDto[];
  @ApiProperty({ example: 2, description: '1..100' }) @IsInt() @Min(1) @Max(100)
  reviewsRequired: number;
  @ApiPropertyOptional({
    example: 10_000_000,
    description:
      "Ceiling per recipient for this call's awards, in minor units of the call's currency: what one organisation (as lead or partner) may be awarded across the programme's calls. At least maxAwardMinor. Absent: the programme's configured ceiling (RECIPIENT_CEILINGS), else RECIPIENT_CEILING_MINOR (default 6,000,000: EUR 60,000)",
  })
  @IsOptional() @IsMinorUnits({ min: 1 })
  recipientCeilingMinor?: number;
  @ApiProperty({ example: isoDay(0), description: 'Submission window opens (ISO 8601)' }) @IsInstant({ requireOffset: true })
  opensAt: string;
  @ApiProperty({ example: isoDay(60), description: 'Submission deadline (ISO 8601)' }) @IsInstant({ requireOffset: true })
  closesAt: string;
}

export class ExtendDeadlineDto {
  @ApiProperty({ example: isoDay(75) }) @IsInstant({ requireOffset: true })
  newClosesAt: string;
  @ApiProperty({ example: 'Partners in Gaza lost connectivity for two weeks' }) @IsString() @IsNotEmpty() @MaxLength(2000)
  reason: string;
}

export class CloseCallDto {
  @ApiPropertyOptional({ example: 'Budget fully allocated', description: 'Required when closing before the deadline' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(2000)
  reason?: string;
}

export class CancelCallDto {
  @ApiProperty({ example: 'Programme funding withdrawn by the donor' }) @IsString() @IsNotEmpty() @MaxLength(2000)
  reason: string;
}

export const CALL_STATUSES = ['draft', 'published', 'closed', 'cancelled'] as const;

export class ListCallsQuery {
  @ApiPropertyOptional({ enum: CALL_STATUSES }) @IsOptional() @IsIn(CALL_STATUSES)
  status?: (typeof CALL_STATUSES)[number];
  @ApiPropertyOptional({ example: 50, description: '1..200' }) @IsOptional() @IsPageLimit(200)
  limit?: number;
  @ApiPropertyOptional({ example: 0, description: '0..2^53-1' }) @IsOptional() @IsPageOffset()
  offset?: number;
}
