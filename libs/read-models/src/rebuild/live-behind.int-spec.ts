import { PostgresEventStore } from '@app/event-store';
import { schemaRegistry } from '@app/application/event-store.module';
import { EncryptingEventCodec, personalDataPolicy } from '@app/application/personal-data';
import { consumerReports, LogConsumerRuntime } from '@app/log-consumers';
import { PersonalDataKeyring, PostgresPersonalDataKeyStore } from '@app/personal-data';
import { DEV_ONLY_PII_MASTER_KEY } from '@app/platform/config/app-config';
import { DataSource } from 'typeorm';
import { eventually } from '../../../../test/support/app';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { appendSyntheticLog, type EncodeEvent, syntheticLog } from '../../../../test/support/synthetic-log';
import { dataSourceOptions } from '../data-source-options';
import { asProjector } from '../projection/projection';
import { countEventsOf, ProjectionRebuild } from './projection-rebuild';
import { rebuildableProjections } from './rebuild-projections';

/**
 * `check` while the live projection lags the log (its worker stopped, or RUN_WORKER=false under
 * load): the rebuild has run to the head of the log, past the live checkpoint. It must wait for the
 * live projection or say it could not compare — never compare the tables at two positions (every
 * row the live side has not reached yet would be a false difference), never wind its own position
 * back (the next run would apply, and count, those events again).
 */
describe('projection rebuild check while the live projection is behind', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: PostgresEventStore;
  let keyring: PersonalDataKeyring;
  let codec: EncryptingEventCodec;
  const calls = rebuildableProjections().find((p) => p.name === 'calls')!;
  const rebuildOf = () => new ProjectionRebuild({ dataSource, store, projection: calls, codec, batchSize: 50 });
  const state = async () =>
    (await dataSource.query(`SELECT position, events_applied::int AS "eventsApplied" FROM rebuild_calls.rebuild_state`))[0] as { position: string; eventsApplied: number };
  const liveCheckpoint = async () => (await dataSource.query(`SELECT position FROM log_consumers WHERE name = 'calls'`))[0]?.position as string | undefined;

  /** The live worker of the calls projection (as the API's in-process worker runs it), until stopped. */
  const startWorker = () => {
    const runtime = new LogConsumerRuntime(
      { dataSource, store, consumers: [asProjector(calls)], codec, logger: { log: () => undefined, error: () => undefined } },
      { heartbeatMs: 50, leaseTtlMs: 500, retryDelayMs: 20, maxRetryDelayMs: 100 },
    );
    runtime.start();
    return runtime;
  };
  const caughtUp = () =>
    eventually(async () => ((await consumerReports(dataSource, store, [calls])).every((report) => report.caughtUp && report.position !== null) ? true : undefined), 20_000);

  beforeAll(async () => {
    db = await createTestDatabase('rebuild_behind');
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
    store = new PostgresEventStore({ connectionString: db.url, poolSize: 4 });
    keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(db.url), Buffer.from(DEV_ONLY_PII_MASTER_KEY, 'base64'));
    codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());
    const encode: EncodeEvent = (streamId, event, metadata) => codec.encode(streamId, event, metadata);
    const chunks = [...syntheticLog({ events: 1_500, organisations: 12, proposalsPerCall: 15, seed: 11 })];
    const half = Math.floor(chunks.length / 2);

    // The live projection follows the first half of the log, then its worker stops ...
    await appendSyntheticLog(store, encode, chunks.slice(0, half));
    await db.settled();
    const worker = startWorker();
    try {
      await caughtUp();
    } finally {
      await worker.stop();
    }
    // ... while the log goes on: calls published, funds committed and released.
    await appendSyntheticLog(store, encode, chunks.slice(half));
    await db.settled();
  }, 60_000);

  afterAll(async () => {
    await rebuildOf().discard();
    await store.close();
    await keyring.close();
    await dataSource.destroy();
    await db.drop();
  });

  it('answers "not compared" instead of false differences, and keeps the rebuild where it is', async () => {
    const rebuild = rebuildOf();
    await rebuild.discard();
    const run = await rebuild.run();
    const [eventsOfCalls] = await countEventsOf(dataSource, [calls.filter]);
    expect(run).toMatchObject({ status: 'caught-up', eventsApplied: eventsOfCalls });
    const live = await liveCheckpoint();
    const rebuilt = await state();
    expect(live).toEqual(expect.any(String));
    expect(rebuilt.position > live!).toBe(true); // the rebuild stands at the head, past the live checkpoint

    const started = Date.now();
    const report = await rebuild.check(400);
    const waited = Date.now() - started;
    // Before the fix: "compared" at a position wound back to the live checkpoint, the rows of every
    // event past it reported as differences (missing-in-live, different).
    expect(report.aligned ? `compared: ${report.differences} differences` : report.reason).toContain(
      `the live projection is behind the rebuild (live at ${live}, rebuilt at ${rebuilt.position}`,
    );
    expect(report).toMatchObject({ aligned: false, livePosition: live, rebuiltPosition: rebuilt.position });
    expect(waited).toBeGreaterThanOrEqual(400); // it gave the live projection time to catch up first

    // Its position never moves back, so a later run applies (and counts) nothing twice.
    expect(await state()).toEqual(rebuilt);
    const again = await rebuild.run();
    expect(again).toMatchObject({ status: 'caught-up', resumedAt: eventsOfCalls, eventsApplied: eventsOfCalls, position: rebuilt.position });
    expect(await state()).toEqual(rebuilt);
    expect(await liveCheckpoint()).toBe(live);
  });

  it('waits for the live projection to reach the rebuild, then compares both at one position', async () => {
    const rebuild = rebuildOf();
    await rebuild.discard();
    await rebuild.run();
    const rebuilt = await state();
    expect((await liveCheckpoint())! < rebuilt.position).toBe(true);

    // The worker comes back while the check waits.
    let worker: LogConsumerRuntime | undefined;
    const restart = setTimeout(() => (worker = startWorker()), 300);
    try {
      const report = await rebuild.check(20_000);
      if (!report.aligned) throw new Error(`not compared: ${report.reason}`);
      expect(report.differences).toBe(0);
      expect(report.tables.map((t) => t.table)).toEqual([...calls.tables]);
      expect(report.tables.every((t) => t.liveRows === t.rebuiltRows && t.liveRows > 0)).toBe(true);
      // Compared where the live checkpoint stood: at or past the rebuild's position, never behind it.
      expect(report.position! >= rebuilt.position).toBe(true);
      expect((await state()).eventsApplied).toBe(rebuilt.eventsApplied);
    } finally {
      clearTimeout(restart);
      await worker?.stop();
    }
  });
});
