import type { SealedPersonalField } from '@app/personal-data/sealed-personal-field';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../calls/call-view.entity';

/** numeric comes back from pg as a string; consensus scores have two decimals at most. */
const numericAsNumber = { to: (value: number | null) => value, from: (value: string | null) => (value === null ? null : Number(value)) };

export interface PartnerView {
  organisationId: string;
  role: string;
  /** invited: listed by the lead, not answered yet; accepted: a member of the network. */
  status: 'invited' | 'accepted';
  /** The terms version the partner last accepted (null while invited); submission needs the current one. */
  acceptedTermsVersion: number | null;
}

export interface BudgetLineView {
  label: string;
  amountMinor: number;
}

export interface EligibilityView {
  eligible: boolean;
  results: { rule: string; passed: boolean; note: string }[];
  screenedBy: string;
  screenedAt: string;
}

export interface ConflictView {
  reviewerId: string;
  /**
   * Personal data of the reviewer, as the log holds it: sealed under the reviewer's key (opened by
   * the read side, null once erased), or clear text if declared before 2026-12-07.
   */
  description: SealedPersonalField | string | null;
  declaredAt: string;
}

export interface ReviewView {
  reviewerId: string;
  scores: { criterionId: string; score: number; comment: string }[];
  weightedScore: number;
  recommendation: 'fund' | 'do-not-fund' | 'reserve';
  comment: string;
  submittedAt: string;
}

export interface ConsensusView {
  score: number;
  summary: string;
  /** The panel's score and comment per criterion (absent on consensus recorded before they were kept). */
  criteria?: { criterionId: string; score: number; comment: string }[];
  recordedBy: string;
  recordedAt: string;
}

export interface DecisionView {
  decision: 'award' | 'reject' | 'reserve';
  amountMinor?: number;
  grantId?: string;
  reasons: string;
  decidedBy: string;
  committee: string;
  decidedAt: string;
}

export interface UnfundedAwardView {
  grantId: string;
  amountMinor: number;
  remainingMinor: number;
  /** The call's refusal rule; absent on events recorded before it was kept. */
  reason?: string;
  recordedAt: string;
}

/**
 * The outcome of the standing award decision, as the proposal's own stream tells it: `pending` until
 * the award workflow reports back; `awarded` once the call committed the funds and the grant exists
 * (AwardFunded); `funds-unavailable` when the call refused the commitment (AwardFundsUnavailable).
 */
export type AwardView =
  | { status: 'pending' | 'awarded'; grantId: string; amountMinor: number; previousStatus: 'under-review' | 'reserved' }
  | {
      status: 'funds-unavailable';
      grantId: string;
      amountMinor: number;
      /** The call's refusal rule (null on events recorded before it was kept). */
      reason: string | null;
      /** What the call had left when it refused. */
      remainingMinor: number;
      recordedAt: string;
    };

/** The content fields a clarification answer changed. */
export interface RevisedFieldsView {
  title?: string;
  summary?: string;
  policyIssue?: string;
  requestedMinor?: number;
  budgetLines?: BudgetLineView[];
  durationMonths?: number;
}

export interface ClarificationView {
  requestId: string;
  questions: string[];
  requestedBy: string;
  requestedAt: string;
  answer: string | null;
  revisedFields: RevisedFieldsView | null;
  providedAt: string | null;
}

/** A redress request against a decision, and its outcome once a grant manager recorded it. */
export interface RedressView {
  requestId: string;
  organisationId: string;
  /**
   * Personal data of `organisationId`, kept as the log holds it: sealed under that organisation's
   * key (opened on read with its live key, so it reads null from the moment the key is destroyed),
   * or — filed before grounds were personal data — the clear text the log itself holds.
   */
  grounds: SealedPersonalField | string | null;
  requestedBy: string;
  windowEndsAt: string;
  requestedAt: string;
  outcome: 'upheld' | 'rejected' | null;
  reasons: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
}

export interface WithdrawalView {
  reason: string;
  withdrawnAt: string;
}

