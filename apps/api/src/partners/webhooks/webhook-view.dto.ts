import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DELIVERY_STATUSES } from './webhook.dto';

export class WebhookSubscriptionDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'Token subject of the partner that owns it' }) ownerId: string;
  @ApiProperty() url: string;
  @ApiProperty({ type: [String] }) eventTypes: string[];
  @ApiPropertyOptional({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ description: 'Events recorded from this instant on are delivered' }) createdAt: string;
}

export class CreatedWebhookSubscriptionDto extends WebhookSubscriptionDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'Signing secret (Standard Webhooks). Shown only in this response: store it now.',
  })
  secret: string;
}

export class WebhookSubscriptionListDto {
  @ApiProperty({ type: [WebhookSubscriptionDto] }) items: WebhookSubscriptionDto[];
}

export class WebhookDeliveryDto {
  @ApiProperty() id: string;
  @ApiProperty() subscriptionId: string;
  @ApiProperty({ description: 'Public event id, sent as `webhook-id`' }) eventId: string;
  @ApiProperty({ example: 'grant.awarded' }) eventType: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'failed = waiting for a retry; dead = attempts exhausted' }) status: string;
  @ApiProperty() attempts: number;
  @ApiPropertyOptional({ type: Number, nullable: true }) lastStatusCode: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastError: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastAttemptAt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) nextAttemptAt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) deliveredAt: string | null;
  @ApiProperty() createdAt: string;
}

export class WebhookDeliveryAttemptDto {
  @ApiProperty() attemptedAt: string;
  @ApiPropertyOptional({ type: Number, nullable: true }) statusCode: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error: string | null;
  @ApiProperty() durationMs: number;
}

export class WebhookDeliveryDetailDto extends WebhookDeliveryDto {
  @ApiProperty({ type: [WebhookDeliveryAttemptDto] }) attemptLog: WebhookDeliveryAttemptDto[];
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) items: WebhookDeliveryDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}
