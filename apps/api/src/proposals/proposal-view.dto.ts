import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { listedOrganisationName } from '@app/application/organisations/organisation-access';
import type { ProposalActor, ProposalRelation } from '@app/application/proposals/proposal-access';
import type { ListNames, OrganisationNameScope } from '@app/read-models/lists/list-search';
import { initialProposalState, visibleReviews } from '@app/domain/proposal';
import type { ProposalView } from '@app/read-models/proposals/proposal-view.entity';
import type { RankedProposal, ReviewerQueueItem } from '@app/read-models/proposals/proposals.query';
import { CommandResultDto } from '../http/command-result.dto';
import { LIST_NAME_DESCRIPTION } from '../http/list-search.dto';
import type { CsvColumn } from '../http/csv';
import { BudgetLineDto, EligibilityResultDto, FUNDING_DECISIONS, PartnerDto, PROPOSAL_STATUSES, REVIEW_RECOMMENDATIONS } from './proposal.dto';

export class ClarificationRequestedResultDto extends CommandResultDto {
  @ApiProperty({ example: '3e9c1b2a-5d4f-4e6a-8b7c-9d0e1f2a3b4c', description: 'Answer it with POST /proposals/:id/clarifications' }) requestId: string;
}

export const AWARD_STATUSES = ['pending', 'awarded', 'funds-unavailable'] as const;
export type AwardStatus = (typeof AWARD_STATUSES)[number];

export class PendingAwardDto {
  @ApiProperty({ enum: ['pending'], description: 'The grant does not exist yet: the call must first commit the funds. Read GET /proposals/:id for the outcome.' })
  status: 'pending';
  @ApiProperty({ example: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', description: 'The grant the award process will create if the funds are committed' })
  grantId: string;
}

export class DecisionResultDto extends CommandResultDto {
  @ApiPropertyOptional({ type: PendingAwardDto, description: 'Award only: the award is pending until the call commits its funds' }) award?: PendingAwardDto;
}

/** The outcome of the standing award decision: pending → awarded (the grant exists) or funds-unavailable. */
export class AwardOutcomeDto {
  @ApiProperty({ enum: AWARD_STATUSES }) status: AwardStatus;
  @ApiProperty({ description: 'The grant created (awarded), to be created (pending), or never created (funds-unavailable)' }) grantId: string;
  @ApiProperty() amountMinor: number;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'funds-unavailable only: the rule the call refused the commitment with, e.g. call.budget.exceeded (null if recorded before reasons were kept)', example: 'call.budget.exceeded' })
  reason?: string | null;
  @ApiPropertyOptional({ description: 'funds-unavailable only: what the call had left when it refused' }) remainingMinor?: number;
  @ApiPropertyOptional({ description: 'funds-unavailable only' }) recordedAt?: string;
}

export class SubmissionDto {
  @ApiProperty({ description: 'Content version frozen by the submission' }) version: number;
  @ApiProperty({ description: 'sha256 (hex) of the canonical JSON of the submitted content' }) contentHash: string;
  @ApiProperty() submittedAt: string;
}

export class DecisionSummaryDto {
  @ApiProperty({ enum: FUNDING_DECISIONS }) decision: string;
  @ApiPropertyOptional() amountMinor?: number;
  @ApiPropertyOptional() grantId?: string;
  @ApiProperty() decidedAt: string;
}

export class DecisionDto extends DecisionSummaryDto {
  @ApiProperty() reasons: string;
  @ApiProperty({ type: String, nullable: true, description: "Who recorded the decision. The programme's own record: the programme team and auditors only (null for applicants and reviewers: staff are not traced outside the programme)" }) decidedBy: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The committee, as recorded. The programme's own record: the programme team and auditors only (null for applicants and reviewers: staff are not traced outside the programme)" }) committee: string | null;
}

export const PARTNER_STATUSES = ['invited', 'accepted'] as const;

export class PartnerViewDto extends PartnerDto {
  @ApiProperty({ enum: PARTNER_STATUSES, description: 'invited: not answered yet; accepted: a member of the network' }) status: (typeof PARTNER_STATUSES)[number];
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'The terms version the partner last accepted; submission needs the current one (termsVersion)' })
  acceptedTermsVersion: number | null;
}

