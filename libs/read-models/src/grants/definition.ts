import type { ReadModelDefinition } from '../read-model-definition';

/** The grants read model (filled in by the lifecycle work). */
export const grantsReadModel: ReadModelDefinition = {
  entities: [],
  migrations: [],
  projections: () => [],
  queries: [],
};
