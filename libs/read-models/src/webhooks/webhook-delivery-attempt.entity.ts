import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One HTTP attempt of a delivery, kept for the partner's troubleshooting. */
@Entity({ name: 'webhook_delivery_attempts' })
export class WebhookDeliveryAttempt {
  @PrimaryColumn('bigint') id: string;
  @Column('uuid', { name: 'delivery_id' }) deliveryId: string;
  @Column('timestamptz', { name: 'attempted_at' }) attemptedAt: Date;
  @Column('int', { name: 'status_code', nullable: true }) statusCode: number | null;
  @Column('text', { nullable: true }) error: string | null;
  @Column('int', { name: 'duration_ms' }) durationMs: number;
}