export class ProposalSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty() callId: string;
  @ApiProperty() leadOrganisationId: string;
  @ApiProperty({ type: [PartnerViewDto], description: 'Invited and accepted partners' }) partners: PartnerViewDto[];
  @ApiProperty() title: string;
  @ApiProperty() policyIssue: string;
  @ApiProperty() requestedMinor: number;
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty({ enum: PROPOSAL_STATUSES }) status: string;
  @ApiProperty({ description: 'Current content version (1 when drafted, +1 per change)' }) contentVersion: number;
  @ApiProperty({ description: 'What partners sign off: +1 whenever the budget or the partners change' }) termsVersion: number;
  @ApiPropertyOptional({ type: SubmissionDto, nullable: true }) submission: SubmissionDto | null;
  @ApiPropertyOptional({ type: Boolean, nullable: true, description: 'null until screened' }) eligible: boolean | null;
  @ApiProperty({ description: 'Reviewers assigned (recused ones included)' }) reviewersAssigned: number;
  @ApiProperty() reviewersRecused: number;
  @ApiProperty({ description: 'Reviews that count (of reviewers not recused)' }) reviewCount: number;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Programme team and auditors only' }) consensusScore: number | null;
  @ApiPropertyOptional({ type: DecisionSummaryDto, nullable: true }) decision: DecisionSummaryDto | null;
  @ApiProperty() draftedAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty({ description: 'Stream version this view reflects' }) version: number;
}

export class PartnerListItemDto extends PartnerViewDto {
  @ApiProperty({ type: String, nullable: true, example: "Hebron Tenants' Committee", description: LIST_NAME_DESCRIPTION }) organisationName: string | null;
}

/** A proposal in the list: its summary with the names beside the ids. */
export class ProposalListItemDto extends ProposalSummaryDto {
  @ApiProperty({ type: [PartnerListItemDto], description: 'Invited and accepted partners, with their names' }) declare partners: PartnerListItemDto[];
  @ApiProperty({ type: String, nullable: true, example: 'Beirut Housing Rights Collective', description: LIST_NAME_DESCRIPTION }) leadOrganisationName: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'LB', description: "The lead organisation's country (ISO 3166-1 alpha-2); null when its name is withheld from you" })
  leadOrganisationCountry: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'Small grants for issue-based networks' }) callTitle: string | null;
}

export class ProposalListDto {
  @ApiProperty({ type: [ProposalListItemDto] }) items: ProposalListItemDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export class EligibilityDto {
  @ApiProperty() eligible: boolean;
  @ApiProperty({ type: [EligibilityResultDto] }) results: EligibilityResultDto[];
  @ApiProperty({ type: String, nullable: true, description: "Who screened. The programme's own record: the programme team and auditors only (null for applicants and reviewers: staff are not traced outside the programme)" }) screenedBy: string | null;
  @ApiProperty() screenedAt: string;
}

export class ReviewersDto {
  @ApiProperty({ type: [String] }) assigned: string[];
  @ApiProperty({ type: [String] }) recused: string[];
}

export class ConflictDto {
  @ApiProperty() reviewerId: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "What the reviewer declared: personal data of the reviewer, stored encrypted with the reviewer's key. null once that reviewer's personal data was erased (DELETE /admin/reviewer-contacts/:reviewerId). Declarations made before 2026-12-07 were stored in clear and still read as written.",
  })
  description: string | null;
  @ApiProperty() declaredAt: string;
}

export class ScoreDto {
  @ApiProperty() criterionId: string;
  @ApiProperty() score: number;
  @ApiProperty() comment: string;
}

export class ReviewDto {
  @ApiProperty() reviewerId: string;
  @ApiProperty({ type: [ScoreDto] }) scores: ScoreDto[];
  @ApiProperty({ description: '0..100, weighted by the call criteria' }) weightedScore: number;
  @ApiProperty({ enum: REVIEW_RECOMMENDATIONS }) recommendation: string;
  @ApiProperty() comment: string;
  @ApiProperty() submittedAt: string;
  @ApiProperty({ description: 'The reviewer was recused later: kept on record, not counted' }) recused: boolean;
}

export class ConsensusCriterionDto {
  @ApiProperty() criterionId: string;
  @ApiProperty() score: number;
  @ApiProperty() comment: string;
}

