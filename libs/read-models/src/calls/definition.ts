import type { ReadModelDefinition } from '../read-model-definition';
import { CallView } from './call-view.entity';
import { CallsProjection } from './calls.projection';
import { CallsQuery } from './calls.query';

export const callsReadModel: ReadModelDefinition = {
  entities: [CallView],
  migrations: [],
  projections: () => [new CallsProjection()],
  queries: [CallsQuery],
};
