import { callsReadModel } from './calls/definition';
import { grantsReadModel } from './grants/definition';
import { organisationsReadModel } from './organisations/definition';
import { proposalsReadModel } from './proposals/definition';
import type { ReadModelDefinition } from './read-model-definition';
import { webhooksReadModel } from './webhooks/definition';

/** Every read model the worker projects and the API queries. */
export const READ_MODELS: readonly ReadModelDefinition[] = [callsReadModel, organisationsReadModel, proposalsReadModel, grantsReadModel, webhooksReadModel];

export const READ_MODEL_ENTITIES = READ_MODELS.flatMap((model) => model.entities as unknown[]) as ReadModelDefinition['entities'];
export const READ_MODEL_MIGRATIONS = READ_MODELS.flatMap((model) => model.migrations);
export const READ_MODEL_QUERIES = READ_MODELS.flatMap((model) => model.queries);
export const createProjections = () => READ_MODELS.flatMap((model) => model.projections());
