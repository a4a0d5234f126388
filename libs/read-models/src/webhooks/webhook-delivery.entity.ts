import { Column, Entity, PrimaryColumn } from 'typeorm';

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'dead';

/**
 * One public event to send to one subscription (unique per subscription and event, so fan-out is
 * idempotent). The body is queued with every organisation withheld, and shown as public or withheld
 * when it is sent (by the consent in force then): a retry sends the same bytes unless an
 * organisation's consent changed meanwhile. `status` is
 * `failed` while a failed delivery waits for its next attempt, `dead` once attempts are exhausted.
 */
@Entity({ name: 'webhook_deliveries' })
export class WebhookDelivery {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'subscription_id' }) subscriptionId: string;
  /** Public event id = Standard Webhooks message id (`webhook-id`), stable across retries. */
  @Column('text', { name: 'event_id' }) eventId: string;
  @Column('text', { name: 'event_type' }) eventType: string;
  /** Global log position: deliveries of a subscription go out in this order. */
  @Column('text') position: string;
  @Column('text') body: string;
  /** The organisations the body shows (internal ids), re-shown by their consent at each attempt. */
  @Column('text', { name: 'organisation_ids', array: true, default: () => "'{}'" }) organisationIds: string[];
  @Column('text') status: WebhookDeliveryStatus;
  @Column('int') attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  @Column('timestamptz', { name: 'last_attempt_at', nullable: true }) lastAttemptAt: Date | null;
  @Column('int', { name: 'last_status_code', nullable: true }) lastStatusCode: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  /** A sender holds the delivery until then (it is in flight); another process may take it after. */
  @Column('timestamptz', { name: 'lease_until', nullable: true }) leaseUntil: Date | null;
  @Column('text', { name: 'lease_owner', nullable: true }) leaseOwner: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
