import type { ReadModelDefinition } from '../read-model-definition';
import { ProposalView, ReviewerAssignmentView } from './proposal-view.entity';
import { ProposalsAwardOutcome1764001310000 } from './proposals-award-outcome.migration';
import { ProposalsNetworkConsent1764001320000 } from './proposals-network-consent.migration';
import { ProposalsSubmittedTerms1764001960000 } from './proposals-submitted-terms.migration';
import { ProposalsListOrder1764001700000 } from './proposals-list-order.migration';
import { ProposalsReadModel1764000400000 } from './proposals.migration';
import { ProposalsProjection } from './proposals.projection';
import { ProposalsQuery } from './proposals.query';

/** Proposals by call and status, the ranking per call, and each reviewer's queue. */
export const proposalsReadModel: ReadModelDefinition = {
  entities: [ProposalView, ReviewerAssignmentView],
  migrations: [ProposalsReadModel1764000400000, ProposalsAwardOutcome1764001310000, ProposalsNetworkConsent1764001320000, ProposalsListOrder1764001700000, ProposalsSubmittedTerms1764001960000],
  projections: () => [new ProposalsProjection()],
  queries: [ProposalsQuery],
};