export class ConsensusDto {
  @ApiProperty() score: number;
  @ApiProperty() summary: string;
  @ApiPropertyOptional({ type: [ConsensusCriterionDto], description: 'Absent on consensus recorded before it was kept per criterion' }) criteria?: ConsensusCriterionDto[];
  @ApiProperty() recordedBy: string;
  @ApiProperty() recordedAt: string;
}

export class UnfundedAwardDto {
  @ApiProperty() grantId: string;
  @ApiProperty() amountMinor: number;
  @ApiProperty() remainingMinor: number;
  @ApiPropertyOptional({ description: "The call's refusal rule (absent if recorded before reasons were kept)" }) reason?: string;
  @ApiProperty() recordedAt: string;
}

export class ClarificationDto {
  @ApiProperty() requestId: string;
  @ApiProperty({ type: [String] }) questions: string[];
  @ApiProperty({ type: String, nullable: true, description: "Who asked. The programme's own record: the programme team and auditors only (null for applicants and reviewers: staff are not traced outside the programme)" }) requestedBy: string | null;
  @ApiProperty() requestedAt: string;
  @ApiPropertyOptional({ type: String, nullable: true }) answer: string | null;
  @ApiPropertyOptional({ type: Object, nullable: true }) revisedFields: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: String, nullable: true }) providedAt: string | null;
}

export class WithdrawalDto {
  @ApiProperty() reason: string;
  @ApiProperty() withdrawnAt: string;
}

/**
 * One proposal as the caller may see it. Reviews follow blind review (a reviewer sees others'
 * reviews only after submitting their own); reviewer identities, conflicts and the consensus are
 * for the programme team and auditors.
 */
export class ProposalDetailDto extends ProposalSummaryDto {
  @ApiProperty() summary: string;
  @ApiProperty({ type: [BudgetLineDto] }) budgetLines: BudgetLineDto[];
  @ApiProperty() durationMonths: number;
  @ApiPropertyOptional({ type: EligibilityDto, nullable: true }) eligibility: EligibilityDto | null;
  @ApiPropertyOptional({ type: ReviewersDto, nullable: true, description: 'Programme team and auditors only' }) reviewers: ReviewersDto | null;
  @ApiPropertyOptional({ type: [ConflictDto], nullable: true, description: 'Programme team and auditors only' }) conflicts: ConflictDto[] | null;
  @ApiProperty({ type: [ReviewDto], description: 'The reviews visible to the caller' }) reviews: ReviewDto[];
  @ApiPropertyOptional({ type: ConsensusDto, nullable: true }) consensus: ConsensusDto | null;
  @ApiPropertyOptional({ type: DecisionDto, nullable: true }) declare decision: DecisionDto | null;
  @ApiPropertyOptional({ type: AwardOutcomeDto, nullable: true, description: 'The outcome of the standing award decision; null when it is no award' }) award: AwardOutcomeDto | null;
  @ApiProperty({ type: [UnfundedAwardDto] }) unfundedAwards: UnfundedAwardDto[];
  @ApiProperty({ type: [ClarificationDto] }) clarifications: ClarificationDto[];
  @ApiPropertyOptional({ type: WithdrawalDto, nullable: true }) withdrawal: WithdrawalDto | null;
}

export class RankedProposalDto {
  @ApiProperty({ description: 'Equal scores share a rank (1, 2, 2, 4)' }) rank: number;
  @ApiProperty() proposalId: string;
  @ApiProperty() title: string;
  @ApiProperty() leadOrganisationId: string;
  @ApiProperty() consensusScore: number;
  @ApiProperty() reviewCount: number;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Mean weighted score of the counted reviews' }) averageReviewScore: number | null;
  @ApiProperty() requestedMinor: number;
  @ApiProperty() currency: string;
  @ApiProperty({ enum: PROPOSAL_STATUSES }) status: string;
  @ApiPropertyOptional({ type: DecisionSummaryDto, nullable: true }) decision: DecisionSummaryDto | null;
}

export class RankingDto {
  @ApiProperty() callId: string;
  @ApiProperty({ type: [RankedProposalDto] }) items: RankedProposalDto[];
}

