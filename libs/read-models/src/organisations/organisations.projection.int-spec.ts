import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import type { OrganisationEvent } from '@app/grants/organisation';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import { OrganisationsProjection } from './organisations.projection';

const organisationId = '9e1b7c2d-3f4a-4b5c-8d6e-7f8091a2b3c4';
const contact = { name: 'Test Person', email: 'test.person@example.org', phone: '+216 71 000 000' };

function recorded(event: OrganisationEvent, streamVersion: number): RecordedEvent {
  const recordedAt = new Date(`2027-01-1${streamVersion}T09:00:00Z`);
  return {
    streamId: `organisation-${organisationId}`, streamVersion, position: `p${streamVersion}`, eventId: randomUUID(), type: event.type, schemaVersion: 1, data: event.data,
    metadata: { eventId: randomUUID(), actorId: 'alice', actorRole: 'grant-manager', correlationId: 'c', causationId: 'c', recordedAt: recordedAt.toISOString() },
    recordedAt,
  };
}

const registered = (contactPerson: typeof contact | null): OrganisationEvent => ({
  type: 'OrganisationRegistered',
  data: { organisationId, name: 'Religious Minorities Forum', country: 'TN', legalStatus: 'registered-association', focusGroups: ['religious-minorities'], contactPerson, memberUserIds: ['u1'], registeredAt: '2027-01-10T09:00:00Z' },
});
const renamed: OrganisationEvent = { type: 'OrganisationProfileUpdated', data: { organisationId, name: 'Forum for Religious Minorities', updatedAt: '2027-01-11T09:00:00Z' } };
const checked: OrganisationEvent = { type: 'DueDiligenceRecorded', data: { organisationId, outcome: 'passed', notes: 'ok', checkedBy: 'alice', recordedAt: '2027-01-12T09:00:00Z' } };
const erased: OrganisationEvent = { type: 'OrganisationPersonalDataErased', data: { organisationId, reason: 'request', requestedBy: 'dpo', erasedAt: '2027-01-13T09:00:00Z' } };

describe('organisations projection', () => {
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
      'SELECT name, contact_name, contact_email, contact_phone, due_diligence_outcome, personal_data_erased, version FROM organisations WHERE id = $1',
      [organisationId],
    ))[0];
  const applyAll = async (events: RecordedEvent[]) => {
    for (const event of events) await dataSource.transaction((tx) => projection.apply(event, tx));
  };

  it('changes nothing when the same events are applied twice', async () => {
    const events = [recorded(registered(contact), 0), recorded(renamed, 1), recorded(checked, 2)];
    await applyAll(events);
    const once = await row();
    await applyAll(events);
    expect(await row()).toEqual(once);
    expect(once).toEqual({
      name: 'Forum for Religious Minorities', contact_name: contact.name, contact_email: contact.email, contact_phone: contact.phone,
      due_diligence_outcome: 'passed', personal_data_erased: false, version: 2,
    });
  });

  it('purges the decrypted contact on erasure, and a late replay of an older event does not bring it back', async () => {
    const history = [recorded(registered(contact), 0), recorded(renamed, 1), recorded(erased, 2)];
    await applyAll(history);
    expect(await row()).toMatchObject({ contact_name: null, contact_email: null, contact_phone: null, personal_data_erased: true, name: 'Forum for Religious Minorities' });
    await applyAll(history.slice(0, 1));
    expect(await row()).toMatchObject({ contact_name: null, personal_data_erased: true, version: 2 });
  });

  it('builds the same erased answer from a shredded log (contact decoded as null)', async () => {
    await applyAll([recorded(registered(null), 0), recorded(renamed, 1), recorded(erased, 2)]);
    expect(await row()).toMatchObject({ contact_name: null, contact_email: null, personal_data_erased: true, version: 2 });
  });

  describe('publication consent', () => {
    const consent = async () => (await dataSource.query('SELECT publication_consent FROM organisations WHERE id = $1', [organisationId]))[0]?.publication_consent;
    const consentChanged = (publicationConsent: 'withheld' | 'public'): OrganisationEvent => ({
      type: 'OrganisationProfileUpdated',
      data: { organisationId, publicationConsent, updatedAt: '2027-01-11T09:00:00Z' },
    });

    it('reads an organisation registered before consent existed (no field in the event) as withheld', async () => {
      await applyAll([recorded(registered(contact), 0)]);
      expect(await consent()).toBe('withheld');
    });

    it('follows the organisation\'s choice, and a profile update without it keeps the last choice', async () => {
      const publicAtRegistration = registered(contact);
      (publicAtRegistration.data as { publicationConsent?: string }).publicationConsent = 'public';
      await applyAll([recorded(publicAtRegistration, 0), recorded(renamed, 1)]);
      expect(await consent()).toBe('public');
      await applyAll([recorded(consentChanged('withheld'), 2)]);
      expect(await consent()).toBe('withheld');
      await applyAll([recorded(consentChanged('public'), 1)]); // a late replay of an older version changes nothing
      expect(await consent()).toBe('withheld');
    });
  });
});
