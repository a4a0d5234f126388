import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Response } from 'express';
import type { CallView } from '@app/read-models/calls/call-view.entity';
import { callRecipientCeiling, RECIPIENT_CEILING_SOURCES, type RecipientCeilingSource } from '@app/application/calls/call-recipient-ceiling';
import type { RecipientCeilingPolicy } from '@app/domain/recipient';
import { ScoringCriterionDto } from './call.dto';

export class DeadlineExtensionDto {
  @ApiProperty() previousClosesAt: string;
  @ApiProperty() newClosesAt: string;
  @ApiProperty() reason: string;
  @ApiProperty() extendedAt: string;
}

export class RecipientCeilingDto {
  @ApiProperty({
    example: 6_000_000,
    description:
      'The most one organisation may be awarded across the programme (as lead or as partner, each counting the whole grant; per programme and currency), in minor units of `currency`: an award that would pass it is refused (422 recipient.ceiling.exceeded)',
  })
  amountMinor: number;
  @ApiProperty({ example: 'EUR', description: "ISO 4217: the call's currency, in which its awards are counted against the ceiling" })
  currency: string;
  @ApiProperty({
    enum: RECIPIENT_CEILING_SOURCES,
    example: 'default',
    description:
      "Where it comes from: `call`, the call's own `recipientCeilingMinor` (POST /calls); `programme`, the ceiling configured for the call's programme (RECIPIENT_CEILINGS); `default`, the configured default (RECIPIENT_CEILING_MINOR). " +
      'The configured ones are in RECIPIENT_CEILING_CURRENCY, which a call without its own ceiling is in (since 2026-12-07; one drafted before in another currency is held to the configured number in its own currency, and shows it so), and are read from the configuration as it is now, also with `asOf`.',
  })
  source: RecipientCeilingSource;
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
  @ApiProperty({ type: RecipientCeilingDto, description: "The ceiling per recipient that applies to the call's awards: the call's own, or the configured one" })
  recipientCeiling: RecipientCeilingDto;
}

export class CallListDto {
  @ApiProperty({ type: [CallViewDto] }) items: CallViewDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The call as its GET answers it; `policy`: the configured ceilings per recipient (APP_CONFIG.recipientCeiling). */
export function toCallViewDto(call: CallView, policy: RecipientCeilingPolicy): CallViewDto {
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
    // Last: the live GET writes every member before it in SQL, and this one after them (calls.controller.ts).
    recipientCeiling: callRecipientCeiling(call, policy),
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
