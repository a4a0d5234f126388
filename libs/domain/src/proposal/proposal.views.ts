import type { ProposalState, ReviewRecord } from './proposal.decider';

export interface ReviewViewer {
  id: string;
  /** admin | grant-manager | auditor | reviewer | applicant | partner */
  role: string;
}

export interface VisibleReview extends ReviewRecord {
  /** The reviewer later declared a conflict: the review is kept but does not count. */
  recused: boolean;
}

const SEES_ALL_REVIEWS: readonly string[] = ['admin', 'grant-manager', 'auditor'];

/**
 * Blind review: grant managers, admins and auditors see every review, a recused reviewer's marked
 * as such; a reviewer sees the reviews of this proposal only once they have submitted their own,
 * and never a recused reviewer's (written under a declared conflict, it does not count, and must
 * not sway the others: until 2026-12-07 it was shown to them among the rest); a reviewer recused
 * sees only their own; applicants and everyone else see none.
 */
export function visibleReviews(state: ProposalState, viewer: ReviewViewer): VisibleReview[] {
  const all = Object.values(state.reviews).map((review) => ({
    ...review,
    scores: review.scores.map((s) => ({ ...s })),
    recused: state.recusedReviewerIds.includes(review.reviewerId),
  }));
  if (SEES_ALL_REVIEWS.includes(viewer.role)) return all;
  if (viewer.role !== 'reviewer' || !state.reviews[viewer.id]) return [];
  if (state.recusedReviewerIds.includes(viewer.id)) return all.filter((review) => review.reviewerId === viewer.id);
  return all.filter((review) => !review.recused);
}
