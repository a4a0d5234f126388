import { PostgresEventStore, type EventStore, type ReadStreamOptions, type RecordedEvent } from '@app/event-store';
import { createProjections } from '@app/read-models/registry';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../../database-options';
import { appendSyntheticLog, syntheticLog } from '../../../../../test/support/synthetic-log';
import { createTestDatabase, type TestDatabase } from '../../../../../test/support/database';
import { schemaRegistry } from '../../event-store.module';
import { EncryptingEventCodec } from '../../personal-data/encrypting-event-codec';
import { PostgresPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { personalDataPolicy } from '../../personal-data/personal-data.policy';
import { AsOfReadModels } from './as-of-read-models';
import { AsOfReplay } from './as-of-replay';
import { createAsOfSnapshotKeeper } from './as-of-snapshot-keeper';

/**
 * The background keeper: fed a 2,600-event call stream as the log-consumer runtime would (batches
 * in log order), it keeps the snapshots after 1,000 and 2,000 events, each by replaying at most the
 * tail since the previous one, so every later as-of read replays at most 1,000 events, with the
 * answers a replay from the first event gives.
 */
const LONG = 2_600;
const CHUNK = 300;

describe('as-of snapshot keeper', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let postgres: PostgresEventStore;
  let keyring: PersonalDataKeyring;
  let models: AsOfReadModels;
  let callId: string;
  let events: RecordedEvent[];
  let instants: Date[];
  const reads: ReadStreamOptions[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('asof_keeper');
    dataSource = await new DataSource(databaseOptions(db.url)).initialize();
    pool = new Pool({ connectionString: db.url, max: 4 });
    pool.on('error', () => undefined); // see as-of-snapshots.int-spec.ts
    postgres = new PostgresEventStore({ pool });
    keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(db.url), Buffer.alloc(32, 9), { cacheMaxEntries: 10 });
    const codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());
    const long = [...syntheticLog({ events: 0, longCallEvents: LONG })].find((c) => c.events.length === LONG)!;
    const chunks = [];
    for (let i = 0; i < LONG; i += CHUNK) chunks.push({ ...long, events: long.events.slice(i, i + CHUNK) });
    await appendSyntheticLog(postgres, (s, e, m) => codec.encode(s, e, m), chunks, { concurrency: 1 });
    callId = long.streamId.slice('call-'.length);
    events = await postgres.readStream(long.streamId);
    instants = [...new Set(events.map((e) => e.recordedAt.getTime()))].map((t) => new Date(t));
    const recording: EventStore = Object.assign(Object.create(postgres) as EventStore, {
      readStream: (streamId: string, options?: ReadStreamOptions) => {
        reads.push(options ?? {});
        return postgres.readStream(streamId, options);
      },
    });
    models = new AsOfReadModels(new AsOfReplay(dataSource, recording, codec, createProjections()));
  });

  afterAll(async () => {
    await postgres?.close();
    await pool?.end();
    await keyring?.close();
    await dataSource?.destroy();
    await db?.drop();
  });

  const snapshotVersions = async () =>
    (await dataSource.query('SELECT stream_version FROM as_of_snapshots ORDER BY stream_version')).map((r: { stream_version: string }) => Number(r.stream_version));

  it('reads call and proposal streams as stored, and leaves a batch with no snapshot point alone', async () => {
    const keeper = createAsOfSnapshotKeeper(models);
    expect(keeper).toMatchObject({ kind: 'reactor', name: 'as-of-snapshots', filter: { streamPrefixes: ['call-', 'proposal-'] }, input: 'stored' });
    await dataSource.query('DELETE FROM as_of_snapshots');
    reads.length = 0;
    await keeper.react(events.slice(0, 999), { after: null });
    await keeper.react(events.slice(1_000, 1_999), { after: events[999].position });
    expect(reads).toEqual([]);
    expect(await snapshotVersions()).toEqual([]);
  });

  it('never stalls on a replay that fails: the other streams of the batch are still kept', async () => {
    const asked: string[] = [];
    const failing = {
      call: async (id: string) => {
        asked.push(`call ${id}`);
        throw new Error('database restarting');
      },
      proposal: async (id: string) => void asked.push(`proposal ${id}`),
    } as unknown as AsOfReadModels;
    const at = (streamId: string, streamVersion: number) => ({ ...events[0], streamId, streamVersion });
    await createAsOfSnapshotKeeper(failing).react([at('call-a', 999), at('proposal-b', 1_999), at('call-a', 1_000), at('proposal-b', 2_999)], { after: null });
    expect(asked).toEqual(['call a', 'proposal b']);
  });

  it('keeps a snapshot at every point as the stream grows, each replaying only the tail, and the answers stay those of a replay from the first event', async () => {
    const fromStart = [];
    for (const asOf of instants) {
      await dataSource.query('DELETE FROM as_of_snapshots');
      fromStart.push(await models.call(callId, asOf));
    }
    await dataSource.query('DELETE FROM as_of_snapshots');
    const keeper = createAsOfSnapshotKeeper(models);
    const firstReads: (number | undefined)[] = [];
    for (let i = 0; i < LONG; i += 250) {
      reads.length = 0;
      await keeper.react(events.slice(i, i + 250), { after: i === 0 ? null : events[i - 1].position });
      if (reads.length > 0) firstReads.push(reads[0].fromVersion);
    }
    // One replay per point reached: the first from the first event, the second from the first point.
    expect(firstReads).toEqual([0, 1_000]);
    expect(await snapshotVersions()).toEqual([999, 1_999]);

    // Redone (a batch after a restart): nothing is written again.
    const kept = await dataSource.query('SELECT stream_version, max_recorded_at, rows FROM as_of_snapshots ORDER BY stream_version');
    await keeper.react(events, { after: null });
    expect(await dataSource.query('SELECT stream_version, max_recorded_at, rows FROM as_of_snapshots ORDER BY stream_version')).toEqual(kept);

    const answers = [];
    for (const asOf of instants) {
      reads.length = 0;
      answers.push(await models.call(callId, asOf));
      const firstPast = Math.min((instants.indexOf(asOf) + 1) * CHUNK, LONG); // version of the first event after the instant (or the end)
      expect(firstPast - (reads[0].fromVersion ?? 0)).toBeLessThanOrEqual(1_000);
    }
    expect(answers).toEqual(fromStart);
  });
});
