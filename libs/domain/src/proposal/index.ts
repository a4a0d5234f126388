export * from './proposal.events';
export * from './proposal.commands';
export * from './proposal.errors';
export * from './proposal.snapshots';
export * from './proposal.content';
export * from './proposal.views';
export * from './proposal.upcasters';
export {
  acceptedPartnerIds,
  assertAcceptsDocuments,
  countedReviews,
  invitedPartnerIds,
  decideProposal,
  evolveProposal,
  initialProposalState,
  proposalDecider,
  redressWindowEndsAt,
} from './proposal.decider';
export type { ProposalDocument, ProposalState, ProposalStatus, ReviewRecord } from './proposal.decider';
export * from './proposal.command-rules';
