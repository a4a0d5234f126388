import type { RecordedEvent } from '@app/event-store';
import { PROPOSAL_STREAM_PREFIX, type ProposalContentChanges, type ProposalDrafted, type ProposalEvent } from '@app/grants/proposal';
import { assertNever } from '@app/grants/shared/decider';
import type { EntityManager } from 'typeorm';
import type { Projection } from '../projection/projection';
import { ProposalView, ReviewerAssignmentView } from './proposal-view.entity';

/** The row a ProposalDrafted creates. */
export function draftedProposalView(event: ProposalDrafted, recordedAt: Date, version: number): ProposalView {
  const d = event.data;
  return Object.assign(new ProposalView(), {
    id: d.proposalId,
    callId: d.callId,
    leadOrganisationId: d.leadOrganisationId,
    partners: d.partners.map(({ organisationId, role }) => ({ organisationId, role })),
    partnerOrganisationIds: d.partners.map((p) => p.organisationId),
    title: d.title,
    summary: d.summary,
    policyIssue: d.policyIssue,
    requestedMinor: d.requestedMinor,
    currency: d.currency,
    budgetLines: d.budgetLines.map(({ label, amountMinor }) => ({ label, amountMinor })),
    durationMonths: d.durationMonths,
    status: 'draft',
    contentVersion: 1,
    submittedVersion: null,
    contentHash: null,
    submittedAt: null,
    eligibility: null,
    assignedReviewerIds: [],
    recusedReviewerIds: [],
    conflicts: [],
    reviews: {},
    reviewCount: 0,
    consensusScore: null,
    consensus: null,
    decision: null,
    unfundedAwards: [],
    clarifications: [],
    withdrawal: null,
    draftedAt: new Date(d.draftedAt),
    updatedAt: recordedAt,
    version,
  });
}

function withContentChanges(view: ProposalView, changes: ProposalContentChanges): ProposalView {
  return {
    ...view,
    ...(changes.title !== undefined ? { title: changes.title } : {}),
    ...(changes.summary !== undefined ? { summary: changes.summary } : {}),
    ...(changes.policyIssue !== undefined ? { policyIssue: changes.policyIssue } : {}),
    ...(changes.requestedMinor !== undefined ? { requestedMinor: changes.requestedMinor } : {}),
    ...(changes.budgetLines !== undefined ? { budgetLines: changes.budgetLines.map(({ label, amountMinor }) => ({ label, amountMinor })) } : {}),
    ...(changes.durationMonths !== undefined ? { durationMonths: changes.durationMonths } : {}),
    contentVersion: view.contentVersion + 1,
  };
}

function countedReviews(reviews: ProposalView['reviews'], recused: readonly string[]): number {
  return Object.keys(reviews).filter((reviewerId) => !recused.includes(reviewerId)).length;
}

/**
 * The row after one later event of its stream (everything but ProposalDrafted). Pure: the same
 * row and event give the same result; `version` and `updatedAt` are set by the caller.
 */
