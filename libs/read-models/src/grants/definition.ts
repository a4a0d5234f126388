import type { ReadModelDefinition } from '../read-model-definition';
import { GrantView } from './grant-view.entity';
import { GrantsDocumentNames1764001720000 } from './grants-document-names.migration';
import { GrantsListOrder1764001710000 } from './grants-list-order.migration';
import { GrantsRevisionRequests1764001970000 } from './grants-revision-requests.migration';
import { GrantsReadModel1764000500000 } from './grants.migration';
import { GrantsProjection } from './grants.projection';
import { GrantsQuery } from './grants.query';

/** The grant portfolio: status, money (amount, scheduled, paid, remaining), reporting calendar, overdue filter. */
export const grantsReadModel: ReadModelDefinition = {
  entities: [GrantView],
  migrations: [GrantsReadModel1764000500000, GrantsListOrder1764001710000, GrantsDocumentNames1764001720000, GrantsRevisionRequests1764001970000],
  projections: () => [new GrantsProjection()],
  queries: [GrantsQuery],
};