/** One row per proposal: the lists, the detail page, and the ranking per call. */
@Entity({ name: 'proposals' })
export class ProposalView {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'call_id' }) callId: string;
  @Column('text', { name: 'lead_organisation_id' }) leadOrganisationId: string;
  /** Every listed partner, invited or accepted. */
  @Column('jsonb') partners: PartnerView[];
  /**
   * The ACCEPTED partners' ids (every listed one once submitted), as an array column so "proposals
   * my organisation is in" is an indexed query: an invited organisation does not see the draft.
   */
  @Column('text', { name: 'partner_organisation_ids', array: true }) partnerOrganisationIds: string[];
  @Column('text') title: string;
  @Column('text') summary: string;
  @Column('text', { name: 'policy_issue' }) policyIssue: string;
  @Column('bigint', { name: 'requested_minor', transformer: bigintAsNumber }) requestedMinor: number;
  @Column('char', { length: 3 }) currency: string;
  @Column('jsonb', { name: 'budget_lines' }) budgetLines: BudgetLineView[];
  @Column('int', { name: 'duration_months' }) durationMonths: number;
  @Column('text') status: string;
  /** 1 when drafted, +1 per content change; the submitted version is the one frozen by the submission. */
  @Column('int', { name: 'content_version' }) contentVersion: number;
  /** What partners sign off: +1 whenever the budget or the partners change (as the decider counts). */
  @Column('int', { name: 'terms_version' }) termsVersion: number;
  @Column('int', { name: 'submitted_version', nullable: true }) submittedVersion: number | null;
  /** The terms version submitted: a later one (a clarification answer changed the budget) needs every partner's sign-off again. */
  @Column('int', { name: 'submitted_terms_version', nullable: true }) submittedTermsVersion: number | null;
  @Column('text', { name: 'content_hash', nullable: true }) contentHash: string | null;
  @Column('timestamptz', { name: 'submitted_at', nullable: true }) submittedAt: Date | null;
  @Column('jsonb', { nullable: true }) eligibility: EligibilityView | null;
  @Column('text', { name: 'assigned_reviewer_ids', array: true }) assignedReviewerIds: string[];
  @Column('text', { name: 'recused_reviewer_ids', array: true }) recusedReviewerIds: string[];
  @Column('jsonb') conflicts: ConflictView[];
  /** By reviewer id, as the proposal's state keeps them; who sees which is decided when reading (blind review). */
  @Column('jsonb') reviews: Record<string, ReviewView>;
  /** Reviews that count: those of reviewers who are not recused. */
  @Column('int', { name: 'review_count' }) reviewCount: number;
  @Column('numeric', { name: 'consensus_score', precision: 5, scale: 2, nullable: true, transformer: numericAsNumber }) consensusScore: number | null;
  @Column('jsonb', { nullable: true }) consensus: ConsensusView | null;
  /** The standing decision; an award whose funds were unavailable stays, with its outcome in `award`. */
  @Column('jsonb', { nullable: true }) decision: DecisionView | null;
  /** The outcome of the standing award decision; null when the standing decision is no award. */
  @Column('jsonb', { nullable: true }) award: AwardView | null;
  @Column('jsonb', { name: 'unfunded_awards' }) unfundedAwards: UnfundedAwardView[];
  @Column('jsonb') clarifications: ClarificationView[];
  @Column('jsonb', { name: 'redress_requests' }) redressRequests: RedressView[];
  @Column('jsonb', { nullable: true }) withdrawal: WithdrawalView | null;
  @Column('timestamptz', { name: 'drafted_at' }) draftedAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
  /** Stream version of the last event applied: makes the projection idempotent and lets clients wait for their write. */
  @Column('int') version: number;
}

/** One row per reviewer assignment: the reviewer's queue. */
@Entity({ name: 'proposal_reviewer_assignments' })
export class ReviewerAssignmentView {
  @PrimaryColumn('uuid', { name: 'proposal_id' }) proposalId: string;
  @PrimaryColumn('text', { name: 'reviewer_id' }) reviewerId: string;
  @Column('uuid', { name: 'call_id' }) callId: string;
  @Column('timestamptz', { name: 'assigned_at' }) assignedAt: Date;
  @Column('timestamptz', { name: 'recused_at', nullable: true }) recusedAt: Date | null;
  @Column('timestamptz', { name: 'review_submitted_at', nullable: true }) reviewSubmittedAt: Date | null;
}
