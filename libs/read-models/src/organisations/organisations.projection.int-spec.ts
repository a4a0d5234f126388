import { randomBytes, randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import { schemaRegistry } from '@app/application/event-store.module';
import { EncryptingEventCodec, personalDataPolicy } from '@app/application/personal-data';
import { InMemoryPersonalDataKeyStore, PersonalDataKeyring, PersonalDataNotSealedError, SealedPersonalData } from '@app/personal-data';
import type { OrganisationEvent } from '@app/domain/organisation';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import { OrganisationsProjection } from './organisations.projection';

const organisationId = '9e1b7c2d-3f4a-4b5c-8d6e-7f8091a2b3c4';
const streamId = `organisation-${organisationId}`;
const contact = { name: 'Test Person', email: 'test.person@example.org', phone: '+216 71 000 000' };
const newContact = { name: 'Other Testperson', email: 'other.testperson@example.org' };

const keyring = new PersonalDataKeyring(new InMemoryPersonalDataKeyStore(), randomBytes(32));
const codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());

/** The event as the log holds it: personal fields sealed by the codec, as the projection is handed them. */
async function stored(event: OrganisationEvent, streamVersion: number): Promise<RecordedEvent> {
  const recordedAt = new Date(`2027-01-1${streamVersion}T09:00:00Z`);
  const eventId = randomUUID();
  const encoded = await codec.encode(streamId, event, { eventId, actorId: 'alice', actorRole: 'grant-manager', correlationId: 'c', causationId: 'c' });
  return {
    streamId, streamVersion, position: `p${streamVersion}`, eventId, type: encoded.type, schemaVersion: encoded.schemaVersion, data: encoded.data,
    metadata: { ...encoded.metadata, recordedAt: recordedAt.toISOString() }, recordedAt,
  };
}

const registered = (contactPerson: typeof contact | null = contact): OrganisationEvent => ({
  type: 'OrganisationRegistered',
  data: { organisationId, name: 'Religious Minorities Forum', country: 'TN', legalStatus: 'registered-association', focusGroups: ['religious-minorities'], contactPerson, memberUserIds: ['u1'], registeredAt: '2027-01-10T09:00:00Z' },
});
const renamed: OrganisationEvent = { type: 'OrganisationProfileUpdated', data: { organisationId, name: 'Forum for Religious Minorities', updatedAt: '2027-01-11T09:00:00Z' } };
const contactReplaced: OrganisationEvent = { type: 'OrganisationProfileUpdated', data: { organisationId, contactPerson: newContact, updatedAt: '2027-01-11T09:00:00Z' } };
const checked: OrganisationEvent = { type: 'DueDiligenceRecorded', data: { organisationId, outcome: 'passed', notes: 'ok', checkedBy: 'alice', recordedAt: '2027-01-12T09:00:00Z' } };
const erased: OrganisationEvent = { type: 'OrganisationPersonalDataErased', data: { organisationId, reason: 'request', requestedBy: 'dpo', erasedAt: '2027-01-13T09:00:00Z' } };

