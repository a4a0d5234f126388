/**
 * Leadership of one consumer across runtimes on one database, under a steady stream of appends:
 * a leader in a child process killed with SIGKILL (it never hands its lease back), then an
 * in-process leader stopped cleanly. One runtime applies at a time, the hand-overs are quick, and
 * the checkpoint never moves backwards.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PostgresEventStore } from '@app/event-store';
import { LogConsumerRuntime, type LogConsumerRuntimeOptions } from '@app/log-consumers';
import { dataSourceOptions } from '@app/read-models/data-source-options';
import { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { appendNumbered, CheckpointWatcher, consumerRow, createSeenTable, eventually, recordingLogger, seenProjector, seenSummary, sleep, testPool } from './support/harness';

const HEARTBEAT_MS = 50;
const LEASE_TTL_MS = 300;
const FAST: LogConsumerRuntimeOptions = { heartbeatMs: HEARTBEAT_MS, leaseTtlMs: LEASE_TTL_MS, retryDelayMs: 20, maxRetryDelayMs: 100 };

/** Starts runtime-child.ts under tsx and resolves once its runtime has started. */
function forkRuntime(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(join(__dirname, 'support', 'runtime-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the child runtime did not start within 20 s')), 20_000);
    child.once('message', () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the child runtime exited (${code}) before starting`));
    });
  });
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('leadership of a consumer across runtimes', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: PostgresEventStore;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('log_consumers_lead');
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
    store = new PostgresEventStore({ connectionString: db.url });
    pool = testPool(db.url);
  });

  afterAll(async () => {
    await store?.close();
    await dataSource?.destroy();
    await pool?.end();
    await db?.drop();
  });

  it('two runtimes started together on six consumers: one leader each, every event applied once per consumer', async () => {
    const id = randomUUID().replace(/-/g, '').slice(0, 8);
    const prefix = `share_${id}`;
    const consumers = Array.from({ length: 6 }, (_, i) => ({ name: `share-${id}-${i}`, table: `seen_share_${id}_${i}` }));
    for (const { table } of consumers) await createSeenTable(pool, table);
    const runtimes = ['left', 'right'].map(
      (owner) =>
        new LogConsumerRuntime(
          { dataSource, store, consumers: consumers.map(({ name, table }) => seenProjector(name, prefix, table, { owner })), logger: recordingLogger() },
          { ...FAST, owner, batchSize: 50 },
        ),
    );
    const doubleLeaders: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [left, right] = runtimes.map((runtime) => runtime.status());
        for (let i = 0; i < consumers.length; i++) if (left[i].role === 'leader' && right[i].role === 'leader') doubleLeaders.push(consumers[i].name);
        await sleep(5);
      }
    })();
    try {
      for (const runtime of runtimes) runtime.start();
      const head = await appendNumbered(store, prefix, 0, 2_000, 100);
      for (const { name } of consumers) {
        await eventually(`${name} at the head`, async () => ((await consumerRow(pool, name))?.position === head ? true : undefined), 15_000, 50);
      }
      for (const { table } of consumers) expect(await seenSummary(pool, table)).toEqual({ rows: 2_000, twice: 0, distinctN: 2_000, minN: 0, maxN: 1_999 });
      const leaders = consumers.map((_, i) => runtimes.map((runtime) => runtime.status()[i].role).join('/'));
      expect(leaders.every((roles) => roles === 'leader/standby' || roles === 'standby/leader')).toBe(true);
      // In-memory views may overlap for a moment while a lease passes; the database never lets both write.
      console.log(`sharing: leaders ${JSON.stringify(leaders)}; moments both runtimes thought they led one consumer: ${doubleLeaders.length}`);
    } finally {
      sampling = false;
      await sampler;
      await Promise.all(runtimes.map((runtime) => runtime.stop()));
    }
  }, 60_000);

  it('one leader at a time: a killed leader is replaced within leaseTtl + heartbeat, a stopped one within 1 s; no event applied twice, contiguous ranges, checkpoint never backwards', async () => {
    const id = randomUUID().replace(/-/g, '').slice(0, 8);
    const prefix = `lead_${id}`;
    const table = `seen_lead_${id}`;
    const name = `lead-${id}`;
    // A row per event with the owner that applied it; a second application (by anyone) counts up `applied`.
    await createSeenTable(pool, table);
    const runtimes: LogConsumerRuntime[] = [];
    const inProcess = (owner: string) => {
      const runtime = new LogConsumerRuntime(
        { dataSource, store, consumers: [seenProjector(name, prefix, table, { owner })], logger: recordingLogger() },
        { ...FAST, owner },
      );
      runtimes.push(runtime);
      return runtime;
    };
    const ownerNow = async () => (await consumerRow(pool, name))?.owner ?? null;
    const rowsBy = async (owner: string) => (await pool.query(`SELECT 1 FROM ${table} WHERE owner = $1 LIMIT 1`, [owner])).rowCount ?? 0;

    // A steady load: 5 events per append, one append every ~20 ms.
    let appending = true;
    let appended = 0;
    let head = '';
    const load = (async () => {
      while (appending) {
        head = await appendNumbered(store, prefix, appended, 5, 5);
        appended += 5;
        await sleep(20);
      }
    })();
    const watcher = new CheckpointWatcher(pool, name, 20);
    let child: ChildProcess | undefined;
    try {
      // 1. A leader in its own process, killed with SIGKILL: it never hands its lease back.
      child = await forkRuntime({ DATABASE_URL: db.url, OWNER: 'child', CONSUMER: name, PREFIX: prefix, TABLE: table, HEARTBEAT_MS: String(HEARTBEAT_MS), LEASE_TTL_MS: String(LEASE_TTL_MS) });
      await eventually('the child leads and applies', async () => ((await ownerNow()) === 'child' && (await rowsBy('child')) > 0 ? true : undefined), 20_000);
      await sleep(400); // a few of its batches under load
      const first = inProcess('first');
      first.start();
      await sleep(200);
      expect(first.status()[0].role).toBe('standby');
      expect(await rowsBy('first')).toBe(0);
      const killedAt = Date.now();
      await kill9(child);
      await eventually('the first in-process runtime takes over', async () => ((await ownerNow()) === 'first' ? true : undefined), 5_000, 5);
      const takeoverAfterKillMs = Date.now() - killedAt;

      // 2. A leader stopped cleanly hands its lease back at once.
      await eventually('the first runtime applies', async () => ((await rowsBy('first')) > 0 ? true : undefined));
      await sleep(400);
      const second = inProcess('second');
      second.start();
      await sleep(200);
      expect(second.status()[0].role).toBe('standby');
      const stoppedAt = Date.now();
      await first.stop();
      await eventually('the second runtime takes over', async () => ((await ownerNow()) === 'second' ? true : undefined), 5_000, 5);
      const handoverAfterStopMs = Date.now() - stoppedAt;
      await eventually('the second runtime applies', async () => ((await rowsBy('second')) > 0 ? true : undefined));
      await sleep(400);

      appending = false;
      await load;
      await eventually('the second runtime at the head', async () => ((await consumerRow(pool, name))?.position === head ? true : undefined));
      await second.stop();
      await watcher.stop();

      expect(takeoverAfterKillMs).toBeLessThanOrEqual(LEASE_TTL_MS + HEARTBEAT_MS + 250); // 250 ms of slack for a loaded 2-core machine
      expect(handoverAfterStopMs).toBeLessThanOrEqual(1_000);
      // Every event exactly once, and in log order the owners form three contiguous ranges.
      expect(await seenSummary(pool, table)).toEqual({ rows: appended, twice: 0, distinctN: appended, minN: 0, maxN: appended - 1 });
      const { rows } = await pool.query<{ owner: string }>(`SELECT owner FROM ${table} ORDER BY position`);
      const ranges = rows.map((row) => row.owner).filter((owner, i, all) => i === 0 || owner !== all[i - 1]);
      expect(ranges).toEqual(['child', 'first', 'second']);
      expect(watcher.backwards).toEqual([]);
      expect(watcher.samples.length).toBeGreaterThan(40);
      console.log(
        `leadership: ${appended} events; takeover ${takeoverAfterKillMs} ms after SIGKILL of the leader (leaseTtl ${LEASE_TTL_MS} + heartbeat ${HEARTBEAT_MS}), ` +
          `hand-over ${handoverAfterStopMs} ms after stop(); ${watcher.samples.length} checkpoint samples, none backwards`,
      );
    } finally {
      appending = false;
      await load.catch(() => undefined);
      if (child) await kill9(child);
      await Promise.all(runtimes.map((runtime) => runtime.stop()));
      await watcher.stop();
    }
  }, 60_000);
});
