import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A partner's webhook subscription. Configuration, not a grant fact: it lives in a plain table,
 * not in the event log. The signing secret is stored sealed (AES-256-GCM) and never returned again.
 */
@Entity({ name: 'webhook_subscriptions' })
export class WebhookSubscription {
  @PrimaryColumn('uuid') id: string;
  /** Token subject of the partner (or admin) that created it. */
  @Column('text', { name: 'owner_id' }) ownerId: string;
  @Column('text') url: string;
  @Column('text', { name: 'event_types', array: true }) eventTypes: string[];
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { name: 'secret_sealed', select: false }) secretSealed: string;
  /** Events recorded before this instant are not delivered (the feed serves history). */
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'deleted_at', nullable: true }) deletedAt: Date | null;
}
