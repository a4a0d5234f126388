import { Column, Entity, PrimaryColumn } from 'typeorm';

/** bigint comes back from pg as a string; minor units stay far below 2^53, so a number is exact. */
export const bigintAsNumber = { to: (value: number) => value, from: (value: string | null) => (value === null ? null : Number(value)) };

@Entity({ name: 'calls' })
export class CallView {
  @PrimaryColumn('uuid') id: string;
  @Column('text') status: string;
  @Column('text') programme: string;
  @Column('text') title: string;
  @Column('text') description: string;
  @Column('char', { length: 3 }) currency: string;
  @Column('bigint', { name: 'budget_minor', transformer: bigintAsNumber }) budgetMinor: number;
  @Column('bigint', { name: 'min_award_minor', transformer: bigintAsNumber }) minAwardMinor: number;
  @Column('bigint', { name: 'max_award_minor', transformer: bigintAsNumber }) maxAwardMinor: number;
  @Column('bigint', { name: 'committed_minor', transformer: bigintAsNumber }) committedMinor: number;
  /** The call's own ceiling per recipient (minor units of its currency); null when it states none and the configured one applies. */
  @Column('bigint', { name: 'recipient_ceiling_minor', nullable: true, transformer: bigintAsNumber }) recipientCeilingMinor: number | null;
  @Column('text', { name: 'eligible_countries', array: true }) eligibleCountries: string[];
  @Column('int', { name: 'min_partners' }) minPartners: number;
  @Column('int', { name: 'reviews_required' }) reviewsRequired: number;
  @Column('jsonb') criteria: { id: string; name: string; description?: string; weight: number; maxScore: number }[];
  @Column('timestamptz', { name: 'opens_at' }) opensAt: Date;
  @Column('timestamptz', { name: 'closes_at' }) closesAt: Date;
  @Column('jsonb', { name: 'deadline_extensions' }) deadlineExtensions: { previousClosesAt: string; newClosesAt: string; reason: string; extendedAt: string }[];
  @Column('timestamptz', { name: 'published_at', nullable: true }) publishedAt: Date | null;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt: Date | null;
  @Column('timestamptz', { name: 'cancelled_at', nullable: true }) cancelledAt: Date | null;
  @Column('text', { name: 'status_reason', nullable: true }) statusReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /** Stream version of the last event applied: makes the projection idempotent and lets clients wait for their write. */
  @Column('int') version: number;
}
