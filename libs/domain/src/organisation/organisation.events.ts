/**
 * Events of the `organisation-{uuid}` stream. Type names are explicit, stored strings:
 * never derive them from class names (a rename would break replay).
 */

import { eventTypesOf } from '../shared/stream-kind';

export const LEGAL_STATUSES = ['registered-ngo', 'registered-association', 'unregistered-group', 'cooperative', 'other'] as const;
/** Many grassroots groups cannot register legally; 'unregistered-group' is a first-class status, not a defect. */
export type LegalStatus = (typeof LEGAL_STATUSES)[number];

export const DUE_DILIGENCE_OUTCOMES = ['passed', 'failed', 'conditional'] as const;
export type DueDiligenceOutcome = (typeof DUE_DILIGENCE_OUTCOMES)[number];

/**
 * Whether partners (feed, webhooks, 360Giving export) may see the organisation's name and id.
 * 'withheld' is the default: many grantees (unregistered groups, minority and LGBTQI+ rights
 * groups) are at risk if named, so an organisation is published only when it (or the programme
 * team for it) chose 'public'. Events recorded before this field existed have no value: they read
 * as 'withheld' (see `publicationConsentOf`).
 */
export const PUBLICATION_CONSENTS = ['withheld', 'public'] as const;
export type PublicationConsent = (typeof PUBLICATION_CONSENTS)[number];
export const DEFAULT_PUBLICATION_CONSENT: PublicationConsent = 'withheld';

/** The consent an event records: a missing (older event) or unknown value is 'withheld', never 'public'. */
export function publicationConsentOf(value: unknown): PublicationConsent {
  return value === 'public' ? 'public' : 'withheld';
}

/** Personal data: encrypted inside stored events by the infrastructure; `null` once erased. */
export interface ContactPerson {
  name: string;
  email: string;
  phone?: string;
}

export interface OrganisationRegistered {
  type: 'OrganisationRegistered';
  data: {
    organisationId: string;
    name: string;
    /** ISO 3166-1 alpha-2, upper case. */
    country: string;
    legalStatus: LegalStatus;
    focusGroups: string[];
    contactPerson: ContactPerson | null;
    /** Applicant users who act for the organisation. */
    memberUserIds: string[];
    /** Absent in events recorded before publication consent existed: read it with `publicationConsentOf` ('withheld'). */
    publicationConsent?: PublicationConsent;
    registeredAt: string;
  };
}

/** Only the fields that actually changed are present. */
export interface OrganisationProfileUpdated {
  type: 'OrganisationProfileUpdated';
  data: {
    organisationId: string;
    name?: string;
    country?: string;
    legalStatus?: LegalStatus;
    focusGroups?: string[];
    /** Present (possibly `null` after erasure on replay) only when the contact person was replaced. */
    contactPerson?: ContactPerson | null;
    memberUserIds?: string[];
    publicationConsent?: PublicationConsent;
    updatedAt: string;
  };
}

export interface DueDiligenceRecorded {
  type: 'DueDiligenceRecorded';
  data: {
    organisationId: string;
    outcome: DueDiligenceOutcome;
    notes: string;
    checkedBy: string;
    recordedAt: string;
  };
}

export interface OrganisationPersonalDataErased {
  type: 'OrganisationPersonalDataErased';
  data: {
    organisationId: string;
    reason: string;
    requestedBy: string;
    erasedAt: string;
  };
}

export type OrganisationEvent =
  | OrganisationRegistered
  | OrganisationProfileUpdated
  | DueDiligenceRecorded
  | OrganisationPersonalDataErased;

export type OrganisationEventType = OrganisationEvent['type'];

/**
 * Schema version stored with each event type. A change to a data shape bumps it and registers an
 * upcaster from the previous version with this stream's schema versions (SchemaRegistry refuses to
 * start without one; see proposal.upcasters.ts for an example); the codec upcasts on read.
 */
export const organisationEventSchemaVersions: Readonly<Record<OrganisationEventType, number>> = {
  OrganisationRegistered: 1,
  OrganisationProfileUpdated: 1,
  DueDiligenceRecorded: 1,
  OrganisationPersonalDataErased: 1,
};

export const ORGANISATION_EVENT_TYPES = eventTypesOf(organisationEventSchemaVersions);

export const ORGANISATION_STREAM_PREFIX = 'organisation-';

/** The stream an organisation's events live in: `organisation-{uuid}`. */
export function organisationStreamName(organisationId: string): string {
  return `${ORGANISATION_STREAM_PREFIX}${organisationId}`;
}

/**
 * Paths (within `data`) of personal fields, per event type. The infrastructure encrypts
 * these with the organisation's subject key and returns them as `null` after erasure.
 */
export const organisationPersonalDataFields: Readonly<Partial<Record<OrganisationEventType, readonly string[]>>> = {
  OrganisationRegistered: ['contactPerson'],
  OrganisationProfileUpdated: ['contactPerson'],
};
