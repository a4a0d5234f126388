import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Response } from 'express';
import type { CallView } from '@app/read-models/calls/call-view.entity';
import { ScoringCriterionDto } from './call.dto';

export class DeadlineExtensionDto {
  @ApiProperty() previousClosesAt: string;
  @ApiProperty() newClosesAt: string;
  @ApiProperty() reason: string;
  @ApiProperty() extendedAt: string;
}

export class CallViewDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['draft', 'published', 'closed', 'cancelled'] }) status: string;
  @ApiProperty() programme: string;
  @ApiProperty() title: string;
  @ApiProperty() description: string;
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty() budgetMinor: number;
  @ApiProperty() committedMinor: number;
  @ApiProperty() remainingMinor: number;
  @ApiProperty() minAwardMinor: number;
  @ApiProperty() maxAwardMinor: number;
  @ApiProperty({ type: [String] }) eligibleCountries: string[];
  @ApiProperty() minPartners: number;
  @ApiProperty() reviewsRequired: number;
  @ApiProperty({ type: [ScoringCriterionDto] }) criteria: ScoringCriterionDto[];
  @ApiProperty() opensAt: string;
  @ApiProperty({ description: 'Current deadline, extensions included' }) closesAt: string;
  @ApiProperty({ type: [DeadlineExtensionDto] }) deadlineExtensions: DeadlineExtensionDto[];
  @ApiPropertyOptional({ nullable: true, type: String }) publishedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) closedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) cancelledAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Why it was closed early or cancelled' }) statusReason: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty({ description: 'Stream version this view reflects' }) version: number;
}

export class CallListDto {
  @ApiProperty({ type: [CallViewDto] }) items: CallViewDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toCallViewDto(call: CallView): CallViewDto {
  return {
    id: call.id,
    status: call.status,
    programme: call.programme,
    title: call.title,
    description: call.description,
    currency: call.currency,
    budgetMinor: call.budgetMinor,
    committedMinor: call.committedMinor,
    remainingMinor: call.budgetMinor - call.committedMinor,
    minAwardMinor: call.minAwardMinor,
    maxAwardMinor: call.maxAwardMinor,
    eligibleCountries: call.eligibleCountries,
    minPartners: call.minPartners,
    reviewsRequired: call.reviewsRequired,
    criteria: call.criteria,
    opensAt: call.opensAt.toISOString(),
    closesAt: call.closesAt.toISOString(),
    deadlineExtensions: call.deadlineExtensions,
    publishedAt: iso(call.publishedAt),
    closedAt: iso(call.closedAt),
    cancelledAt: iso(call.cancelledAt),
    statusReason: call.statusReason,
    createdAt: call.createdAt.toISOString(),
    updatedAt: call.updatedAt.toISOString(),
    version: call.version,
  };
}

/**
 * An answer that is already JSON text: returned by a `@Res({ passthrough: true })` handler, Nest's
 * express adapter sends a string with res.send, which keeps this Content-Type (the one res.json sets)
 * and counts Content-Length in bytes (UTF-8), as res.json does.
 */
export function jsonText(response: Response, json: string): string {
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  return json;
}