// Every behaviour twice: one event per transaction (apply), and each call's events as one batch (applyBatch, the live runtime's path).
describe.each(['apply', 'applyBatch'] as const)('organisations projection (%s)', (mode) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const projection = new OrganisationsProjection();

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  beforeEach(() => dataSource.query('TRUNCATE organisations'));

  const row = async () =>
    (await dataSource.query(
      'SELECT name, contact_person, due_diligence_outcome, personal_data_erased, version FROM organisations WHERE id = $1',
      [organisationId],
    ))[0];
  const applyAll = async (events: RecordedEvent[]) => {
    if (mode === 'applyBatch') await dataSource.transaction((tx) => projection.applyBatch(events, tx));
    else for (const event of events) await dataSource.transaction((tx) => projection.apply(event, tx));
  };
  const open = async (sealed: unknown) => (await new SealedPersonalData(keyring).open([{ subject: streamId, field: sealed as never }]))[0];

  it('reads events sealed: upcast, personal fields still encrypted', () => {
    expect(projection.input).toBe('sealed');
  });

  it('keeps the contact person sealed as the log holds it, bound to its event, and changes nothing when the same events are applied twice', async () => {
    const events = [await stored(registered(), 0), await stored(renamed, 1), await stored(checked, 2)];
    await applyAll(events);
    const once = await row();
    await applyAll(events);
    expect(await row()).toEqual(once);
    expect(once).toEqual({
      name: 'Forum for Religious Minorities', contact_person: { ...(events[0].data as { contactPerson: object }).contactPerson, eventId: events[0].eventId, path: 'contactPerson' },
      due_diligence_outcome: 'passed', personal_data_erased: false, version: 2,
    });
    expect(once.contact_person.$pii).toMatchObject({ subject: streamId, kid: expect.any(String), ct: expect.any(String) });
    for (const text of [contact.name, contact.email, contact.phone, 'Test Person']) expect(JSON.stringify(once)).not.toContain(text);
    // Opened in memory with the live key, it is the contact person.
    expect(await open(once.contact_person)).toEqual(contact);
  });

  it('replaces the sealed contact when a new one is recorded', async () => {
    const update = await stored(contactReplaced, 1);
    await applyAll([await stored(registered(), 0), update]);
    const after = await row();
    expect(after).toMatchObject({ contact_person: { eventId: update.eventId, path: 'contactPerson' }, personal_data_erased: false, version: 1 });
    expect(await open(after.contact_person)).toEqual(newContact);
  });

  it('drops the sealed contact on erasure, and a late replay of an older event does not bring it back', async () => {
    const history = [await stored(registered(), 0), await stored(renamed, 1), await stored(erased, 2)];
    await applyAll(history);
    expect(await row()).toMatchObject({ contact_person: null, personal_data_erased: true, name: 'Forum for Religious Minorities' });
    await applyAll(history.slice(0, 1));
    expect(await row()).toMatchObject({ contact_person: null, personal_data_erased: true, version: 2 });
  });

  it('refuses a contact person in clear (a decoded event, or clear text in the log): nothing is written', async () => {
    const event = await stored(registered(), 0);
    const decoded = await codec.decode(event);
    await expect(dataSource.transaction((tx) => projection.apply(decoded, tx))).rejects.toBeInstanceOf(PersonalDataNotSealedError);
    expect(await row()).toBeUndefined();
  });

  it('refuses an event stored at a schema version it does not read (stored events are not upcast)', async () => {
    const event = { ...(await stored(renamed, 1)), schemaVersion: 2 };
    await expect(dataSource.transaction((tx) => projection.apply(event, tx))).rejects.toThrow(/schema version 2/);
  });

  describe('publication consent', () => {
    const consent = async () => (await dataSource.query('SELECT publication_consent FROM organisations WHERE id = $1', [organisationId]))[0]?.publication_consent;
    const consentChanged = (publicationConsent: 'withheld' | 'public', updatedAt = '2027-01-11T09:00:00Z'): OrganisationEvent => ({
      type: 'OrganisationProfileUpdated',
      data: { organisationId, publicationConsent, updatedAt },
    });
    const withdrawals = async () =>
      ((await dataSource.query('SELECT consent_withdrawals FROM organisations WHERE id = $1', [organisationId]))[0]?.consent_withdrawals as Date[]).map((at) => at.toISOString());

    it('records each withdrawal of consent (public → withheld) at its time, and nothing else: a new pseudonym starts there', async () => {
      await applyAll([
        await stored(registered(), 0),
        await stored(consentChanged('withheld', '2027-01-11T09:00:00Z'), 1), // withheld already: no withdrawal
        await stored(consentChanged('public', '2027-02-01T09:00:00Z'), 2),
        await stored(consentChanged('public', '2027-02-02T09:00:00Z'), 3),
        await stored(consentChanged('withheld', '2027-03-01T09:00:00Z'), 4),
        await stored(renamed, 5),
      ]);
      expect(await withdrawals()).toEqual(['2027-03-01T09:00:00.000Z']);
      await applyAll([await stored(consentChanged('public', '2027-04-01T09:00:00Z'), 6), await stored(consentChanged('withheld', '2027-05-01T09:00:00Z'), 7)]);
      expect(await withdrawals()).toEqual(['2027-03-01T09:00:00.000Z', '2027-05-01T09:00:00.000Z']);
      await applyAll([await stored(consentChanged('withheld', '2027-06-01T09:00:00Z'), 7)]); // the same version again: nothing twice
      expect(await withdrawals()).toEqual(['2027-03-01T09:00:00.000Z', '2027-05-01T09:00:00.000Z']);
    });

    it('reads an organisation registered before consent existed (no field in the event) as withheld', async () => {
      await applyAll([await stored(registered(), 0)]);
      expect(await consent()).toBe('withheld');
    });

    it('follows the organisation\'s choice, and a profile update without it keeps the last choice', async () => {
      const publicAtRegistration = registered();
      (publicAtRegistration.data as { publicationConsent?: string }).publicationConsent = 'public';
      await applyAll([await stored(publicAtRegistration, 0), await stored(renamed, 1)]);
      expect(await consent()).toBe('public');
      await applyAll([await stored(consentChanged('withheld'), 2)]);
      expect(await consent()).toBe('withheld');
      await applyAll([await stored(consentChanged('public'), 1)]); // a late replay of an older version changes nothing
      expect(await consent()).toBe('withheld');
    });
  });
});