export class ReviewerQueueItemDto {
  @ApiProperty() proposalId: string;
  @ApiProperty() callId: string;
  @ApiProperty() title: string;
  @ApiProperty() policyIssue: string;
  @ApiProperty({ enum: PROPOSAL_STATUSES }) status: string;
  @ApiProperty() assignedAt: string;
  @ApiProperty() reviewSubmitted: boolean;
  @ApiPropertyOptional({ type: String, nullable: true }) reviewSubmittedAt: string | null;
}

export class ReviewerQueueDto {
  @ApiProperty({ type: [ReviewerQueueItemDto] }) items: ReviewerQueueItemDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function decisionSummary(view: ProposalView): DecisionSummaryDto | null {
  if (!view.decision) return null;
  const { decision, amountMinor, grantId, decidedAt } = view.decision;
  return { decision, ...(amountMinor !== undefined ? { amountMinor } : {}), ...(grantId !== undefined ? { grantId } : {}), decidedAt };
}

/** The summary with the names beside its ids, as the caller may read them (organisation-access.ts). */
export function toProposalListItemDto(view: ProposalView, relation: ProposalRelation, names: ListNames, scope: OrganisationNameScope): ProposalListItemDto {
  const summary = toProposalSummaryDto(view, relation);
  const lead = listedOrganisationName(scope, view.leadOrganisationId, names.organisations);
  return {
    ...summary,
    partners: summary.partners.map((partner) => ({ ...partner, organisationName: listedOrganisationName(scope, partner.organisationId, names.organisations).name })),
    leadOrganisationName: lead.name,
    leadOrganisationCountry: lead.country,
    callTitle: names.callTitles.get(view.callId) ?? null,
  };
}

/** The columns of GET /proposals as CSV: the list item's, flat; partners in one cell each for ids and names, separated by "; ". */
export const PROPOSAL_CSV_COLUMNS: readonly CsvColumn<ProposalListItemDto>[] = [
  { header: 'id', value: (p) => p.id },
  { header: 'title', value: (p) => p.title },
  { header: 'status', value: (p) => p.status },
  { header: 'callId', value: (p) => p.callId },
  { header: 'callTitle', value: (p) => p.callTitle },
  { header: 'leadOrganisationId', value: (p) => p.leadOrganisationId },
  { header: 'leadOrganisationName', value: (p) => p.leadOrganisationName },
  { header: 'leadOrganisationCountry', value: (p) => p.leadOrganisationCountry },
  { header: 'partnerOrganisationIds', value: (p) => p.partners.map((partner) => partner.organisationId).join('; ') },
  { header: 'partnerOrganisationNames', value: (p) => p.partners.map((partner) => partner.organisationName ?? '').join('; ') },
  { header: 'policyIssue', value: (p) => p.policyIssue },
  { header: 'requestedMinor', value: (p) => p.requestedMinor },
  { header: 'currency', value: (p) => p.currency },
  { header: 'submittedAt', value: (p) => p.submission?.submittedAt },
  { header: 'eligible', value: (p) => p.eligible },
  { header: 'reviewCount', value: (p) => p.reviewCount },
  { header: 'consensusScore', value: (p) => p.consensusScore },
  { header: 'decision', value: (p) => p.decision?.decision },
  { header: 'decisionAmountMinor', value: (p) => p.decision?.amountMinor },
  { header: 'draftedAt', value: (p) => p.draftedAt },
  { header: 'updatedAt', value: (p) => p.updatedAt },
];

/** What `Accept: text/csv` answers, for the OpenAPI document (one proposal, its partner's name quoted). */
export const PROPOSAL_CSV_EXAMPLE =
  PROPOSAL_CSV_COLUMNS.map((column) => column.header).join(',') +
  '\r\n' +
  '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b,Secure tenure for refugee and migrant households,submitted,5b4f2a11-7d9b-4f38-9c55-1b0e6f3c0a3e,Small grants for issue-based networks,' +
  '8a1d2c3e-4b5f-4a6b-9c7d-0e1f2a3b4c5d,Beirut Housing Rights Collective,LB,2f6e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f,"Hebron Tenants\' Committee, ""Al-Khalil""",housing rights for minorities,' +
  '5000000,EUR,2027-02-01T10:00:00.000Z,,0,,,,2027-01-20T09:00:00.000Z,2027-02-01T10:00:00.000Z\r\n';

export function toProposalSummaryDto(view: ProposalView, relation: ProposalRelation): ProposalSummaryDto {
  return {
    id: view.id,
    callId: view.callId,
    leadOrganisationId: view.leadOrganisationId,
    partners: view.partners.map(({ organisationId, role, status, acceptedTermsVersion }) => ({ organisationId, role, status, acceptedTermsVersion })),
    title: view.title,
    policyIssue: view.policyIssue,
    requestedMinor: view.requestedMinor,
    currency: view.currency,
    status: view.status,
    contentVersion: view.contentVersion,
    termsVersion: view.termsVersion,
    submission:
      view.submittedVersion !== null && view.contentHash !== null && view.submittedAt !== null
        ? { version: view.submittedVersion, contentHash: view.contentHash, submittedAt: view.submittedAt.toISOString() }
        : null,
    eligible: view.eligibility ? view.eligibility.eligible : null,
    reviewersAssigned: view.assignedReviewerIds.length,
    reviewersRecused: view.recusedReviewerIds.length,
    reviewCount: view.reviewCount,
    consensusScore: seesInternals(relation) ? view.consensusScore : null,
    decision: decisionSummary(view),
    draftedAt: view.draftedAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
    version: view.version,
  };
}

export function toAwardOutcomeDto(award: ProposalView['award']): AwardOutcomeDto | null {
  if (!award) return null;
  if (award.status !== 'funds-unavailable') return { status: award.status, grantId: award.grantId, amountMinor: award.amountMinor };
  const { grantId, amountMinor, reason, remainingMinor, recordedAt } = award;
  return { status: 'funds-unavailable', grantId, amountMinor, reason, remainingMinor, recordedAt };
}

/** Who sees the programme's internals of a proposal (reviewer identities, conflicts, the consensus, who decided). */
export const seesInternals = (relation: ProposalRelation): boolean => relation === 'programme' || relation === 'auditor';

/**
 * `conflictDescriptions`: the text of each of the row's conflict declarations, opened for this
 * answer (ProposalPersonalTexts), when the caller sees internals; null (erased) otherwise.
 */
export function toProposalDetailDto(view: ProposalView, relation: ProposalRelation, actor: ProposalActor, conflictDescriptions: readonly (string | null)[] = []): ProposalDetailDto {
  const internals = seesInternals(relation);
  // The domain's own blind-review rule, applied to the reviews the read model keeps.
  const reviews = visibleReviews({ ...initialProposalState, reviews: view.reviews, recusedReviewerIds: view.recusedReviewerIds }, { id: actor.id, role: actor.role });
  return {
    ...toProposalSummaryDto(view, relation),
    summary: view.summary,
    budgetLines: view.budgetLines,
    durationMonths: view.durationMonths,
    // Who on the programme's staff screened, asked, decided, and the committee: theirs to know (and
    // the auditors'), never the applicants' or the reviewers' (README, Security: who is at risk).
    eligibility: view.eligibility && (internals ? view.eligibility : { ...view.eligibility, screenedBy: null }),
    reviewers: internals ? { assigned: view.assignedReviewerIds, recused: view.recusedReviewerIds } : null,
    conflicts: internals ? view.conflicts.map((conflict, i) => ({ ...conflict, description: conflictDescriptions[i] ?? null })) : null,
    reviews: reviews.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt) || a.reviewerId.localeCompare(b.reviewerId)),
    consensus: internals ? view.consensus : null,
    decision: view.decision
      ? { ...decisionSummary(view)!, reasons: view.decision.reasons, decidedBy: internals ? view.decision.decidedBy : null, committee: internals ? view.decision.committee : null }
      : null,
    award: toAwardOutcomeDto(view.award),
    unfundedAwards: internals ? view.unfundedAwards : [],
    clarifications: view.clarifications.map((c) => ({ ...c, requestedBy: internals ? c.requestedBy : null, revisedFields: c.revisedFields ? { ...c.revisedFields } : null })),
    withdrawal: view.withdrawal,
  };
}