export function evolveProposalView(view: ProposalView, event: Exclude<ProposalEvent, ProposalDrafted>): ProposalView {
  switch (event.type) {
    case 'ProposalRevised': {
      const { proposalId: _id, revisedAt: _at, ...changes } = event.data;
      return withContentChanges(view, changes);
    }
    case 'PartnerJoined': {
      const { organisationId, role } = event.data;
      return {
        ...view,
        partners: [...view.partners, { organisationId, role }],
        partnerOrganisationIds: [...view.partnerOrganisationIds, organisationId],
        contentVersion: view.contentVersion + 1,
      };
    }
    case 'PartnerLeft': {
      const { organisationId } = event.data;
      return {
        ...view,
        partners: view.partners.filter((p) => p.organisationId !== organisationId),
        partnerOrganisationIds: view.partnerOrganisationIds.filter((id) => id !== organisationId),
        contentVersion: view.contentVersion + 1,
      };
    }
    case 'ProposalSubmitted': {
      const { version, contentHash, submittedAt } = event.data;
      return { ...view, status: 'submitted', submittedVersion: version, contentHash, submittedAt: new Date(submittedAt) };
    }
    case 'ProposalWithdrawn':
      return { ...view, status: 'withdrawn', withdrawal: { reason: event.data.reason, withdrawnAt: event.data.withdrawnAt } };
    case 'EligibilityScreened': {
      const { eligible, results, screenedBy, screenedAt } = event.data;
      return { ...view, status: eligible ? 'under-review' : 'ineligible', eligibility: { eligible, results, screenedBy, screenedAt } };
    }
    case 'ReviewerAssigned':
      return { ...view, assignedReviewerIds: [...view.assignedReviewerIds, event.data.reviewerId] };
    case 'ConflictOfInterestDeclared': {
      const { reviewerId, description, declaredAt } = event.data;
      return { ...view, conflicts: [...view.conflicts, { reviewerId, description, declaredAt }] };
    }
    case 'ReviewerRecused': {
      if (view.recusedReviewerIds.includes(event.data.reviewerId)) return view;
      const recused = [...view.recusedReviewerIds, event.data.reviewerId];
      return { ...view, recusedReviewerIds: recused, reviewCount: countedReviews(view.reviews, recused) };
    }
    case 'ReviewSubmitted': {
      const { proposalId: _id, ...review } = event.data;
      const reviews = { ...view.reviews, [review.reviewerId]: review };
      return { ...view, reviews, reviewCount: countedReviews(reviews, view.recusedReviewerIds) };
    }
    case 'ConsensusRecorded': {
      const { score, summary, recordedBy, recordedAt } = event.data;
      return { ...view, consensusScore: score, consensus: { score, summary, recordedBy, recordedAt } };
    }
    case 'FundingDecisionRecorded': {
      const { proposalId: _id, ...decision } = event.data;
      const status = { award: 'awarded', reject: 'rejected', reserve: 'reserved' }[decision.decision];
      return { ...view, status, decision };
    }
    case 'AwardFundsUnavailable': {
      const { grantId, amountMinor, remainingMinor, recordedAt } = event.data;
      // As in the decider: back to awaiting a decision; the failed award stays on record.
      return { ...view, status: 'under-review', decision: null, unfundedAwards: [...view.unfundedAwards, { grantId, amountMinor, remainingMinor, recordedAt }] };
    }
    case 'ClarificationRequested': {
      const { requestId, questions, requestedBy, requestedAt } = event.data;
      return {
        ...view,
        clarifications: [...view.clarifications, { requestId, questions, requestedBy, requestedAt, answer: null, revisedFields: null, providedAt: null }],
      };
    }
    case 'ClarificationProvided': {
      const { requestId, answer, revisedFields, providedAt } = event.data;
      const clarifications = view.clarifications.map((c) =>
        c.requestId === requestId ? { ...c, answer, providedAt, revisedFields: revisedFields ? { ...revisedFields } : null } : c,
      );
      const answered = { ...view, clarifications };
      return revisedFields ? withContentChanges(answered, revisedFields) : answered;
    }
    default:
      return assertNever(event);
  }
}

/**
 * The `proposals` table (lists, detail, ranking) and `proposal_reviewer_assignments` (reviewer
 * queues). Idempotent: the proposal row remembers the stream version it last applied, and an event
 * at or below it changes neither table.
 */
export class ProposalsProjection implements Projection {
  readonly name = 'proposals';
  readonly filter = { streamPrefixes: [PROPOSAL_STREAM_PREFIX] };
  readonly tables = ['proposals', 'proposal_reviewer_assignments'] as const;

  async apply(recorded: RecordedEvent, tx: EntityManager): Promise<void> {
    const event = { type: recorded.type, data: recorded.data } as ProposalEvent;
    const version = recorded.streamVersion;
    if (event.type === 'ProposalDrafted') {
      await tx.createQueryBuilder().insert().into(ProposalView).values(draftedProposalView(event, recorded.recordedAt, version)).orIgnore().execute();
      return;
    }
    const proposals = tx.getRepository(ProposalView);
    const current = await proposals.findOneBy({ id: event.data.proposalId });
    if (!current || current.version >= version) return;
    const next = { ...evolveProposalView(current, event), version, updatedAt: recorded.recordedAt };
    const { id, ...changes } = next;
    await proposals.update({ id }, changes);
    await this.applyToAssignments(event, current.callId, tx);
  }

  private async applyToAssignments(event: Exclude<ProposalEvent, ProposalDrafted>, callId: string, tx: EntityManager): Promise<void> {
    const assignments = tx.getRepository(ReviewerAssignmentView);
    switch (event.type) {
      case 'ReviewerAssigned': {
        const { proposalId, reviewerId, assignedAt } = event.data;
        await tx.createQueryBuilder().insert().into(ReviewerAssignmentView).values({ proposalId, reviewerId, callId, assignedAt: new Date(assignedAt) }).orIgnore().execute();
        return;
      }
      case 'ReviewerRecused': {
        const { proposalId, reviewerId, recusedAt } = event.data;
        await assignments.update({ proposalId, reviewerId }, { recusedAt: new Date(recusedAt) });
        return;
      }
      case 'ReviewSubmitted': {
        const { proposalId, reviewerId, submittedAt } = event.data;
        await assignments.update({ proposalId, reviewerId }, { reviewSubmittedAt: new Date(submittedAt) });
        return;
      }
      default:
        return;
    }
  }
}
