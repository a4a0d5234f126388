import type { ReadModelDefinition } from '../read-model-definition';
import { OrganisationView } from './organisation-view.entity';
import { OrganisationsConsentWithdrawals1764001950000 } from './organisations-consent-withdrawals.migration';
import { OrganisationsPublicationConsent1764000810000 } from './organisations-publication-consent.migration';
import { OrganisationsReadModel1764000310000 } from './organisations.migration';
import { OrganisationsSealedContact1764001200000 } from './organisations-sealed-contact.migration';
import { OrganisationsProjection } from './organisations.projection';
import { OrganisationsQuery } from './organisations.query';

/** Organisations, their contact person (kept sealed, opened on read, erasable) and whether partners may see their name. */
export const organisationsReadModel: ReadModelDefinition = {
  entities: [OrganisationView],
  migrations: [OrganisationsReadModel1764000310000, OrganisationsPublicationConsent1764000810000, OrganisationsSealedContact1764001200000, OrganisationsConsentWithdrawals1764001950000],
  projections: () => [new OrganisationsProjection()],
  queries: [OrganisationsQuery],
};