export function toRankedProposalDto({ rank, proposal }: RankedProposal): RankedProposalDto {
  const counted = Object.values(proposal.reviews).filter((r) => !proposal.recusedReviewerIds.includes(r.reviewerId));
  const average = counted.length ? Math.round((counted.reduce((sum, r) => sum + r.weightedScore, 0) / counted.length) * 100) / 100 : null;
  return {
    rank,
    proposalId: proposal.id,
    title: proposal.title,
    leadOrganisationId: proposal.leadOrganisationId,
    consensusScore: proposal.consensusScore ?? 0,
    reviewCount: proposal.reviewCount,
    averageReviewScore: average,
    requestedMinor: proposal.requestedMinor,
    currency: proposal.currency,
    status: proposal.status,
    decision: decisionSummary(proposal),
  };
}

export function toReviewerQueueItemDto({ assignment, proposal }: ReviewerQueueItem): ReviewerQueueItemDto {
  return {
    proposalId: proposal.id,
    callId: proposal.callId,
    title: proposal.title,
    policyIssue: proposal.policyIssue,
    status: proposal.status,
    assignedAt: assignment.assignedAt.toISOString(),
    reviewSubmitted: assignment.reviewSubmittedAt !== null,
    reviewSubmittedAt: iso(assignment.reviewSubmittedAt),
  };
}

