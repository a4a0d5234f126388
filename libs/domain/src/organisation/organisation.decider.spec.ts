import { AlreadyExists, fold, StreamNotFound } from '../shared/decider';
import { given as givenEvents } from '../shared/testing';
import type { OrganisationCommand, RegisterOrganisation } from './organisation.commands';
import { organisationDecider } from './organisation.decider';
import {
  EmptyProfileUpdate,
  ErasureReasonRequired,
  InvalidContactPerson,
  InvalidCountryCode,
  InvalidLegalStatus,
  InvalidOrganisationName,
  InvalidPublicationConsent,
} from './organisation.errors';
import {
  ORGANISATION_EVENT_TYPES,
  OrganisationEvent,
  organisationEventSchemaVersions,
  organisationPersonalDataFields,
  OrganisationRegistered,
} from './organisation.events';

const ORG = '7d7c1c38-4d64-4c0b-9d5e-2a4d1c8c9f01';
const NOW = '2026-03-01T10:00:00.000Z';
const LATER = '2026-03-02T10:00:00.000Z';

const given = (...history: OrganisationEvent[]) => givenEvents(organisationDecider, history);

const register = (overrides: Partial<RegisterOrganisation['data']> = {}): RegisterOrganisation => ({
  type: 'RegisterOrganisation',
  data: {
    organisationId: ORG,
    name: 'Dom Community Voices',
    country: 'LB',
    legalStatus: 'unregistered-group',
    focusGroups: ['dom-community', 'stateless-people'],
    contactPerson: { name: 'Rania K.', email: 'rania@example.org' },
    memberUserIds: ['user-1'],
    ...overrides,
  },
  now: NOW,
});

const registered: OrganisationRegistered = {
  type: 'OrganisationRegistered',
  data: {
    organisationId: ORG,
    name: 'Dom Community Voices',
    country: 'LB',
    legalStatus: 'unregistered-group',
    focusGroups: ['dom-community', 'stateless-people'],
    contactPerson: { name: 'Rania K.', email: 'rania@example.org' },
    memberUserIds: ['user-1'],
    publicationConsent: 'withheld',
    registeredAt: NOW,
  },
};

/** As stored before publication consent existed: no `publicationConsent` at all. */
const { publicationConsent: _noConsent, ...legacyRegisteredData } = registered.data;
const registeredBeforeConsentExisted: OrganisationRegistered = { type: 'OrganisationRegistered', data: legacyRegisteredData };

const erased: OrganisationEvent = {
  type: 'OrganisationPersonalDataErased',
  data: { organisationId: ORG, reason: 'data subject request', requestedBy: 'admin-1', erasedAt: LATER },
};

