import type { ReadModelDefinition } from '../read-model-definition';
import { OrganisationView } from './organisation-view.entity';
import { OrganisationsPublicationConsent1764000810000 } from './organisations-publication-consent.migration';
import { OrganisationsReadModel1764000310000 } from './organisations.migration';
import { OrganisationsProjection } from './organisations.projection';
import { OrganisationsQuery } from './organisations.query';

/** Organisations, their (decrypted, erasable) contact person and whether partners may see their name. */
export const organisationsReadModel: ReadModelDefinition = {
  entities: [OrganisationView],
  migrations: [OrganisationsReadModel1764000310000, OrganisationsPublicationConsent1764000810000],
  projections: () => [new OrganisationsProjection()],
  queries: [OrganisationsQuery],
};