/** What an invited (or accepted) partner is asked to agree to: who invites it, for what, and the terms. Not the other partners. */
export class PartnerInvitationDto {
  @ApiProperty() proposalId: string;
  @ApiProperty() callId: string;
  @ApiProperty({ description: 'The organisation that invites yours' }) leadOrganisationId: string;
  @ApiProperty() title: string;
  @ApiProperty() policyIssue: string;
  @ApiProperty({ description: "Your organisation's role in the network" }) role: string;
  @ApiProperty({ enum: PARTNER_STATUSES }) status: (typeof PARTNER_STATUSES)[number];
  @ApiPropertyOptional({ type: Number, nullable: true }) acceptedTermsVersion: number | null;
  @ApiProperty({ description: 'The current terms version: accept it with POST /proposals/:id/partners/:orgId/acceptance' }) termsVersion: number;
  @ApiProperty({ description: "Your organisation has not signed off the current terms: before submission, or before an award when a clarification answer changed the submitted budget" })
  signOffNeeded: boolean;
  @ApiProperty() requestedMinor: number;
  @ApiProperty() currency: string;
  @ApiProperty({ type: [BudgetLineDto] }) budgetLines: BudgetLineDto[];
  @ApiProperty() durationMonths: number;
  @ApiProperty({ description: 'Stream version this view reflects' }) version: number;
}

export class PartnerInvitationListDto {
  @ApiProperty({ type: [PartnerInvitationDto] }) items: PartnerInvitationDto[];
}

export function toPartnerInvitationDto(view: ProposalView, organisationId: string): PartnerInvitationDto | null {
  const partner = view.partners.find((p) => p.organisationId === organisationId);
  if (!partner) return null;
  return {
    proposalId: view.id,
    callId: view.callId,
    leadOrganisationId: view.leadOrganisationId,
    title: view.title,
    policyIssue: view.policyIssue,
    role: partner.role,
    status: partner.status,
    acceptedTermsVersion: partner.acceptedTermsVersion,
    termsVersion: view.termsVersion,
    signOffNeeded: partner.acceptedTermsVersion !== view.termsVersion,
    requestedMinor: view.requestedMinor,
    currency: view.currency,
    budgetLines: view.budgetLines.map(({ label, amountMinor }) => ({ label, amountMinor })),
    durationMonths: view.durationMonths,
    version: view.version,
  };
}

export class RedressRequestedResultDto extends CommandResultDto {
  @ApiProperty({ example: '3e9c1b2a-5d4f-4e6a-8b7c-9d0e1f2a3b4c', description: 'A grant manager records its outcome with POST /proposals/:id/redress-requests/:requestId/outcome' })
  requestId: string;
}

