import { upcaster, type EventUpcaster } from '../shared/upcaster';
import type { ProposalWithdrawnData, ReviewerRecusedData } from './proposal.events';

/** ProposalWithdrawn as stored at schema version 1. */
export interface ProposalWithdrawnDataV1 {
  proposalId: string;
  reason: string;
  withdrawnAt: string;
}

/** ReviewerRecused as stored at schema version 1. */
export interface ReviewerRecusedDataV1 {
  proposalId: string;
  reviewerId: string;
  reason: string;
  recusedAt: string;
}

/**
 * Older stored shapes of proposal events, brought up one version at a time on read (see
 * SchemaRegistry.upcast). Stored events are never rewritten.
 */
export const proposalEventUpcasters: readonly EventUpcaster[] = [
  // v1 → v2: the applicant who withdrew was the command's actor, which the log kept in the metadata.
  upcaster<ProposalWithdrawnDataV1, ProposalWithdrawnData>('ProposalWithdrawn', 1, (data, stored) => ({
    proposalId: data.proposalId,
    reason: data.reason,
    withdrawnBy: stored.actorId,
    withdrawnAt: data.withdrawnAt,
  })),
  // v1 → v2: a recusal was only ever the consequence of the reviewer's own conflict declaration
  // (DeclareConflictOfInterest, which only the reviewer may send as itself): made by the reviewer.
  upcaster<ReviewerRecusedDataV1, ReviewerRecusedData>('ReviewerRecused', 1, (data) => ({
    proposalId: data.proposalId,
    reviewerId: data.reviewerId,
    reason: data.reason,
    by: 'reviewer',
    recusedBy: data.reviewerId,
    recusedAt: data.recusedAt,
  })),
];
