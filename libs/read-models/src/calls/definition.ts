import type { ReadModelDefinition } from '../read-model-definition';
import { CallView } from './call-view.entity';
import { CallsRecipientCeiling1764002200000 } from './calls-recipient-ceiling.migration';
import { CallsProjection } from './calls.projection';
import { CallsQuery } from './calls.query';

export const callsReadModel: ReadModelDefinition = {
  entities: [CallView],
  migrations: [CallsRecipientCeiling1764002200000],
  projections: () => [new CallsProjection()],
  queries: [CallsQuery],
};
