import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsPageLimit } from '../../http/validation';
import { PUBLIC_EVENT_TYPES } from '@app/application/public-events';

const TYPES_DOC = `Comma-separated public types, e.g. "grant.awarded,grant.disbursement-paid" (default: all). Known: ${PUBLIC_EVENT_TYPES.join(', ')}`;

export class FeedStreamQuery {
  @ApiPropertyOptional({ description: 'Cursor of the last event you processed (the `Last-Event-ID` header wins when both are given). Omit to start from the beginning.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  after?: string;

  @ApiPropertyOptional({ description: TYPES_DOC, example: 'grant.awarded,grant.disbursement-paid' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  types?: string;
}

export class FeedQuery extends FeedStreamQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @IsPageLimit(500)
  limit?: number;
}

export class PublicEventDto {
  @ApiProperty({ description: 'Event id; the same in the feed, the stream and webhooks: deduplicate on it' }) id: string;
  @ApiProperty({ example: 'grant.awarded' }) type: string;
  @ApiProperty({ description: 'Version of the public schema of `type` (see GET /events/catalogue)', example: 1 }) version: number;
  @ApiProperty({ example: '2027-05-03T09:00:00.000Z' }) occurredAt: string;
  @ApiProperty({ description: 'Opaque cursor: resume with `after=<cursor>`' }) cursor: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Payload as the type\'s JSON Schema describes it' }) data: Record<string, unknown>;
}

export class FeedPageDto {
  @ApiProperty({ type: [PublicEventDto] }) items: PublicEventDto[];
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Pass as `after` to get the next page. It also moves past events your type filter skipped; null only while the log holds no public event.',
  })
  next: string | null;
}
