import { randomBytes, randomUUID } from 'node:crypto';
import { PostgresEventStore, type RecordedEvent } from '@app/event-store';
import { databaseOptions } from '../database-options';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { organisationDecider, organisationStreamName, type OrganisationCommand } from '@app/domain/organisation';
import type { CommandContext } from '../command-context';
import { schemaRegistry } from '../event-store.module';
import { StreamCommandExecutor } from '../stream-command-executor';
import { EncryptingEventCodec } from './encrypting-event-codec';
import { PostgresPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { PersonalDataErasureReaction } from './personal-data-erasure.reaction';
import { personalDataPolicy } from './personal-data.policy';

const context: CommandContext = { actor: { id: 'dpo', role: 'admin' }, correlationId: 'c', causationId: 'c' };
const contact = { name: 'Test Person', email: 'test.person@example.org' };

describe('personal-data keys in PostgreSQL', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let eventStore: PostgresEventStore;
  let keyStore: PostgresPersonalDataKeyStore;
  let keyring: PersonalDataKeyring;
  let codec: EncryptingEventCodec;
  let executor: StreamCommandExecutor;
  const masterKey = randomBytes(32);
  const reaction = new PersonalDataErasureReaction(personalDataPolicy());

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(databaseOptions(db.url)).initialize();
    eventStore = new PostgresEventStore({ connectionString: db.url });
    keyStore = new PostgresPersonalDataKeyStore(db.url);
    keyring = new PersonalDataKeyring(keyStore, masterKey);
    codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());
    executor = new StreamCommandExecutor(eventStore, codec);
    keyring.onForget(() => executor.forgetFoldedStates()); // as EventStoreModule wires them
  });

  afterAll(async () => {
    await keyring.close();
    await eventStore.close();
    await dataSource.destroy();
    await db.drop();
  });

  const run = (organisationId: string, command: Omit<OrganisationCommand, 'now'>) =>
    executor.execute(organisationDecider, organisationStreamName(organisationId), organisationId, { ...command, now: new Date().toISOString() } as OrganisationCommand, context);
  const register = (organisationId: string) =>
    run(organisationId, { type: 'RegisterOrganisation', data: { organisationId, name: 'Org', country: 'LB', legalStatus: 'other', focusGroups: [], contactPerson: contact } });
  const appendErasure = (organisationId: string) =>
    run(organisationId, { type: 'EraseOrganisationPersonalData', data: { organisationId, reason: 'request', requestedBy: 'dpo' } });
  const react = async (organisationId: string) => {
    const events = await eventStore.readStream(organisationStreamName(organisationId));
    for (const event of events.filter((e) => e.type === 'OrganisationPersonalDataErased')) await dataSource.transaction((tx) => reaction.apply([event], tx));
  };
  const contactNow = async (organisationId: string) => (await executor.load(organisationDecider, organisationStreamName(organisationId))).state.contactPerson;

  it('a destroyed key is not outlived by a folded state: the next read of the stream shows the contact erased', async () => {
    const organisationId = randomUUID();
    await register(organisationId);
    expect(await contactNow(organisationId)).toEqual(contact); // folded now, and remembered for the next command
    await keyring.erase(organisationStreamName(organisationId));
    expect(await contactNow(organisationId)).toBeNull();
  });

  it('a folded state is used past 5 s (maxAgeMs) once its keys are found live, without reading its stream; a key destroyed by another process then drops it', async () => {
    const maxAgeMs = 300;
    // This process: its keyring remembers a key as long as the executor trusts a state (both 5 s in the app).
    const here = new PersonalDataKeyring(keyStore, masterKey, { cacheTtlMs: maxAgeMs });
    const shortLived = new StreamCommandExecutor(eventStore, new EncryptingEventCodec(schemaRegistry(), here, personalDataPolicy()), undefined, { maxAgeMs });
    // Another process: its own keyring on the same key store, whose erasure this executor is not told of.
    const elsewhere = new PersonalDataKeyring(keyStore, masterKey);
    const organisationId = randomUUID();
    const streamId = organisationStreamName(organisationId);
    const rename = (name: string) =>
      shortLived.execute(organisationDecider, streamId, organisationId, { type: 'UpdateOrganisationProfile', data: { organisationId, name }, now: new Date().toISOString() } as OrganisationCommand, context);
    const contactSeen = async () => (await shortLived.load(organisationDecider, streamId)).state.contactPerson;
    await register(organisationId);
    expect(await contactSeen()).toEqual(contact); // folded, with the contact decrypted
    const reads = jest.spyOn(eventStore, 'readStream');
    try {
      for (let i = 0; i < 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, maxAgeMs / 2));
        await rename(`Org ${i}`); // past maxAgeMs twice: its key looked up, the stream not read
      }
      expect(reads).not.toHaveBeenCalled();
      expect(await contactSeen()).toEqual(contact); // a load reads the tail after the state
      reads.mockClear();

      await elsewhere.erase(streamId);
      await new Promise((resolve) => setTimeout(resolve, maxAgeMs));
      expect(await contactSeen()).toBeNull();
      expect(reads.mock.calls.map(([id, options]) => [id, options?.fromVersion ?? 0])).toEqual([[streamId, 0]]); // read whole again
    } finally {
      reads.mockRestore();
    }
  });

  it('answers the live keys of many subjects in one look-up: erased and unknown subjects as null', async () => {
    const [live, erased, unknown] = [randomUUID(), randomUUID(), randomUUID()].map((id) => `organisation-${id}`);
    const liveKey = await keyring.encryptionKey(live);
    await keyring.encryptionKey(erased);
    await keyring.erase(erased);
    const keys = await keyring.liveKeys([live, erased, unknown, live]);
    expect([...keys.keys()]).toEqual([live, erased, unknown]);
    expect(keys.get(live)).toEqual(liveKey);
    expect(keys.get(erased)).toBeNull();
    expect(keys.get(unknown)).toBeNull();
    expect(await keyring.liveKeys([])).toEqual(new Map());
  });

  it('creates one key per subject even when several writers ask at once', async () => {
    const subject = `organisation-${randomUUID()}`;
    const keys = await Promise.all(Array.from({ length: 8 }, () => keyring.encryptionKey(subject)));
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(1);
    expect(new Set(keys.map((k) => k.key.toString('hex'))).size).toBe(1);
    const row = await dataSource.query('SELECT wrapped_key, erased_at FROM personal_data_keys WHERE subject = $1', [subject]);
    expect(row[0].wrapped_key).toHaveLength(61);
    expect(row[0].wrapped_key.includes(keys[0].key)).toBe(false);
  });

  it('completes an erasure whose key deletion was interrupted: the reaction destroys the key from the log', async () => {
    const organisationId = randomUUID();
    await register(organisationId);
    // The process "dies" after appending the erasure and before destroying the key.
    await appendErasure(organisationId);
    keyring.forget(organisationStreamName(organisationId));
    const replayedBeforeReaction = await codec.decode((await eventStore.readStream(organisationStreamName(organisationId)))[0]);
    expect(replayedBeforeReaction.data).toMatchObject({ contactPerson: contact }); // the gap the reaction closes

    await react(organisationId);
    keyring.forget(organisationStreamName(organisationId));
    const replayed = await codec.decode((await eventStore.readStream(organisationStreamName(organisationId)))[0]);
    expect(replayed.data).toMatchObject({ contactPerson: null, name: 'Org' });
  });

  it('spares a key created after the erasure when the reaction runs again (replay or rebuild)', async () => {
    const organisationId = randomUUID();
    const subject = organisationStreamName(organisationId);
    await register(organisationId);
    await appendErasure(organisationId);
    await keyring.erase(subject);
    const newContact = { name: 'New Person', email: 'new.person@example.org' };
    await run(organisationId, { type: 'UpdateOrganisationProfile', data: { organisationId, contactPerson: newContact } });

    await react(organisationId);
    keyring.forget(subject);
    expect(await contactNow(organisationId)).toEqual(newContact);
  });

  it('lets a retried erasure finish the job: the decider appends nothing, the key is destroyed', async () => {
    const organisationId = randomUUID();
    const subject = organisationStreamName(organisationId);
    await register(organisationId);
    const first = await appendErasure(organisationId);
    const retry = await appendErasure(organisationId);
    expect(retry.events).toEqual([]);
    expect(retry.version).toBe(first.version);
    expect(await keyring.erase(subject)).toBe(true);
    expect(await contactNow(organisationId)).toBeNull();
    expect(await keyring.erase(subject)).toBe(false);
  });
  it("destroys the keys of the organisation's grants from the awards it was handed, though the grants read model has not projected them", async () => {
    const organisationId = randomUUID();
    const [lagging, listed, elses] = [randomUUID(), randomUUID(), randomUUID()];
    await register(organisationId);
    // Keys for three grants' signatories; the grants read model knows none of these grants (it lags).
    for (const grantId of [lagging, listed, elses]) await keyring.encryptionKey(`grant-${grantId}`);
    const awarded = (grantId: string, granteeOrganisationId: string): RecordedEvent => ({
      streamId: `grant-${grantId}`, streamVersion: 0, position: '1', eventId: randomUUID(), type: 'GrantAwarded', schemaVersion: 1,
      data: { grantId, granteeOrganisationId }, metadata: { eventId: randomUUID(), actorId: 'process', actorRole: 'system', correlationId: 'c', causationId: 'c', recordedAt: new Date().toISOString() }, recordedAt: new Date(),
    });
    // The reaction is handed the awards before the erasure, as the log orders them (another organisation's grant too).
    await dataSource.transaction((tx) => reaction.apply([awarded(lagging, organisationId), awarded(elses, randomUUID())], tx));
    // A grant awarded before the table existed: only the grants read model has it (the migration's fill, or the fallback).
    await dataSource.query('DELETE FROM personal_data_grant_subjects WHERE grant_id = $1', [listed]);
    await dataSource.query(
      `INSERT INTO grants (id, proposal_id, call_id, grantee_organisation_id, partner_organisation_ids, currency, status, amount_minor, awarded_amount_minor,
                           scheduled_minor, paid_minor, remaining_minor, period_start, period_end, state, awarded_at, updated_at, version)
       VALUES ($1, $2, $3, $4, '{}', 'EUR', 'awarded', 1, 1, 0, 0, 1, '2027-01-01', '2028-01-01', '{}', now(), now(), 0)`,
      [listed, randomUUID(), randomUUID(), organisationId],
    );
    await appendErasure(organisationId);
    await react(organisationId);

    const keys = await dataSource.query(`SELECT subject, wrapped_key IS NULL AS erased FROM personal_data_keys WHERE subject = ANY ($1::text[]) ORDER BY subject`, [
      [lagging, listed, elses].map((grantId) => `grant-${grantId}`),
    ]);
    expect(Object.fromEntries(keys.map((key: { subject: string; erased: boolean }) => [key.subject, key.erased]))).toEqual({
      [`grant-${lagging}`]: true,
      [`grant-${listed}`]: true,
      [`grant-${elses}`]: false,
    });
  });
});
