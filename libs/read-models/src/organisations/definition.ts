import { PersonalDataErasureReaction, personalDataPolicy } from '@app/grants/application/personal-data';
import type { ReadModelDefinition } from '../read-model-definition';
import { OrganisationView } from './organisation-view.entity';
import { OrganisationsReadModel1764000310000 } from './organisations.migration';
import { OrganisationsProjection } from './organisations.projection';
import { OrganisationsQuery } from './organisations.query';

/**
 * Organisations and their (decrypted, erasable) contact person. The erasure reaction rides along
 * here so the worker runs it from the log: it completes a crypto-shredding whose key deletion was
 * interrupted. It owns no table, and running it again (a rebuild) changes nothing.
 */
export const organisationsReadModel: ReadModelDefinition = {
  entities: [OrganisationView],
  migrations: [OrganisationsReadModel1764000310000],
  projections: () => [new OrganisationsProjection(), new PersonalDataErasureReaction(personalDataPolicy())],
  queries: [OrganisationsQuery],
};
