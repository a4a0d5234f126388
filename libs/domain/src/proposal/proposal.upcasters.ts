import { upcaster, type EventUpcaster } from '../shared/upcaster';
import type { ProposalWithdrawnData } from './proposal.events';

/** ProposalWithdrawn as stored at schema version 1. */
export interface ProposalWithdrawnDataV1 {
  proposalId: string;
  reason: string;
  withdrawnAt: string;
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
];
