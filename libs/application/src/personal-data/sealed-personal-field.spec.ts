import { randomBytes, randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import { schemaRegistry } from '../event-store.module';
import { EncryptingEventCodec } from './encrypting-event-codec';
import { PersonalDataIntegrityError, PersonalDataNotSealedError } from '@app/personal-data/personal-data.errors';
import { InMemoryPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { personalDataPolicy } from './personal-data.policy';
import { type SealedPersonalField, SealedPersonalData, sealedFieldOf, storedPersonalTextOf } from '@app/personal-data/sealed-personal-field';

const ORG = 'c0d1e2f3-a4b5-4c6d-8e7f-901a2b3c4d5e';
const STREAM = `organisation-${ORG}`;
const OTHER_STREAM = 'organisation-0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
const CONTACT = { name: 'Amal Testperson', email: 'amal.testperson@example.org' };

function setup() {
  const store = new InMemoryPersonalDataKeyStore();
  const masterKey = randomBytes(32);
  // Two processes over one key store: each with its own cache of keys.
  const api = new PersonalDataKeyring(store, masterKey, { cacheTtlMs: 60_000 });
  const other = new PersonalDataKeyring(store, masterKey, { cacheTtlMs: 60_000 });
  const codec = new EncryptingEventCodec(schemaRegistry(), other, personalDataPolicy());
  return { api, other, codec, sealed: new SealedPersonalData(api) };
}

async function storedRegistration(codec: EncryptingEventCodec, streamId = STREAM, contactPerson: unknown = CONTACT): Promise<RecordedEvent> {
  const eventId = randomUUID();
  const data = { organisationId: ORG, name: 'Org', country: 'LB', legalStatus: 'other', focusGroups: [], contactPerson, memberUserIds: [], registeredAt: '2027-01-10T09:00:00Z' };
  const encoded = await codec.encode(streamId, { type: 'OrganisationRegistered', data }, { eventId, actorId: 'a', actorRole: 'admin', correlationId: 'c', causationId: 'c' });
  const recordedAt = new Date('2027-01-10T09:00:00Z');
  return {
    streamId, streamVersion: 0, position: '1', eventId, type: encoded.type, schemaVersion: encoded.schemaVersion, data: encoded.data,
    metadata: { ...encoded.metadata, recordedAt: recordedAt.toISOString() }, recordedAt,
  };
}

describe('sealed personal fields (kept in read models, opened on read)', () => {
  it('lifts a field out of a stored event as the log holds it, bound to its event and path', async () => {
    const { codec } = setup();
    const event = await storedRegistration(codec);
    const field = sealedFieldOf(event, 'contactPerson');
    expect(field).toEqual({ $pii: (event.data as { contactPerson: { $pii: unknown } }).contactPerson.$pii, eventId: event.eventId, path: 'contactPerson' });
    expect(JSON.stringify(field)).not.toContain('Testperson');
    expect(sealedFieldOf(event, 'absent')).toBeUndefined();
    expect(sealedFieldOf(await storedRegistration(codec, STREAM, null), 'contactPerson')).toBeNull();
  });

  it('refuses a field in clear: a decoded event, or clear text in the log', async () => {
    const { codec } = setup();
    const decoded = await codec.decode(await storedRegistration(codec));
    expect(() => sealedFieldOf(decoded, 'contactPerson')).toThrow(PersonalDataNotSealedError);
  });

  it('opens with the live key, and reads as erased as soon as the key is destroyed — by any process, whatever its cache holds', async () => {
    const { api, other, codec, sealed } = setup();
    const field = sealedFieldOf(await storedRegistration(codec), 'contactPerson') as SealedPersonalField;
    expect(await sealed.open([{ subject: STREAM, field }])).toEqual([CONTACT]);
    // The API process has the key cached for its codec…
    const kid = field.$pii.kid;
    expect(await api.decryptionKey(STREAM, kid)).not.toBeNull();
    // …another process erases it…
    await other.erase(STREAM);
    // …the cache would still hand it out, the read side does not ask the cache.
    expect(await api.decryptionKey(STREAM, kid)).not.toBeNull();
    expect(await sealed.open([{ subject: STREAM, field }])).toEqual([null]);
  });

  it('keeps a field made before an erasure unreadable once the subject has a new key', async () => {
    const { other, codec, sealed } = setup();
    const before = sealedFieldOf(await storedRegistration(codec), 'contactPerson') as SealedPersonalField;
    await other.erase(STREAM);
    const after = sealedFieldOf(await storedRegistration(codec), 'contactPerson') as SealedPersonalField;
    expect(after.$pii.kid).not.toBe(before.$pii.kid);
    expect(await sealed.open([{ subject: STREAM, field: before }, { subject: STREAM, field: after }])).toEqual([null, CONTACT]);
  });

  it('opens many fields of many subjects at once, in order; a subject that never had a key reads as erased', async () => {
    const { codec, sealed } = setup();
    const mine = sealedFieldOf(await storedRegistration(codec), 'contactPerson') as SealedPersonalField;
    const theirs = sealedFieldOf(await storedRegistration(codec, OTHER_STREAM, { name: 'B', email: 'b@example.org' }), 'contactPerson') as SealedPersonalField;
    const unknownSubject = 'organisation-ffffffff-ffff-4fff-8fff-ffffffffffff';
    const orphan = { ...theirs, $pii: { ...theirs.$pii, subject: unknownSubject } };
    expect(await sealed.open([{ subject: OTHER_STREAM, field: theirs }, { subject: STREAM, field: mine }, { subject: unknownSubject, field: orphan }])).toEqual([
      { name: 'B', email: 'b@example.org' }, CONTACT, null,
    ]);
    expect(await sealed.open([])).toEqual([]);
  });

  it('refuses a field moved to another subject, event or path, or altered', async () => {
    const { codec, sealed } = setup();
    const field = sealedFieldOf(await storedRegistration(codec), 'contactPerson') as SealedPersonalField;
    const attempts: SealedPersonalField[] = [
      { ...field, eventId: randomUUID() },
      { ...field, path: 'name' },
      { ...field, $pii: { ...field.$pii, ct: Buffer.from('tampered').toString('base64') } },
    ];
    for (const moved of attempts) await expect(sealed.open([{ subject: STREAM, field: moved }])).rejects.toBeInstanceOf(PersonalDataIntegrityError);
    // Filed under another organisation: the envelope names its own subject.
    await expect(sealed.open([{ subject: OTHER_STREAM, field }])).rejects.toBeInstanceOf(PersonalDataIntegrityError);
  });

  it('keeps text recorded in clear before it was personal data as it is, and opens sealed text beside it (redress grounds)', async () => {
    const { other, codec, sealed } = setup();
    const proposalStream = `proposal-${randomUUID()}`;
    const grounds = 'Named in the annex: Yusuf Testperson';
    const data = { proposalId: 'p', requestId: 'r', organisationId: ORG, grounds, requestedBy: 'a', windowEndsAt: 'x', requestedAt: 'x' };
    const eventId = randomUUID();
    const encoded = await codec.encode(proposalStream, { type: 'RedressRequested', data }, { eventId, actorId: 'a', actorRole: 'applicant', correlationId: 'c', causationId: 'c' });
    const recordedAt = new Date('2027-01-10T09:00:00Z');
    const stored: RecordedEvent = { streamId: proposalStream, streamVersion: 5, position: '9', eventId, type: encoded.type, schemaVersion: 1, data: encoded.data, metadata: { ...encoded.metadata, recordedAt: recordedAt.toISOString() }, recordedAt };
    const legacy: RecordedEvent = { ...stored, eventId: randomUUID(), data: { ...data, grounds: 'Recorded in clear' } };

    const field = storedPersonalTextOf(stored, 'grounds') as SealedPersonalField;
    expect(JSON.stringify(field)).not.toContain('Testperson');
    expect(field).toMatchObject({ eventId, path: 'grounds', $pii: { subject: STREAM } });
    expect(storedPersonalTextOf(legacy, 'grounds')).toBe('Recorded in clear');
    expect(storedPersonalTextOf({ ...legacy, data: { ...data, grounds: null } }, 'grounds')).toBeNull();

    const texts = [{ subject: STREAM, field }, { subject: STREAM, field: 'Recorded in clear' }, { subject: STREAM, field: null }];
    expect(await sealed.openText(texts)).toEqual([grounds, 'Recorded in clear', null]);
    await other.erase(STREAM);
    // Erased: the sealed text reads null; the clear one was never sealed, and the log still holds it.
    expect(await sealed.openText(texts)).toEqual([null, 'Recorded in clear', null]);
  });
});
