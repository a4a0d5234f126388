import type { GrantState } from '@app/domain/grant';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../calls/call-view.entity';

export interface GrantAmendmentView {
  amendmentId: string;
  kind: string;
  reason: string;
  approvedBy: string;
  amendedAt: string;
  previousAmountMinor?: number;
  newAmountMinor?: number;
  previousPeriodEnd?: string;
  newPeriodEnd?: string;
  budgetReallocation?: { budgetLine: string; changeMinor: number }[];
}

/**
 * The `grants` portfolio: one row per grant. Scalar columns are for filtering and sorting; `state`
 * holds the grant as the domain folds it (terms, tranches, reports), because the projection moves
 * it with the domain's own `evolve`. No personal data: signatories are not kept here.
 */
@Entity({ name: 'grants' })
export class GrantView {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'proposal_id' }) proposalId: string;
  @Column('uuid', { name: 'call_id' }) callId: string;
  @Column('uuid', { name: 'grantee_organisation_id' }) granteeOrganisationId: string;
  @Column('uuid', { name: 'partner_organisation_ids', array: true }) partnerOrganisationIds: string[];
  @Column('char', { length: 3 }) currency: string;
  @Column('text') status: string;
  @Column('bigint', { name: 'amount_minor', transformer: bigintAsNumber }) amountMinor: number;
  @Column('bigint', { name: 'awarded_amount_minor', transformer: bigintAsNumber }) awardedAmountMinor: number;
  @Column('bigint', { name: 'scheduled_minor', transformer: bigintAsNumber }) scheduledMinor: number;
  @Column('bigint', { name: 'paid_minor', transformer: bigintAsNumber }) paidMinor: number;
  @Column('bigint', { name: 'remaining_minor', transformer: bigintAsNumber }) remainingMinor: number;
  @Column('bigint', { name: 'unspent_minor', nullable: true, transformer: bigintAsNumber }) unspentMinor: number | null;
  @Column('date', { name: 'period_start' }) periodStart: string;
  @Column('date', { name: 'period_end' }) periodEnd: string;
  /** Earliest due date of a report not yet accepted nor waived (submitted ones included). */
  @Column('date', { name: 'next_report_due', nullable: true }) nextReportDue: string | null;
  /** Earliest due date of a report the grantee still owes (scheduled or sent back); overdue once before today. */
  @Column('date', { name: 'next_report_owed', nullable: true }) nextReportOwed: string | null;
  @Column('timestamptz', { name: 'agreement_signed_at', nullable: true }) agreementSignedAt: Date | null;
  @Column('text', { name: 'status_reason', nullable: true }) statusReason: string | null;
  @Column('jsonb') amendments: GrantAmendmentView[];
  @Column('jsonb') state: GrantState;
  @Column('timestamptz', { name: 'awarded_at' }) awardedAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /** Stream version of the last event applied: makes the projection idempotent and lets clients wait for their write. */
  @Column('int') version: number;
}
