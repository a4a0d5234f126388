import { isIso3166Alpha2 } from '../call/iso-3166';
import { AlreadyExists, assertNever, Decider, InvalidStateTransition, StreamNotFound } from '../shared/decider';
import type {
  EraseOrganisationPersonalData,
  OrganisationCommand,
  RecordDueDiligence,
  RegisterOrganisation,
  UpdateOrganisationProfile,
} from './organisation.commands';
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
import {
  ContactPerson,
  DEFAULT_PUBLICATION_CONSENT,
  DUE_DILIGENCE_OUTCOMES,
  DueDiligenceOutcome,
  LEGAL_STATUSES,
  LegalStatus,
  OrganisationEvent,
  OrganisationProfileUpdated,
  organisationStreamName,
  PUBLICATION_CONSENTS,
  PublicationConsent,
  publicationConsentOf,
} from './organisation.events';

export type OrganisationStatus = 'none' | 'registered';

export interface OrganisationState {
  status: OrganisationStatus;
  organisationId: string | null;
  name: string;
  country: string;
  legalStatus: LegalStatus | null;
  focusGroups: string[];
  /** `null` after erasure (and on replay of erased events). Never used in a rule. */
  contactPerson: ContactPerson | null;
  memberUserIds: string[];
  /** Whether partners may see its name and id; 'withheld' unless it chose otherwise. */
  publicationConsent: PublicationConsent;
  dueDiligence: DueDiligenceOutcome | 'not-checked';
  /**
   * Whether an event recorded since the last erasure carries personal data. Tracked from
   * which events happened, not from the (possibly already shredded) field content.
   */
  holdsPersonalData: boolean;
}

export const initialOrganisationState: OrganisationState = {
  status: 'none',
  organisationId: null,
  name: '',
  country: '',
  legalStatus: null,
  focusGroups: [],
  contactPerson: null,
  memberUserIds: [],
  publicationConsent: DEFAULT_PUBLICATION_CONSENT,
  dueDiligence: 'not-checked',
  holdsPersonalData: false,
};

export function evolveOrganisation(state: OrganisationState, event: OrganisationEvent): OrganisationState {
  switch (event.type) {
    case 'OrganisationRegistered': {
      const { organisationId, name, country, legalStatus, focusGroups, contactPerson, memberUserIds, publicationConsent } = event.data;
      return {
        ...state,
        publicationConsent: publicationConsentOf(publicationConsent),
        status: 'registered',
        organisationId,
        name,
        country,
        legalStatus,
        focusGroups: [...focusGroups],
        contactPerson,
        memberUserIds: [...memberUserIds],
        holdsPersonalData: true,
      };
    }
    case 'OrganisationProfileUpdated': {
      const d = event.data;
      const next: OrganisationState = { ...state };
      if (d.name !== undefined) next.name = d.name;
      if (d.country !== undefined) next.country = d.country;
      if (d.legalStatus !== undefined) next.legalStatus = d.legalStatus;
      if (d.focusGroups !== undefined) next.focusGroups = [...d.focusGroups];
      if (d.memberUserIds !== undefined) next.memberUserIds = [...d.memberUserIds];
      if (d.publicationConsent !== undefined) next.publicationConsent = publicationConsentOf(d.publicationConsent);
      if ('contactPerson' in d) {
        next.contactPerson = d.contactPerson ?? null;
        next.holdsPersonalData = true;
      }
      return next;
    }
    case 'DueDiligenceRecorded':
      return { ...state, dueDiligence: event.data.outcome };
    case 'OrganisationPersonalDataErased':
      return { ...state, contactPerson: null, holdsPersonalData: false };
    default:
      return assertNever(event);
  }
}

export function decideOrganisation(command: OrganisationCommand, state: OrganisationState): OrganisationEvent[] {
  switch (command.type) {
    case 'RegisterOrganisation':
      return register(command, state);
    case 'UpdateOrganisationProfile':
      return updateProfile(command, state);
    case 'RecordDueDiligence':
      return recordDueDiligence(command, state);
    case 'EraseOrganisationPersonalData':
      return erasePersonalData(command, state);
    default:
      return assertNever(command);
  }
}

export const organisationDecider: Decider<OrganisationCommand, OrganisationEvent, OrganisationState> = {
  initialState: initialOrganisationState,
  evolve: evolveOrganisation,
  decide: decideOrganisation,
};

function register(command: RegisterOrganisation, state: OrganisationState): OrganisationEvent[] {
  const d = command.data;
  if (state.status !== 'none') throw new AlreadyExists(organisationStreamName(d.organisationId));
  assertName(d.name);
  assertCountry(d.country);
  assertLegalStatus(d.legalStatus);
  assertFocusGroups(d.focusGroups);
  assertContactPerson(d.contactPerson);
  const memberUserIds = d.memberUserIds ?? [];
  assertMemberUserIds(memberUserIds);
  const publicationConsent = d.publicationConsent ?? DEFAULT_PUBLICATION_CONSENT;
  assertPublicationConsent(publicationConsent);
  return [
    {
      type: 'OrganisationRegistered',
      data: {
        organisationId: d.organisationId,
        name: d.name.trim(),
        country: d.country,
        legalStatus: d.legalStatus,
        focusGroups: [...d.focusGroups],
        contactPerson: copyContactPerson(d.contactPerson),
        memberUserIds: [...memberUserIds],
        publicationConsent,
        registeredAt: command.now,
      },
    },
  ];
}

