import type { ReadModelDefinition } from '../read-model-definition';

/** The proposals read model (filled in by the lifecycle work). */
export const proposalsReadModel: ReadModelDefinition = {
  entities: [],
  migrations: [],
  projections: () => [],
  queries: [],
};
