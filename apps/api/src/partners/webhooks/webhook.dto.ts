import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsPageLimit, IsPageOffset } from '../../http/validation';
import { PUBLIC_EVENT_TYPES } from '@app/application/public-events/public-events';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'dead'] as const;

export class CreateWebhookSubscriptionDto {
  @ApiProperty({
    example: 'https://partner.example.org/hooks/grant-ledger',
    description: 'http(s) URL; refused (400) when its host resolves to a loopback, private, link-local or other internal address',
  })
  @IsString() @IsNotEmpty() @MaxLength(2048)
  url: string;

  @ApiProperty({ example: ['grant.awarded', 'grant.disbursement-paid'], description: 'Public event types (GET /events/catalogue)', enum: PUBLIC_EVENT_TYPES, isArray: true })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(50) @IsIn(PUBLIC_EVENT_TYPES as string[], { each: true })
  eventTypes: string[];

  @ApiPropertyOptional({ example: 'Donor reporting system (production)' }) @IsOptional() @IsString() @MaxLength(500)
  description?: string;
}

export class ListDeliveriesQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES }) @IsOptional() @IsIn(DELIVERY_STATUSES)
  status?: (typeof DELIVERY_STATUSES)[number];
  @ApiPropertyOptional({ example: 50, description: '1..200' }) @IsOptional() @IsPageLimit(200)
  limit?: number;
  @ApiPropertyOptional({ example: 0, description: '0..2^53-1' }) @IsOptional() @IsPageOffset()
  offset?: number;
}