export class RedressRequestDto {
  @ApiProperty() requestId: string;
  @ApiProperty({ description: 'The organisation that asked (the lead or an accepted partner)' }) organisationId: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "Why the procedure should be reviewed: personal data of the organisation that asked, stored encrypted with its key. null once that organisation's personal data was erased (POST /organisations/:id/erasure). Requests filed before grounds were treated as personal data were stored in clear and still read as written, also after an erasure.",
  })
  grounds: string | null;
  @ApiProperty() requestedAt: string;
  @ApiProperty() windowEndsAt: string;
  @ApiPropertyOptional({ enum: ['upheld', 'rejected'], nullable: true, description: 'null while open' }) outcome: 'upheld' | 'rejected' | null;
  @ApiPropertyOptional({ type: String, nullable: true }) reasons: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) decidedAt: string | null;
}

export class EvaluationDecisionDto {
  @ApiProperty({ enum: FUNDING_DECISIONS }) decision: string;
  @ApiPropertyOptional() amountMinor?: number;
  @ApiProperty() reasons: string;
  @ApiProperty() decidedAt: string;
}

export class EvaluationConsensusDto {
  @ApiProperty() score: number;
  @ApiProperty() summary: string;
  @ApiProperty({ type: [ConsensusCriterionDto], description: 'Empty when the consensus was recorded without scores per criterion' }) criteria: ConsensusCriterionDto[];
}

export class RedressWindowDto {
  @ApiProperty({ description: 'REDRESS_WINDOW_DAYS (default 30)' }) days: number;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Until when a redress request against the standing decision can be filed; null when none can (no rejection or reserve decision stands)' })
  endsAt: string | null;
  @ApiProperty({ description: 'A request can be filed now (a rejection or reserve decision, inside the window, none filed against it yet)' }) open: boolean;
}

/**
 * What the lead and accepted partners read after a decision: the panel's consensus, overall and per
 * criterion, the decision and its reasons, and redress. Never reviewer ids or individual reviews.
 */
export class EvaluationSummaryDto {
  @ApiProperty() proposalId: string;
  @ApiProperty({ enum: PROPOSAL_STATUSES }) status: string;
  @ApiPropertyOptional({ type: EvaluationDecisionDto, nullable: true, description: 'null until a decision stands' }) decision: EvaluationDecisionDto | null;
  @ApiPropertyOptional({ type: EvaluationConsensusDto, nullable: true, description: 'Shown once a decision stands' }) consensus: EvaluationConsensusDto | null;
  @ApiProperty({ type: RedressWindowDto }) redressWindow: RedressWindowDto;
  @ApiProperty({ type: [RedressRequestDto] }) redressRequests: RedressRequestDto[];
  @ApiProperty({ description: 'Stream version this view reflects' }) version: number;
}

/** `grounds`: each request's grounds by request id, opened for this answer (see ProposalPersonalTexts). */
export function toEvaluationSummaryDto(
  view: ProposalView,
  grounds: ReadonlyMap<string, string | null>,
  redressWindowDays: number,
  now: Date,
  windowEndsAt: (decidedAt: string) => string,
): EvaluationSummaryDto {
  const decided = view.decision;
  const redressable = decided !== null && (view.status === 'rejected' || view.status === 'reserved');
  const endsAt = redressable ? windowEndsAt(decided.decidedAt) : null;
  const filedAgainstStanding = redressable && view.redressRequests.some((r) => Date.parse(r.requestedAt) >= Date.parse(decided.decidedAt));
  return {
    proposalId: view.id,
    status: view.status,
    decision: decided
      ? { decision: decided.decision, ...(decided.amountMinor !== undefined ? { amountMinor: decided.amountMinor } : {}), reasons: decided.reasons, decidedAt: decided.decidedAt }
      : null,
    consensus:
      decided && view.consensus
        ? { score: view.consensus.score, summary: view.consensus.summary, criteria: (view.consensus.criteria ?? []).map(({ criterionId, score, comment }) => ({ criterionId, score, comment })) }
        : null,
    redressWindow: { days: redressWindowDays, endsAt, open: endsAt !== null && !filedAgainstStanding && now.getTime() <= Date.parse(endsAt) },
    redressRequests: view.redressRequests.map(({ requestId, organisationId, requestedAt, windowEndsAt: ends, outcome, reasons, decidedAt }) => ({
      requestId,
      organisationId,
      grounds: grounds.get(requestId) ?? null,
      requestedAt,
      windowEndsAt: ends,
      outcome,
      reasons,
      decidedAt,
    })),
    version: view.version,
  };
}
