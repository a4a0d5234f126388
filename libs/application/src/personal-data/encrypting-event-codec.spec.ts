import { randomBytes, randomUUID } from 'node:crypto';
import type { EventMetadata, NewEvent, RecordedEvent } from '@app/event-store';
import { schemaRegistry } from '../event-store.module';
import { EncryptingEventCodec, isPersonalDataEnvelope, type PersonalDataEnvelope } from './encrypting-event-codec';
import { PersonalDataIntegrityError } from '@app/personal-data/personal-data.errors';
import { InMemoryPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { personalDataPolicy } from './personal-data.policy';

const ORG = 'a3c1d9e2-5b7f-4c11-8e2a-0f9d3b6c7e14';
const STREAM = `organisation-${ORG}`;
const OTHER_STREAM = 'organisation-0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
const CONTACT = { name: 'Nour Khalidi-Testperson', email: 'nour.khalidi@bidoun-rights.example', phone: '+961 70 123 456' };

const registered = (contactPerson: typeof CONTACT | null = CONTACT) => ({
  type: 'OrganisationRegistered',
  data: {
    organisationId: ORG,
    name: 'Bidoun Rights Collective',
    country: 'LB',
    legalStatus: 'unregistered-group',
    focusGroups: ['stateless-people'],
    contactPerson,
    memberUserIds: ['user-1'],
    registeredAt: '2027-01-10T09:00:00.000Z',
  },
});

const metadata = (): EventMetadata => ({ eventId: randomUUID(), actorId: 'gm-1', actorRole: 'grant-manager', correlationId: 'c', causationId: 'c' });

let version = 0;
function asRecorded(streamId: string, event: NewEvent): RecordedEvent {
  const recordedAt = new Date('2027-01-10T09:00:00Z');
  return {
    streamId,
    streamVersion: version++,
    position: String(version),
    eventId: event.metadata.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: { ...event.metadata, recordedAt: recordedAt.toISOString() },
    recordedAt,
  };
}

function setup(options: { now?: () => number } = {}) {
  const store = new InMemoryPersonalDataKeyStore();
  const masterKey = randomBytes(32);
  const keyring = new PersonalDataKeyring(store, masterKey, { cacheTtlMs: 1_000, now: options.now });
  const codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());
  return { store, masterKey, keyring, codec };
}

const envelopeOf = (event: NewEvent | RecordedEvent, path = 'contactPerson') => (event.data as Record<string, unknown>)[path] as PersonalDataEnvelope;

