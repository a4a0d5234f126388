import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PostgresEventStore } from '@app/event-store';
import { organisationDecider, organisationStreamName, type OrganisationCommand, type OrganisationState } from '@app/domain/organisation';
import { PostgresPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import type { CommandContext } from '../command-context';
import { databaseOptions } from '../database-options';
import { schemaRegistry } from '../event-store.module';
import { EncryptingEventCodec } from '../personal-data/encrypting-event-codec';
import { personalDataPolicy } from '../personal-data/personal-data.policy';
import { StreamCommandExecutor } from '../stream-command-executor';
import { deciderSnapshotIdentities, PostgresDeciderSnapshotStore } from './decider-snapshots';

const context: CommandContext = { actor: { id: 'manager', role: 'grant-manager' }, correlationId: 'c', causationId: 'c' };
const contact = { name: 'Rana Haddad', email: 'rana.haddad@example.org' };
const EVERY = 100;

/**
 * Decider snapshots against real PostgreSQL: the event store, the key store and the snapshot table
 * of one database, each "process" an executor of its own (nothing folded in memory between them).
 */
describe('decider snapshots (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let eventStore: PostgresEventStore;
  let keyring: PersonalDataKeyring;
  let codec: EncryptingEventCodec;
  const masterKey = randomBytes(32);
  const errors: string[] = [];

  /** A process of its own: an executor with nothing folded yet, on the shared store, keys and snapshots. */
  const newProcess = (store = eventStore, every = EVERY) =>
    new StreamCommandExecutor(store, codec, undefined, undefined, {
      store: new PostgresDeciderSnapshotStore(dataSource),
      deciders: deciderSnapshotIdentities(schemaRegistry()),
      every,
      onError: (message) => errors.push(message),
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(databaseOptions(db.url)).initialize();
    await dataSource.runMigrations();
    eventStore = new PostgresEventStore({ connectionString: db.url });
    keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(db.url), masterKey);
    codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());
  });

  afterAll(async () => {
    await keyring.close();
    await eventStore.close();
    await dataSource.destroy();
    await db.drop();
  });

  beforeEach(() => {
    errors.length = 0;
  });

  const command = (organisationId: string, data: Record<string, unknown>, type: OrganisationCommand['type']) =>
    ({ type, data: { organisationId, ...data }, now: new Date().toISOString() }) as OrganisationCommand;

  /** An organisation with a contact person (personal data) and `renames` events after it. */
  async function organisationWith(renames: number, on = eventStore): Promise<string> {
    const organisationId = randomUUID();
    const streamId = organisationStreamName(organisationId);
    const writer = new StreamCommandExecutor(on, codec);
    await writer.execute(
      organisationDecider,
      streamId,
      organisationId,
      command(organisationId, { name: 'Org 0', country: 'LB', legalStatus: 'other', focusGroups: [], contactPerson: contact }, 'RegisterOrganisation'),
      context,
    );
    for (let i = 1; i <= renames; i++) await writer.execute(organisationDecider, streamId, organisationId, command(organisationId, { name: `Org ${i}` }, 'UpdateOrganisationProfile'), context);
    return streamId;
  }

  const snapshotRow = async (streamId: string) =>
    ((await dataSource.query('SELECT decider, fingerprint, stream_version, keys, sealed FROM decider_snapshots WHERE stream_id = $1', [streamId])) as {
      decider: string;
      fingerprint: string;
      stream_version: string;
      keys: { subject: string; keyId: string }[];
      sealed: Buffer;
    }[])[0];

  /** Until the stream's snapshot is at `version` (written after the read that folded it, not during it). */
  async function snapshotAt(streamId: string, version: number) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const row = await snapshotRow(streamId);
      if (row && Number(row.stream_version) === version) return row;
      if (Date.now() > deadline) throw new Error(`no snapshot of ${streamId} at ${version}: ${JSON.stringify(row && { ...row, sealed: undefined })}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** What `executor.load` read of the stream: the version each read started from. */
  async function loadRecordingReads(executor: StreamCommandExecutor, streamId: string, store = eventStore) {
    const reads = jest.spyOn(store, 'readStream');
    try {
      const loaded = await executor.load(organisationDecider, streamId);
      return { ...loaded, readsFrom: reads.mock.calls.filter(([id]) => id === streamId).map(([, options]) => options?.fromVersion ?? 0) };
    } finally {
      reads.mockRestore();
    }
  }

  it('a stream read cold is read from its snapshot on: the snapshot and the events after it, with the state a whole read gives', async () => {
    const streamId = await organisationWith(150);
    // A first process reads all 151 events and stores the state it reached.
    const whole = await loadRecordingReads(newProcess(), streamId);
    expect(whole.readsFrom).toEqual([0, EVERY]); // its first 100 events (a full page: then the snapshot was looked up), then the rest
    expect(whole.state.name).toBe('Org 150');
    const row = await snapshotAt(streamId, 150);
    expect(row.decider).toBe('organisation');
    // Sealed: neither the contact's name nor e-mail is in the row in clear, and it names the key it is sealed under.
    expect(row.sealed.includes(Buffer.from(contact.name))).toBe(false);
    expect(row.sealed.includes(Buffer.from(contact.email))).toBe(false);
    expect(row.keys).toEqual([{ subject: streamId, keyId: expect.any(String) }]);

    // Another process: the snapshot's last event (checked to be the one it was taken after) and nothing before.
    const fromSnapshot = await loadRecordingReads(newProcess(), streamId);
    expect(fromSnapshot.readsFrom).toEqual([0, 150]); // the first page (full: the snapshot is looked up), then from the snapshot's event
    expect(fromSnapshot.version).toBe(150);
    expect(fromSnapshot.state).toEqual(whole.state);
    expect(fromSnapshot.state.contactPerson).toEqual(contact);

    // Commands decide on it, and a later cold read folds only what came after.
    const later = newProcess();
    const organisationId = streamId.slice('organisation-'.length);
    const renamed = await later.execute(organisationDecider, streamId, organisationId, command(organisationId, { name: 'Renamed' }, 'UpdateOrganisationProfile'), context);
    expect(renamed.version).toBe(151);
    const after = await loadRecordingReads(newProcess(), streamId);
    expect(after.readsFrom).toEqual([0, 150]);
    expect(after.state).toEqual({ ...whole.state, name: 'Renamed' });
    expect(errors).toEqual([]);
  });

  it('a short stream is not snapshotted; a stream is snapshotted again once a read folds another 100 events', async () => {
    const short = await organisationWith(EVERY - 2); // 99 events
    await newProcess().load(organisationDecider, short);
    const streamId = await organisationWith(EVERY);
    await newProcess().load(organisationDecider, streamId);
    await snapshotAt(streamId, EVERY);
    expect(await snapshotRow(short)).toBeUndefined();

    const organisationId = streamId.slice('organisation-'.length);
    const writer = new StreamCommandExecutor(eventStore, codec);
    for (let i = 0; i < EVERY; i++) await writer.execute(organisationDecider, streamId, organisationId, command(organisationId, { name: `Later ${i}` }, 'UpdateOrganisationProfile'), context);
    const cold = await loadRecordingReads(newProcess(), streamId);
    expect(cold.readsFrom).toEqual([0, EVERY]);
    await snapshotAt(streamId, 2 * EVERY);
    expect((await loadRecordingReads(newProcess(), streamId)).readsFrom).toEqual([0, 2 * EVERY]);
  });

  it('a burst of cold reads (a restarted process) stores a snapshot of every stream it read, written a few at a time', async () => {
    const streamIds = await Promise.all(Array.from({ length: 200 }, () => organisationWith(2)));
    const restarted = newProcess(eventStore, 3);
    const loaded = await Promise.all(streamIds.map((streamId) => restarted.load(organisationDecider, streamId)));
    expect(loaded.every(({ version }) => version === 2)).toBe(true);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [{ stored }] = (await dataSource.query('SELECT count(*)::int AS stored FROM decider_snapshots WHERE stream_id = ANY ($1::text[]) AND stream_version = 2', [streamIds])) as {
        stored: number;
      }[];
      if (stored === streamIds.length) break;
      if (Date.now() > deadline) throw new Error(`${stored} of ${streamIds.length} snapshots stored`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await loadRecordingReads(newProcess(eventStore, 3), streamIds[199])).readsFrom).toEqual([0, 2]);
    expect(errors).toEqual([]);
  });

  it('an erasure shreds the snapshot with the events: the stream is read whole, the contact shows erased, and no new snapshot is stored', async () => {
    const streamId = await organisationWith(120);
    await newProcess().load(organisationDecider, streamId);
    await snapshotAt(streamId, 120);

    await keyring.erase(streamId); // as another process's erasure: these executors are not told
    const afterErasure = await loadRecordingReads(newProcess(), streamId);
    expect(afterErasure.readsFrom).toEqual([0, EVERY]);
    expect(afterErasure.state.contactPerson).toBeNull();
    expect(afterErasure.state.name).toBe('Org 120');
    // The row can never open again: deleted. The whole read folded 121 events, but with a key now erased: no new snapshot either.
    for (const deadline = Date.now() + 5_000; (await snapshotRow(streamId)) !== undefined; ) {
      if (Date.now() > deadline) throw new Error('the snapshot sealed under the erased key was not deleted');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await snapshotRow(streamId)).toBeUndefined();
    expect((await loadRecordingReads(newProcess(), streamId)).readsFrom).toEqual([0, EVERY]);
    expect(errors).toEqual([]);
  });

  it('an altered snapshot, one of other code, or one moved to another stream is not used: the stream is read whole', async () => {
    const streamId = await organisationWith(110);
    const expected = (await newProcess().load(organisationDecider, streamId)).state;
    const row = await snapshotAt(streamId, 110);

    // One byte of the ciphertext changed.
    const altered = Buffer.from(row.sealed);
    altered[altered.length - 1] ^= 0x01;
    await dataSource.query('UPDATE decider_snapshots SET sealed = $2 WHERE stream_id = $1', [streamId, altered]);
    const afterAltering = await loadRecordingReads(newProcess(), streamId);
    expect(afterAltering.readsFrom).toEqual([0, EVERY]);
    expect(afterAltering.state).toEqual(expected);
    expect(errors).toEqual([`the decider snapshot of ${streamId} was not read (the stream is read whole): A sealed state does not open: the ciphertext, its tag or its binding was altered`]);
    expect(errors.join()).not.toContain(contact.name);

    // The altered row was deleted, and the whole read stored a good one again (of its 111 events); now another fingerprint (code) is claimed for it.
    for (let row = await snapshotRow(streamId); !row || row.sealed.equals(altered); row = await snapshotRow(streamId)) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await loadRecordingReads(newProcess(), streamId)).readsFrom).toEqual([0, 110]);
    await dataSource.query(`UPDATE decider_snapshots SET fingerprint = 'v1.other-code' WHERE stream_id = $1`, [streamId]);
    expect((await loadRecordingReads(newProcess(), streamId)).readsFrom).toEqual([0, EVERY]);

    // A good snapshot of another stream, copied to this one: it opens for its own stream only.
    const other = await organisationWith(105);
    await newProcess().load(organisationDecider, other);
    const otherRow = await snapshotAt(other, 105);
    await dataSource.query('UPDATE decider_snapshots SET fingerprint = $2, stream_version = $3, keys = $4, sealed = $5 WHERE stream_id = $1', [
      streamId,
      otherRow.fingerprint,
      otherRow.stream_version,
      JSON.stringify(otherRow.keys),
      otherRow.sealed,
    ]);
    errors.length = 0;
    const afterMoving = await loadRecordingReads(newProcess(), streamId);
    expect(afterMoving.readsFrom).toEqual([0, EVERY]);
    expect(afterMoving.state).toEqual(expected);
    expect(errors).toHaveLength(1);
  });

  it('a snapshot whose last event the stream does not hold (an event store restored to another log) is not used', async () => {
    // The same stream id in another event store (another database), its events of its own.
    const otherDb = await createTestDatabase();
    const schema = await new DataSource(databaseOptions(otherDb.url)).initialize();
    await schema.runMigrations();
    await schema.destroy();
    const otherStore = new PostgresEventStore({ connectionString: otherDb.url });
    try {
      const streamId = await organisationWith(130);
      await newProcess().load(organisationDecider, streamId);
      await snapshotAt(streamId, 130);
      // A process on this log that knows the stream is long (it read it from the snapshot).
      const knowing = newProcess();
      expect((await loadRecordingReads(knowing, streamId)).readsFrom).toEqual([0, 130]);
      const organisationId = streamId.slice('organisation-'.length);
      const elsewhere = new StreamCommandExecutor(otherStore, codec);
      await elsewhere.execute(
        organisationDecider,
        streamId,
        organisationId,
        command(organisationId, { name: 'Elsewhere 0', country: 'TN', legalStatus: 'other', focusGroups: [], contactPerson: { name: 'Other Person', email: 'other@example.org' } }, 'RegisterOrganisation'),
        context,
      );
      for (let i = 1; i <= 140; i++) await elsewhere.execute(organisationDecider, streamId, organisationId, command(organisationId, { name: `Elsewhere ${i}` }, 'UpdateOrganisationProfile'), context);

      const loaded = await loadRecordingReads(newProcess(otherStore), streamId, otherStore);
      expect(loaded.readsFrom).toEqual([0, 130, 0]); // the first page, the snapshot's last event checked (not this log's), then the stream read whole
      expect(loaded.state).toMatchObject<Partial<OrganisationState>>({ name: 'Elsewhere 140', country: 'TN' });
      expect(loaded.version).toBe(140);

      // That whole read stored the other log's state as the stream's snapshot (version 140). The
      // process on this log looks it up first, finds its last event missing here, and reads whole.
      await snapshotAt(streamId, 140);
      knowing.forgetFoldedStates();
      const ours = await loadRecordingReads(knowing, streamId);
      expect(ours.readsFrom).toEqual([140, 0]);
      expect(ours.version).toBe(130);
      expect(ours.state).toMatchObject<Partial<OrganisationState>>({ name: 'Org 130', country: 'LB' });
    } finally {
      await otherStore.close();
      await otherDb.drop();
    }
  });

  it('a stream shorter than a snapshot costs no look-up; one this process knows long is looked up first, with no first page', async () => {
    const lookups: string[] = [];
    const counted = new PostgresDeciderSnapshotStore(dataSource);
    const find = counted.find.bind(counted);
    counted.find = (streamId, decider) => {
      lookups.push(streamId);
      return find(streamId, decider);
    };
    const here = new StreamCommandExecutor(eventStore, codec, undefined, undefined, {
      store: counted,
      deciders: deciderSnapshotIdentities(schemaRegistry()),
      every: EVERY,
      onError: (message) => errors.push(message),
    });

    const short = await organisationWith(EVERY - 2); // 99 events
    expect((await loadRecordingReads(here, short)).readsFrom).toEqual([0]);
    here.forgetFoldedStates(); // cold again
    expect((await loadRecordingReads(here, short)).readsFrom).toEqual([0]);
    expect(lookups).toEqual([]);

    const long = await organisationWith(EVERY + 20);
    const first = await loadRecordingReads(here, long); // not known here yet: a full first page, then the look-up
    expect(first.readsFrom).toEqual([0, EVERY]);
    expect(lookups).toEqual([long]);
    await snapshotAt(long, EVERY + 20);
    here.forgetFoldedStates();
    const again = await loadRecordingReads(here, long); // known long: the look-up, then from the snapshot's event only
    expect(again.readsFrom).toEqual([EVERY + 20]);
    expect(again.state).toEqual(first.state);
    expect(lookups).toEqual([long, long]);

    // A stream that grew past the minimum through this process's own commands is known long too.
    const grown = await organisationWith(EVERY - 5);
    const organisationId = grown.slice('organisation-'.length);
    for (let i = 0; i < 10; i++) await here.execute(organisationDecider, grown, organisationId, command(organisationId, { name: `Grown ${i}` }, 'UpdateOrganisationProfile'), context);
    here.forgetFoldedStates();
    const grownRead = await loadRecordingReads(here, grown); // no snapshot yet: looked up, then read whole
    expect(grownRead.readsFrom).toEqual([0]);
    expect(grownRead.state.name).toBe('Grown 9');
    expect(lookups).toEqual([long, long, grown]);
    expect(errors).toEqual([]);
  });

  it('a snapshot look-up that does not answer within 250 ms is not waited for (the stream is read whole), and a short stream does not look up at all', async () => {
    let finds = 0;
    const slowStore = (ms: number) => ({
      find: () => {
        finds += 1;
        return new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref());
      },
      save: async () => undefined,
      delete: async () => undefined,
    });
    const long = await organisationWith(EVERY + 5);
    const stalled = new StreamCommandExecutor(eventStore, codec, undefined, undefined, { store: slowStore(60_000), deciders: deciderSnapshotIdentities(schemaRegistry()) });
    let started = Date.now();
    const loaded = await loadRecordingReads(stalled, long);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(loaded.readsFrom).toEqual([0, EVERY]);
    expect(loaded.state.name).toBe(`Org ${EVERY + 5}`);
    // Known long now: the look-up comes first, and is not waited for beyond 250 ms either; then the stream is read whole.
    stalled.forgetFoldedStates();
    started = Date.now();
    const again = await loadRecordingReads(stalled, long);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(again.readsFrom).toEqual([0]);
    expect(again.state).toEqual(loaded.state);
    finds = 0;

    const short = await organisationWith(3);
    const slow = new StreamCommandExecutor(eventStore, codec, undefined, undefined, { store: slowStore(60_000), deciders: deciderSnapshotIdentities(schemaRegistry()) });
    started = Date.now();
    const shortLoaded = await loadRecordingReads(slow, short);
    expect(Date.now() - started).toBeLessThan(240); // no look-up: its first page was the whole stream
    expect(shortLoaded.readsFrom).toEqual([0]);
    expect(shortLoaded.state.name).toBe('Org 3');
    expect(finds).toBe(0);
  });

  it('the keyring seals a state under many subjects\' keys, and opens it only while every one is that subject\'s live key', async () => {
    const subjects = Array.from({ length: 40 }, () => `organisation-${randomUUID()}`);
    const keys = await Promise.all(subjects.map(async (subject) => ({ subject, keyId: (await keyring.encryptionKey(subject)).keyId })));
    const clear = Buffer.from('{"state":{"partners":40}}');
    const sealed = await keyring.sealState(keys, clear, 'many');
    expect(sealed).not.toBeNull();
    expect(await keyring.openState([...keys].reverse(), sealed as Buffer, 'many')).toEqual(clear);
    // A key the subject no longer has (an erased one it replaced): neither sealed nor opened.
    const [first] = keys;
    await keyring.erase(first.subject);
    const replaced = (await keyring.encryptionKey(first.subject)).keyId;
    expect(await keyring.openState(keys, sealed as Buffer, 'many')).toBeNull();
    expect(await keyring.sealState(keys, clear, 'many')).toBeNull();
    expect(await keyring.sealState([...keys, { subject: first.subject, keyId: replaced }], clear, 'many')).toBeNull();
  });

  it('with the snapshot table unreachable, commands go on: the stream is read whole', async () => {
    const streamId = await organisationWith(EVERY);
    await dataSource.query('ALTER TABLE decider_snapshots RENAME TO decider_snapshots_away');
    try {
      const loaded = await loadRecordingReads(newProcess(), streamId);
      expect(loaded.readsFrom).toEqual([0, EVERY]);
      expect(loaded.state.name).toBe(`Org ${EVERY}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(errors.map((message) => message.replace(/: .*/, ''))).toEqual([
        `the decider snapshot of ${streamId} was not read (the stream is read whole)`,
        `the decider snapshot of ${streamId} was not stored`,
      ]);
    } finally {
      await dataSource.query('ALTER TABLE decider_snapshots_away RENAME TO decider_snapshots');
    }
  });
});