/**
 * Records only the fields that differ. After an erasure a new contact person may be given:
 * erasure wipes what was recorded, it does not forbid recording a new (consenting) contact.
 * A contact person is compared with the current one only while it is still known; once it
 * is `null` (erased), any contact person given is a change.
 */
function updateProfile(command: UpdateOrganisationProfile, state: OrganisationState): OrganisationEvent[] {
  const d = command.data;
  assertExists(state, d.organisationId);
  const changes: Omit<OrganisationProfileUpdated['data'], 'organisationId' | 'updatedAt'> = {};
  if (d.name !== undefined && d.name.trim() !== state.name) {
    assertName(d.name);
    changes.name = d.name.trim();
  }
  if (d.country !== undefined && d.country !== state.country) {
    assertCountry(d.country);
    changes.country = d.country;
  }
  if (d.legalStatus !== undefined && d.legalStatus !== state.legalStatus) {
    assertLegalStatus(d.legalStatus);
    changes.legalStatus = d.legalStatus;
  }
  if (d.focusGroups !== undefined && !sameSet(d.focusGroups, state.focusGroups)) {
    assertFocusGroups(d.focusGroups);
    changes.focusGroups = [...d.focusGroups];
  }
  if (d.memberUserIds !== undefined && !sameSet(d.memberUserIds, state.memberUserIds)) {
    assertMemberUserIds(d.memberUserIds);
    changes.memberUserIds = [...d.memberUserIds];
  }
  if (d.publicationConsent !== undefined && d.publicationConsent !== state.publicationConsent) {
    assertPublicationConsent(d.publicationConsent);
    changes.publicationConsent = d.publicationConsent;
  }
  if (d.contactPerson !== undefined && !sameContact(d.contactPerson, state.contactPerson)) {
    assertContactPerson(d.contactPerson);
    changes.contactPerson = copyContactPerson(d.contactPerson);
  }
  if (Object.keys(changes).length === 0) throw new EmptyProfileUpdate();
  return [{ type: 'OrganisationProfileUpdated', data: { organisationId: d.organisationId, ...changes, updatedAt: command.now } }];
}

function recordDueDiligence(command: RecordDueDiligence, state: OrganisationState): OrganisationEvent[] {
  const d = command.data;
  assertExists(state, d.organisationId);
  if (!(DUE_DILIGENCE_OUTCOMES as readonly string[]).includes(d.outcome)) throw new InvalidDueDiligenceOutcome(d.outcome);
  return [
    {
      type: 'DueDiligenceRecorded',
      data: { organisationId: d.organisationId, outcome: d.outcome, notes: d.notes, checkedBy: d.checkedBy, recordedAt: command.now },
    },
  ];
}

/**
 * Idempotent: erasing when nothing personal has been recorded since the last erasure
 * appends nothing, so a retried or repeated erasure request is harmless.
 */
function erasePersonalData(command: EraseOrganisationPersonalData, state: OrganisationState): OrganisationEvent[] {
  const d = command.data;
  assertExists(state, d.organisationId);
  if (d.reason.trim() === '') throw new ErasureReasonRequired();
  if (!state.holdsPersonalData) return [];
  return [
    {
      type: 'OrganisationPersonalDataErased',
      data: { organisationId: d.organisationId, reason: d.reason, requestedBy: d.requestedBy, erasedAt: command.now },
    },
  ];
}

function assertExists(state: OrganisationState, organisationId: string): void {
  if (state.status === 'none') throw new StreamNotFound(organisationStreamName(organisationId));
  // Only one live status today; kept explicit so a future status (e.g. dissolved) must be handled.
  if (state.status !== 'registered') throw new InvalidStateTransition(state.status, 'change an organisation');
}

function assertName(name: string): void {
  if (typeof name !== 'string' || name.trim() === '') throw new InvalidOrganisationName();
}

function assertCountry(country: string): void {
  if (!isIso3166Alpha2(country)) throw new InvalidCountryCode(country);
}

function assertLegalStatus(legalStatus: string): void {
  if (!(LEGAL_STATUSES as readonly string[]).includes(legalStatus)) throw new InvalidLegalStatus(legalStatus);
}

function assertFocusGroups(focusGroups: string[]): void {
  if (focusGroups.some((g) => g.trim() === '') || new Set(focusGroups).size !== focusGroups.length) throw new InvalidFocusGroups();
}

function assertMemberUserIds(memberUserIds: string[]): void {
  if (memberUserIds.some((id) => id.trim() === '') || new Set(memberUserIds).size !== memberUserIds.length) {
    throw new InvalidMemberUserIds();
  }
}

function assertPublicationConsent(consent: string): void {
  if (!(PUBLICATION_CONSENTS as readonly string[]).includes(consent)) throw new InvalidPublicationConsent(consent);
}

function assertContactPerson(contact: ContactPerson): void {
  if (!contact || contact.name.trim() === '' || !/^[^\s@]+@[^\s@]+$/.test(contact.email)) throw new InvalidContactPerson();
}

function copyContactPerson(contact: ContactPerson): ContactPerson {
  return contact.phone === undefined
    ? { name: contact.name, email: contact.email }
    : { name: contact.name, email: contact.email, phone: contact.phone };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && new Set(a).size === new Set([...a, ...b]).size;
}

function sameContact(given: ContactPerson, current: ContactPerson | null): boolean {
  return current !== null && given.name === current.name && given.email === current.email && given.phone === current.phone;
}
