import type { ReadModelDefinition } from '../read-model-definition';
import { OrganisationView } from './organisation-view.entity';
import { OrganisationsReadModel1764000310000 } from './organisations.migration';
import { OrganisationsProjection } from './organisations.projection';
import { OrganisationsQuery } from './organisations.query';

/** Organisations and their (decrypted, erasable) contact person. */
export const organisationsReadModel: ReadModelDefinition = {
  entities: [OrganisationView],
  migrations: [OrganisationsReadModel1764000310000],
  projections: () => [new OrganisationsProjection()],
  queries: [OrganisationsQuery],
};