describe('EncryptingEventCodec', () => {
  it('round-trips an event with personal data and stamps the schema version', async () => {
    const { codec } = setup();
    const encoded = await codec.encode(STREAM, registered(), metadata());
    expect(encoded.schemaVersion).toBe(1);
    const decoded = await codec.decode(asRecorded(STREAM, encoded));
    expect(decoded.data).toEqual(registered().data);
  });

  it('leaves no clear text of a personal field in the stored event, only an envelope', async () => {
    const { codec } = setup();
    const encoded = await codec.encode(STREAM, registered(), metadata());
    const stored = JSON.stringify(encoded);
    for (const clear of [CONTACT.name, CONTACT.email, CONTACT.phone, 'Khalidi', 'bidoun-rights.example', '123 456']) expect(stored).not.toContain(clear);
    expect(envelopeOf(encoded)).toEqual({
      $pii: { v: 1, subject: STREAM, kid: expect.any(String), iv: expect.any(String), ct: expect.any(String), tag: expect.any(String) },
    });
    // Everything that is not personal stays readable in the log.
    expect(encoded.data).toMatchObject({ name: 'Bidoun Rights Collective', country: 'LB', focusGroups: ['stateless-people'] });
  });

  it('uses a fresh IV for every field it encrypts, and does not touch the caller\'s event', async () => {
    const { codec } = setup();
    const event = registered();
    const a = await codec.encode(STREAM, event, metadata());
    const b = await codec.encode(STREAM, event, metadata());
    expect(envelopeOf(a).$pii.iv).not.toBe(envelopeOf(b).$pii.iv);
    expect(envelopeOf(a).$pii.ct).not.toBe(envelopeOf(b).$pii.ct);
    expect(envelopeOf(a).$pii.kid).toBe(envelopeOf(b).$pii.kid); // one key per subject
    expect(event.data.contactPerson).toEqual(CONTACT);
  });

  it('passes events without personal data, and absent or null personal fields, through unchanged', async () => {
    const { codec, store } = setup();
    const dueDiligence = { type: 'DueDiligenceRecorded', data: { organisationId: ORG, outcome: 'passed', notes: 'ok', checkedBy: 'gm-1', recordedAt: 'x' } };
    expect((await codec.encode(STREAM, dueDiligence, metadata())).data).toBe(dueDiligence.data);
    const nameOnly = { type: 'OrganisationProfileUpdated', data: { organisationId: ORG, name: 'Renamed', updatedAt: 'x' } };
    const encoded = await codec.encode(STREAM, nameOnly, metadata());
    expect(encoded.data).toEqual(nameOnly.data);
    expect('contactPerson' in (encoded.data as object)).toBe(false);
    expect(await codec.decode(asRecorded(STREAM, encoded))).toMatchObject({ data: nameOnly.data });
    expect((await codec.encode(STREAM, registered(null), metadata())).data).toMatchObject({ contactPerson: null });
    expect(store.rows.size).toBe(0); // no key is created for a subject with nothing to protect
  });

  it('encrypts grant signatories under the grant as subject', async () => {
    const { codec } = setup();
    const grantStream = `grant-${randomUUID()}`;
    const signed = { type: 'GrantAgreementSigned', data: { grantId: 'g', signedAt: 'x', signatories: [{ name: 'Samira Testperson', role: 'Director' }] } };
    const encoded = await codec.encode(grantStream, signed, metadata());
    expect(JSON.stringify(encoded)).not.toContain('Samira');
    expect(envelopeOf(encoded, 'signatories').$pii.subject).toBe(grantStream);
    expect((await codec.decode(asRecorded(grantStream, encoded))).data).toEqual(signed.data);
  });

  it("encrypts a partner's mandate and redress grounds under the organisation that wrote them, not the proposal", async () => {
    const { codec, keyring } = setup();
    const proposalStream = `proposal-${randomUUID()}`;
    const mandate = 'Board resolution signed by Rania Testperson, chair';
    const grounds = 'Our treasurer Walid Testperson was named in the annex the panel ignored';
    const accepted = { type: 'PartnerInvitationAccepted', data: { proposalId: 'p', organisationId: ORG, acceptedBy: 'applicant-1', mandateStatement: mandate, termsVersion: 1, acceptedAt: 'x' } };
    const requested = { type: 'RedressRequested', data: { proposalId: 'p', requestId: 'r', organisationId: ORG, grounds, requestedBy: 'applicant-1', windowEndsAt: 'x', requestedAt: 'x' } };
    const stored = [asRecorded(proposalStream, await codec.encode(proposalStream, accepted, metadata())), asRecorded(proposalStream, await codec.encode(proposalStream, requested, metadata()))];
    expect(JSON.stringify(stored)).not.toMatch(/Testperson|Rania|Walid/);
    expect([envelopeOf(stored[0], 'mandateStatement').$pii.subject, envelopeOf(stored[1], 'grounds').$pii.subject]).toEqual([STREAM, STREAM]);
    expect((await codec.decode(stored[0])).data).toEqual(accepted.data);
    expect((await codec.decode(stored[1])).data).toEqual(requested.data);

    // Erasing the organisation shreds both; the rest of each event stays as it was.
    await keyring.erase(STREAM);
    expect((await codec.decode(stored[0])).data).toEqual({ ...accepted.data, mandateStatement: null });
    expect((await codec.decode(stored[1])).data).toEqual({ ...requested.data, grounds: null });
  });

  it('passes a mandate or grounds recorded in clear (before they were personal data) through as they are, also after an erasure', async () => {
    const { codec, keyring } = setup();
    const proposalStream = `proposal-${randomUUID()}`;
    const legacy = { type: 'RedressRequested', schemaVersion: 1, data: { proposalId: 'p', requestId: 'r', organisationId: ORG, grounds: 'Recorded in clear', requestedBy: 'a', windowEndsAt: 'x', requestedAt: 'x' }, metadata: metadata() };
    await keyring.erase(STREAM);
    expect((await codec.decode(asRecorded(proposalStream, legacy))).data).toEqual(legacy.data);
  });

  describe('tamper detection', () => {
    const tampered = async (change: (envelope: PersonalDataEnvelope['$pii']) => void) => {
      const { codec } = setup();
      const recorded = asRecorded(STREAM, await codec.encode(STREAM, registered(), metadata()));
      change(envelopeOf(recorded).$pii);
      return codec.decode(recorded);
    };
    const flip = (base64: string) => {
      const bytes = Buffer.from(base64, 'base64');
      bytes[0] ^= 0x01;
      return bytes.toString('base64');
    };

    it('refuses an altered ciphertext, tag or IV', async () => {
      await expect(tampered((e) => (e.ct = flip(e.ct)))).rejects.toBeInstanceOf(PersonalDataIntegrityError);
      await expect(tampered((e) => (e.tag = flip(e.tag)))).rejects.toBeInstanceOf(PersonalDataIntegrityError);
      await expect(tampered((e) => (e.iv = flip(e.iv)))).rejects.toBeInstanceOf(PersonalDataIntegrityError);
      await expect(tampered((e) => (e.v = 2))).rejects.toBeInstanceOf(PersonalDataIntegrityError);
    });

    it('names where the check failed, never the personal data', async () => {
      const error = (await tampered((e) => (e.ct = flip(e.ct))).catch((e: unknown) => e)) as Error;
      expect(error.message).toContain(STREAM);
      expect(error.message).not.toContain(CONTACT.email);
    });
  });

  describe('additional authenticated data binds a ciphertext to its subject, event and field', () => {
    it('refuses an envelope moved to another event of the same stream', async () => {
      const { codec } = setup();
      const source = await codec.encode(STREAM, registered(), metadata());
      const target = asRecorded(STREAM, await codec.encode(STREAM, registered({ ...CONTACT, name: 'Someone Else' }), metadata()));
      (target.data as Record<string, unknown>).contactPerson = envelopeOf(source);
      await expect(codec.decode(target)).rejects.toBeInstanceOf(PersonalDataIntegrityError);
    });

    it('refuses an envelope moved to another stream, even with its subject rewritten', async () => {
      const { codec } = setup();
      const event = metadata();
      const moved = asRecorded(OTHER_STREAM, await codec.encode(STREAM, registered(), event));
      await expect(codec.decode(moved)).rejects.toBeInstanceOf(PersonalDataIntegrityError);
      // The other subject has a key of its own: rewriting the subject does not make the ciphertext readable.
      await codec.encode(OTHER_STREAM, registered(), metadata());
      envelopeOf(moved).$pii.subject = OTHER_STREAM;
      // Its key id is not the other subject's key, so it reads as a key that no longer exists.
      expect((await codec.decode(moved)).data).toMatchObject({ contactPerson: null });
    });

    it('refuses an envelope moved to another field', async () => {
      const { codec } = setup();
      const signed = asRecorded(`grant-${ORG}`, await codec.encode(`grant-${ORG}`, { type: 'GrantAgreementSigned', data: { grantId: ORG, signedAt: 'x', signatories: [{ name: 'A', role: 'B' }] } }, metadata()));
      const asContact = { ...signed, type: 'OrganisationRegistered', data: { ...registered().data, contactPerson: envelopeOf(signed, 'signatories') } };
      await expect(codec.decode({ ...asContact, streamId: `grant-${ORG}` })).rejects.toBeInstanceOf(PersonalDataIntegrityError);
    });
  });

  describe('crypto-shredding', () => {
    it('decodes a personal field as null once its subject is erased, and keeps the rest of the event', async () => {
      const { codec, keyring, store } = setup();
      const recorded = asRecorded(STREAM, await codec.encode(STREAM, registered(), metadata()));
      expect(await keyring.erase(STREAM)).toBe(true);
      const decoded = await codec.decode(recorded);
      expect(decoded.data).toEqual({ ...registered().data, contactPerson: null });
      expect(store.rows.get(STREAM)).toMatchObject({ wrappedKey: null, erasedAt: expect.any(Date) });
      expect(await keyring.erase(STREAM)).toBe(false); // idempotent
    });

    it('gives a subject a fresh key for personal data recorded after an erasure; the old data stays erased', async () => {
      const { codec, keyring } = setup();
      const before = asRecorded(STREAM, await codec.encode(STREAM, registered(), metadata()));
      await keyring.erase(STREAM);
      const newContact = { name: 'Karim Testperson', email: 'karim@bidoun-rights.example' };
      const after = asRecorded(STREAM, await codec.encode(STREAM, { type: 'OrganisationProfileUpdated', data: { organisationId: ORG, contactPerson: newContact, updatedAt: 'x' } }, metadata()));
      expect(envelopeOf(after).$pii.kid).not.toBe(envelopeOf(before).$pii.kid);
      expect((await codec.decode(before)).data).toMatchObject({ contactPerson: null });
      expect((await codec.decode(after)).data).toMatchObject({ contactPerson: newContact });
    });

    it('does not keep decrypting with a key erased by another process for longer than the cache TTL', async () => {
      let now = 0;
      const store = new InMemoryPersonalDataKeyStore();
      const masterKey = randomBytes(32);
      const thisProcess = new EncryptingEventCodec(schemaRegistry(), new PersonalDataKeyring(store, masterKey, { cacheTtlMs: 1_000, now: () => now }), personalDataPolicy());
      const otherProcess = new PersonalDataKeyring(store, masterKey);
      const recorded = asRecorded(STREAM, await thisProcess.encode(STREAM, registered(), metadata()));
      expect((await thisProcess.decode(recorded)).data).toMatchObject({ contactPerson: CONTACT });
      await otherProcess.erase(STREAM);
      now += 1_001;
      expect((await thisProcess.decode(recorded)).data).toMatchObject({ contactPerson: null });
    });

    it('never encrypts new data under a key erased by another process, even while it is cached', async () => {
      const store = new InMemoryPersonalDataKeyStore();
      const masterKey = randomBytes(32);
      const thisProcess = new EncryptingEventCodec(schemaRegistry(), new PersonalDataKeyring(store, masterKey, { cacheTtlMs: 60_000 }), personalDataPolicy());
      const first = await thisProcess.encode(STREAM, registered(), metadata());
      await new PersonalDataKeyring(store, masterKey).erase(STREAM);
      const second = asRecorded(STREAM, await thisProcess.encode(STREAM, registered(), metadata()));
      expect(envelopeOf(second).$pii.kid).not.toBe(envelopeOf(first).$pii.kid);
      expect((await thisProcess.decode(second)).data).toMatchObject({ contactPerson: CONTACT });
    });
  });

  describe('the keyring', () => {
    it('stores data keys only wrapped, bound to their subject, and needs the right master key', async () => {
      const { codec, store } = setup();
      const recorded = asRecorded(STREAM, await codec.encode(STREAM, registered(), metadata()));
      const row = store.rows.get(STREAM);
      expect(row?.wrappedKey?.length).toBe(1 + 12 + 16 + 32);
      const otherMaster = new EncryptingEventCodec(schemaRegistry(), new PersonalDataKeyring(store, randomBytes(32)), personalDataPolicy());
      await expect(otherMaster.decode(recorded)).rejects.toThrow(/cannot be unwrapped/);
      expect(isPersonalDataEnvelope(envelopeOf(recorded))).toBe(true);
    });

    it('refuses a master key that is not 32 bytes', () => {
      expect(() => new PersonalDataKeyring(new InMemoryPersonalDataKeyStore(), randomBytes(16))).toThrow(/32 bytes/);
    });
  });
});