describe('organisation decider', () => {
  describe('RegisterOrganisation', () => {
    it('registers an unregistered group (groups that cannot register legally are welcome)', () => {
      given().when(register()).then([registered]);
    });

    it('defaults member users to none', () => {
      const { memberUserIds: _omitted, ...data } = register().data;
      const events = organisationDecider.decide({ type: 'RegisterOrganisation', data, now: NOW }, organisationDecider.initialState);
      expect(events[0].type === 'OrganisationRegistered' && events[0].data.memberUserIds).toEqual([]);
    });

    it('organisation.already-exists: refuses to register twice', () => {
      given(registered).when(register()).thenThrows(AlreadyExists);
    });

    it('organisation.name.required', () => {
      given().when(register({ name: '  ' })).thenThrows(InvalidOrganisationName);
    });

    it('organisation.country.invalid: needs an assigned ISO 3166-1 alpha-2 code', () => {
      expect(given().when(register({ country: 'Lebanon' })).thenThrows(InvalidCountryCode).rule).toBe('organisation.country.invalid');
      given().when(register({ country: 'XX' })).thenThrows(InvalidCountryCode);
      given().when(register({ country: 'lb' })).thenThrows(InvalidCountryCode);
    });

    it('organisation.legal-status.invalid', () => {
      given()
        .when(register({ legalStatus: 'charity' as never }))
        .thenThrows(InvalidLegalStatus);
    });

    it('organisation.contact-person.invalid', () => {
      given()
        .when(register({ contactPerson: { name: 'X', email: 'not-an-email' } }))
        .thenThrows(InvalidContactPerson);
    });
  });

  describe('publication consent', () => {
    it('organisation.publication-consent: defaults to withheld (at-risk groups are named only by choice)', () => {
      given().when(register()).then([registered]);
      expect(fold(organisationDecider, [registered]).publicationConsent).toBe('withheld');
    });

    it('records a choice to be public at registration', () => {
      const events = organisationDecider.decide(register({ publicationConsent: 'public' }), organisationDecider.initialState);
      expect(events).toEqual([{ ...registered, data: { ...registered.data, publicationConsent: 'public' } }]);
      expect(fold(organisationDecider, events).publicationConsent).toBe('public');
    });

    it('organisation.publication-consent.invalid: refuses anything but withheld or public', () => {
      given()
        .when(register({ publicationConsent: 'partial' as never }))
        .thenThrows(InvalidPublicationConsent);
      given(registered)
        .when({ type: 'UpdateOrganisationProfile', data: { organisationId: ORG, publicationConsent: 'yes' as never }, now: LATER })
        .thenThrows(InvalidPublicationConsent);
    });

    it('reads an event stored before consent existed as withheld', () => {
      expect(fold(organisationDecider, [registeredBeforeConsentExisted]).publicationConsent).toBe('withheld');
      given(registeredBeforeConsentExisted)
        .when({ type: 'UpdateOrganisationProfile', data: { organisationId: ORG, publicationConsent: 'withheld' }, now: LATER })
        .thenThrows(EmptyProfileUpdate);
    });

    it('changes its mind either way, recording only a real change', () => {
      const madePublic: OrganisationEvent = { type: 'OrganisationProfileUpdated', data: { organisationId: ORG, publicationConsent: 'public', updatedAt: LATER } };
      given(registeredBeforeConsentExisted)
        .when({ type: 'UpdateOrganisationProfile', data: { organisationId: ORG, publicationConsent: 'public' }, now: LATER })
        .then([madePublic]);
      given(registered, madePublic)
        .when({ type: 'UpdateOrganisationProfile', data: { organisationId: ORG, publicationConsent: 'withheld' }, now: LATER })
        .then([{ type: 'OrganisationProfileUpdated', data: { organisationId: ORG, publicationConsent: 'withheld', updatedAt: LATER } }]);
      expect(fold(organisationDecider, [registered, madePublic]).publicationConsent).toBe('public');
    });
  });

  describe('UpdateOrganisationProfile', () => {
    it('records only the fields that changed', () => {
      given(registered)
        .when({
          type: 'UpdateOrganisationProfile',
          data: { organisationId: ORG, name: 'Dom Community Voices', country: 'PS', focusGroups: ['stateless-people', 'dom-community'] },
          now: LATER,
        })
        .then([{ type: 'OrganisationProfileUpdated', data: { organisationId: ORG, country: 'PS', updatedAt: LATER } }]);
    });

    it('organisation.profile.no-change: refuses an update that changes nothing', () => {
      given(registered)
        .when({
          type: 'UpdateOrganisationProfile',
          data: { organisationId: ORG, name: 'Dom Community Voices', contactPerson: { name: 'Rania K.', email: 'rania@example.org' } },
          now: LATER,
        })
        .thenThrows(EmptyProfileUpdate);
      given(registered).when({ type: 'UpdateOrganisationProfile', data: { organisationId: ORG }, now: LATER }).thenThrows(EmptyProfileUpdate);
    });

    it('validates changed fields like registration does', () => {
      given(registered)
        .when({ type: 'UpdateOrganisationProfile', data: { organisationId: ORG, country: 'XXX' }, now: LATER })
        .thenThrows(InvalidCountryCode);
    });

    it('organisation.not-found: refuses commands on an organisation that does not exist', () => {
      given()
        .when({ type: 'UpdateOrganisationProfile', data: { organisationId: ORG, name: 'New' }, now: LATER })
        .thenThrows(StreamNotFound);
    });

    it('accepts a new contact person after an erasure (erasure wipes what was recorded, it does not forbid a new contact)', () => {
      const newContact = { name: 'Samir B.', email: 'samir@example.org', phone: '+961 1 000000' };
      given(registered, erased)
        .when({ type: 'UpdateOrganisationProfile', data: { organisationId: ORG, contactPerson: newContact }, now: LATER })
        .then([{ type: 'OrganisationProfileUpdated', data: { organisationId: ORG, contactPerson: newContact, updatedAt: LATER } }]);
    });

    it('treats any contact person as a change when the recorded one was shredded (null on replay)', () => {
      const shredded: OrganisationRegistered = { ...registered, data: { ...registered.data, contactPerson: null } };
      const contact = { name: 'Rania K.', email: 'rania@example.org' };
      given(shredded, erased)
        .when({ type: 'UpdateOrganisationProfile', data: { organisationId: ORG, contactPerson: contact }, now: LATER })
        .then([{ type: 'OrganisationProfileUpdated', data: { organisationId: ORG, contactPerson: contact, updatedAt: LATER } }]);
    });
  });

  describe('RecordDueDiligence', () => {
    it('records the outcome and who checked', () => {
      given(registered)
        .when({ type: 'RecordDueDiligence', data: { organisationId: ORG, outcome: 'conditional', notes: 'bank account pending', checkedBy: 'gm-1' }, now: LATER })
        .then([
          {
            type: 'DueDiligenceRecorded',
            data: { organisationId: ORG, outcome: 'conditional', notes: 'bank account pending', checkedBy: 'gm-1', recordedAt: LATER },
          },
        ]);
    });

    it('folds the latest outcome into state', () => {
      const state = fold(organisationDecider, [
        registered,
        { type: 'DueDiligenceRecorded', data: { organisationId: ORG, outcome: 'failed', notes: '', checkedBy: 'gm-1', recordedAt: NOW } },
        { type: 'DueDiligenceRecorded', data: { organisationId: ORG, outcome: 'passed', notes: '', checkedBy: 'gm-1', recordedAt: LATER } },
      ]);
      expect(state.dueDiligence).toBe('passed');
    });

    it('refuses due diligence for an unknown organisation', () => {
      given()
        .when({ type: 'RecordDueDiligence', data: { organisationId: ORG, outcome: 'passed', notes: '', checkedBy: 'gm-1' }, now: LATER })
        .thenThrows(StreamNotFound);
    });
  });

  describe('EraseOrganisationPersonalData', () => {
    const erase: OrganisationCommand = {
      type: 'EraseOrganisationPersonalData',
      data: { organisationId: ORG, reason: 'data subject request', requestedBy: 'admin-1' },
      now: LATER,
    };

    it('erases the contact person and keeps the rest of the profile', () => {
      given(registered).when(erase).then([erased]);
      const state = fold(organisationDecider, [registered, erased]);
      expect(state.contactPerson).toBeNull();
      expect(state.name).toBe('Dom Community Voices');
      expect(state.status).toBe('registered');
    });

    it('is idempotent: erasing again with nothing new to erase appends nothing', () => {
      given(registered, erased).when(erase).then([]);
    });

    it('erases again once a new contact person was recorded after the first erasure', () => {
      const newContact: OrganisationEvent = {
        type: 'OrganisationProfileUpdated',
        data: { organisationId: ORG, contactPerson: { name: 'Samir B.', email: 'samir@example.org' }, updatedAt: LATER },
      };
      given(registered, erased, newContact).when(erase).then([erased]);
    });

    it('does not depend on the shredded content: a replay with contactPerson null still erases once', () => {
      const shredded: OrganisationRegistered = { ...registered, data: { ...registered.data, contactPerson: null } };
      given(shredded).when(erase).then([erased]);
    });

    it('organisation.erasure.reason-required', () => {
      given(registered)
        .when({ ...erase, data: { ...erase.data, reason: ' ' } } as OrganisationCommand)
        .thenThrows(ErasureReasonRequired);
    });

    it('refuses erasure for an unknown organisation', () => {
      given().when(erase).thenThrows(StreamNotFound);
    });
  });

  it('declares every event type with schema version 1 and the personal-data paths', () => {
    expect(ORGANISATION_EVENT_TYPES).toEqual([
      'OrganisationRegistered',
      'OrganisationProfileUpdated',
      'DueDiligenceRecorded',
      'OrganisationPersonalDataErased',
    ]);
    expect(Object.values(organisationEventSchemaVersions)).toEqual([1, 1, 1, 1]);
    expect(organisationPersonalDataFields).toEqual({ OrganisationRegistered: ['contactPerson'], OrganisationProfileUpdated: ['contactPerson'] });
  });
});
