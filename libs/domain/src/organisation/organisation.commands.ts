import type { ContactPerson, DueDiligenceOutcome, LegalStatus, PublicationConsent } from './organisation.events';

/** `now` is an ISO time from the injected clock; ids are generated outside the domain. */
export interface RegisterOrganisation {
  type: 'RegisterOrganisation';
  data: {
    organisationId: string;
    name: string;
    country: string;
    legalStatus: LegalStatus;
    focusGroups: string[];
    contactPerson: ContactPerson;
    memberUserIds?: string[];
    /** Defaults to 'withheld': an organisation is named to partners only by choice. */
    publicationConsent?: PublicationConsent;
  };
  now: string;
}

/** Any subset of the profile; only fields that differ from the current profile are recorded. */
export interface UpdateOrganisationProfile {
  type: 'UpdateOrganisationProfile';
  data: {
    organisationId: string;
    name?: string;
    country?: string;
    legalStatus?: LegalStatus;
    focusGroups?: string[];
    contactPerson?: ContactPerson;
    memberUserIds?: string[];
    publicationConsent?: PublicationConsent;
  };
  now: string;
}

export interface RecordDueDiligence {
  type: 'RecordDueDiligence';
  data: {
    organisationId: string;
    outcome: DueDiligenceOutcome;
    notes: string;
    checkedBy: string;
  };
  now: string;
}

export interface EraseOrganisationPersonalData {
  type: 'EraseOrganisationPersonalData';
  data: {
    organisationId: string;
    reason: string;
    requestedBy: string;
  };
  now: string;
}

export type OrganisationCommand =
  | RegisterOrganisation
  | UpdateOrganisationProfile
  | RecordDueDiligence
  | EraseOrganisationPersonalData;
