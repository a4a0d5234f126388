import type { RuleViolationClass } from '../shared/rule-violations';
import type { OrganisationCommand } from './organisation.commands';
import {
  EmptyProfileUpdate,
  ErasureReasonRequired,
  InvalidContactPerson,
  InvalidCountryCode,
  InvalidDueDiligenceOutcome,
  InvalidFocusGroups,
  InvalidLegalStatus,
  InvalidMemberUserIds,
  InvalidOrganisationName,
  InvalidPublicationConsent,
} from './organisation.errors';

/**
 * The business rules (HTTP 422, `rule` in the problem body) each organisation command's decider can
 * break, for the API documentation. Kept equal to the decider by shared/command-rules.spec.ts,
 * which reads decide's code paths: a rule listed is reachable for that command, not in every state.
 */
export const organisationCommandRules: Readonly<Record<OrganisationCommand['type'], readonly RuleViolationClass[]>> = {
  RegisterOrganisation: [InvalidContactPerson, InvalidCountryCode, InvalidFocusGroups, InvalidLegalStatus, InvalidMemberUserIds, InvalidOrganisationName, InvalidPublicationConsent],
  UpdateOrganisationProfile: [EmptyProfileUpdate, InvalidContactPerson, InvalidCountryCode, InvalidFocusGroups, InvalidLegalStatus, InvalidMemberUserIds, InvalidOrganisationName, InvalidPublicationConsent],
  RecordDueDiligence: [InvalidDueDiligenceOutcome],
  EraseOrganisationPersonalData: [ErasureReasonRequired],
};
