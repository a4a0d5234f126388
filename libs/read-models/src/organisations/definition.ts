import type { ReadModelDefinition } from '../read-model-definition';

/** The organisations read model (filled in by the lifecycle work). */
export const organisationsReadModel: ReadModelDefinition = {
  entities: [],
  migrations: [],
  projections: () => [],
  queries: [],
};
