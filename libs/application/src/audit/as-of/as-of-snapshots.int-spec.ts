import { PostgresEventStore, type EventStore, type ReadStreamOptions } from '@app/event-store';
import { databaseOptions } from '../../database-options';
import { appendSyntheticLog, syntheticLog } from '../../../../../test/support/synthetic-log';
import { createProjections } from '@app/read-models/registry';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../../test/support/database';
import { schemaRegistry } from '../../event-store.module';
import { EncryptingEventCodec } from '../../personal-data/encrypting-event-codec';
import { PostgresPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { personalDataPolicy } from '../../personal-data/personal-data.policy';
import { AsOfReadModels } from './as-of-read-models';
import { AsOfReplay, type AsOfTarget } from './as-of-replay';

/**
 * As-of answers served from snapshots equal answers replayed from the first event. One call stream
 * of 2,600 events is appended in chunks of 300 (events of a chunk share their recordedAt), so the
 * snapshot points (after 1,000 and 2,000 events) fall inside chunks.
 */
const LONG = 2_600;
const CHUNK = 300;
const MASTER_KEY = Buffer.alloc(32, 7);

describe('as-of snapshots', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let postgres: PostgresEventStore;
  let keyring: PersonalDataKeyring;
  let replay: AsOfReplay;
  let models: AsOfReadModels;
  let callId: string;
  /** recordedAt of each chunk, in order. */
  let instants: Date[];
  const reads: ReadStreamOptions[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('asof_snapshots');
    dataSource = await new DataSource(databaseOptions(db.url)).initialize();
    pool = new Pool({ connectionString: db.url, max: 4 });
    // pool.end() resolves before its connections have closed: the database's DROP … WITH (FORCE) may
    // terminate one still closing, and an 'error' event with no listener would fail the file.
    pool.on('error', () => undefined);
    postgres = new PostgresEventStore({ pool });
    keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(db.url), MASTER_KEY, { cacheMaxEntries: 10 });
    const codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());
    const long = [...syntheticLog({ events: 0, longCallEvents: LONG })].find((c) => c.events.length === LONG)!;
    const chunks = [];
    for (let i = 0; i < LONG; i += CHUNK) chunks.push({ ...long, events: long.events.slice(i, i + CHUNK) });
    await appendSyntheticLog(postgres, (s, e, m) => codec.encode(s, e, m), chunks, { concurrency: 1 });
    callId = long.streamId.slice('call-'.length);
    const events = await postgres.readStream(long.streamId);
    instants = [...new Set(events.map((e) => e.recordedAt.getTime()))].map((t) => new Date(t));
    const recording: EventStore = Object.assign(Object.create(postgres) as EventStore, {
      readStream: (streamId: string, options?: ReadStreamOptions) => {
        reads.push(options ?? {});
        return postgres.readStream(streamId, options);
      },
    });
    replay = new AsOfReplay(dataSource, recording, codec, createProjections());
    models = new AsOfReadModels(replay);
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

  it('answers every instant from snapshots exactly as a replay from the first event', async () => {
    expect(instants).toHaveLength(Math.ceil(LONG / CHUNK));
    // Replayed from the start: no snapshot exists before each read (each read may write one).
    const fromStart = [];
    for (const asOf of instants) {
      await dataSource.query('DELETE FROM as_of_snapshots');
      fromStart.push(await models.call(callId, asOf));
    }
    expect(fromStart.at(-1)?.version).toBe(LONG - 1);
    // A replay keeps every point it passes: the last instant's, after 1,000 and 2,000 events.
    expect(await snapshotVersions()).toEqual([999, 1_999]);

    // An earlier instant writes only the one after 1,000; a later read from it adds the one after 2,000.
    await dataSource.query('DELETE FROM as_of_snapshots');
    await models.call(callId, instants[5]); // events 0..1799
    expect(await snapshotVersions()).toEqual([999]);
    await models.call(callId, instants.at(-1)!);
    expect(await snapshotVersions()).toEqual([999, 1_999]);

    const fromSnapshots = [];
    const firstReads = [];
    for (const asOf of instants) {
      reads.length = 0;
      fromSnapshots.push(await models.call(callId, asOf));
      firstReads.push(reads[0].fromVersion);
      // Pages by version, the next one requested with the current one: at most one page past the instant.
      expect(reads.map((r) => r.fromVersion)).toEqual(reads.map((_, i) => (reads[0].fromVersion ?? 0) + i * 1_000));
      const firstPast = Math.min((instants.indexOf(asOf) + 1) * CHUNK, LONG); // version of the first event after the instant (or the end)
      expect(reads.at(-1)?.fromVersion).toBeLessThanOrEqual(Math.floor(firstPast / 1_000) * 1_000 + 1_000);
    }
    expect(fromSnapshots).toEqual(fromStart);
    // Instants before a snapshot's prefix was complete replay from the start; later ones read only the tail.
    expect(firstReads).toEqual([0, 0, 0, 1_000, 1_000, 1_000, 2_000, 2_000, 2_000]);
  });

  it('after one replay, every instant reads at most the tail since a snapshot point, and points already kept are not written again', async () => {
    const fromStart = [];
    for (const asOf of instants) {
      await dataSource.query('DELETE FROM as_of_snapshots');
      fromStart.push(await models.call(callId, asOf));
    }
    await dataSource.query('DELETE FROM as_of_snapshots');
    await models.call(callId, instants.at(-1)!); // the newest instant first: nothing to start from
    expect(await snapshotVersions()).toEqual([999, 1_999]);
    const kept = await dataSource.query('SELECT stream_version, rows FROM as_of_snapshots ORDER BY stream_version');

    const inserts: string[] = [];
    const query = dataSource.query.bind(dataSource);
    dataSource.query = ((sql: string, ...rest: unknown[]) => {
      if (/^\s*INSERT INTO as_of_snapshots/.test(sql)) inserts.push(sql);
      return (query as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
    }) as typeof dataSource.query;
    try {
      const answers = [];
      const firstReads = [];
      for (const asOf of instants) {
        reads.length = 0;
        answers.push(await models.call(callId, asOf));
        firstReads.push(reads[0].fromVersion);
      }
      expect(answers).toEqual(fromStart);
      expect(firstReads).toEqual([0, 0, 0, 1_000, 1_000, 1_000, 2_000, 2_000, 2_000]);
      // Every point those reads passed was kept already.
      expect(inserts).toEqual([]);
      expect(await dataSource.query('SELECT stream_version, rows FROM as_of_snapshots ORDER BY stream_version')).toEqual(kept);

      // A point whose snapshot is gone is kept again by the next replay that passes it, and only it.
      await dataSource.query('DELETE FROM as_of_snapshots WHERE stream_version = 1999');
      reads.length = 0;
      expect(await models.call(callId, instants.at(-1)!)).toEqual(fromStart.at(-1));
      expect(reads[0].fromVersion).toBe(1_000);
      expect(inserts).toHaveLength(1);
      expect(await dataSource.query('SELECT stream_version, rows FROM as_of_snapshots ORDER BY stream_version')).toEqual(kept);
    } finally {
      dataSource.query = query;
    }
  });

  it('ignores snapshots made by other projection code', async () => {
    await dataSource.query('DELETE FROM as_of_snapshots');
    const live = await models.call(callId, instants.at(-1)!);
    await dataSource.query(`UPDATE as_of_snapshots SET projection_hash = 'other', rows = jsonb_set(rows, '{calls,0,title}', '"forged"')`);
    reads.length = 0;
    expect(await models.call(callId, instants.at(-1)!)).toEqual(live);
    expect(reads[0].fromVersion).toBe(0);
  });

  it('never snapshots organisations or grants (their rows hold personal data)', async () => {
    const targets: AsOfTarget<unknown>[] = [];
    const recorder = { read: async (target: AsOfTarget<unknown>) => (targets.push(target), null) } as unknown as AsOfReplay;
    const all = new AsOfReadModels(recorder);
    const id = '7d0c7a43-4c1e-4d2a-9f57-2b1c9e0a6f11';
    await all.call(id, instants[0]);
    await all.proposal(id, instants[0]);
    await all.organisation(id, instants[0]);
    await all.grant(id, instants[0]);
    expect(targets.map((t) => [t.projection, t.snapshot?.map((s) => s.table) ?? null])).toEqual([
      ['calls', ['calls']],
      ['proposals', ['proposals', 'proposal_reviewer_assignments']],
      ['organisations', null],
      ['grants', null],
    ]);
  });
});
