/**
 * A PostgreSQL crash-restart (`pg_ctl stop -m immediate`, then start on the same port) under load,
 * on a server of this file's own: the runtime neither throws nor exits, and afterwards every event
 * in the log is applied exactly once with the checkpoint at the head, never having gone backwards.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PostgresEventStore } from '@app/event-store';
import { LogConsumerRuntime } from '@app/log-consumers';
import { dataSourceOptions } from '@app/read-models/data-source-options';
import { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { startTestPostgres } from '../../../test/setup/postgres-server';
import {
  appendNumbered,
  CheckpointWatcher,
  consumerRow,
  createSeenTable,
  eventually,
  numberOf,
  readPrefix,
  recordingLogger,
  seenProjector,
  seenSummary,
  sleep,
  testPool,
} from './support/harness';

type Server = Awaited<ReturnType<typeof startTestPostgres>>;

/**
 * A crash-restart of the test server: its own `restart` helper where it has one, else pg_ctl on
 * the same data directory and port (as the `postgres` user when we are root, like the helper).
 */
async function crashRestart(server: Server, downMs: number): Promise<void> {
  const withRestart = server as Server & { restart?: (mode: 'immediate', downMs?: number) => Promise<void> };
  if (typeof withRestart.restart === 'function') return withRestart.restart('immediate', downMs);
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  const pgCtl = onPath || join('/usr/lib/postgresql', versions[0] ?? '', 'bin', 'pg_ctl');
  const run = (args: string[]) =>
    process.getuid?.() === 0 ? promisify(execFile)('runuser', ['-u', 'postgres', '--', pgCtl, ...args]) : promisify(execFile)(pgCtl, args);
  const data = join(server.dir, 'data');
  await run(['-D', data, '-m', 'immediate', '-w', 'stop']);
  await sleep(downMs);
  await run(['-D', data, '-l', join(server.dir, 'log'), '-w', 'start', '-o', `-p ${server.port} -k ${server.dir} -c listen_addresses=127.0.0.1 -c max_connections=300`]);
}

describe('a PostgreSQL restart under load', () => {
  let server: Server;
  let dataSource: DataSource;
  let store: PostgresEventStore;
  let pool: Pool;

  beforeAll(async () => {
    // Durable, so a crash loses no acknowledged append and "every acknowledged event" is checkable.
    server = await startTestPostgres({ durable: true });
    dataSource = await new DataSource(dataSourceOptions(server.url, { size: 4, acquireTimeoutMs: 1_000 })).initialize();
    store = new PostgresEventStore({ connectionString: server.url, poolSize: 2, connectionTimeoutMs: 1_000 });
    pool = testPool(server.url);
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await dataSource?.destroy();
    await pool?.end();
    server?.stop();
  });

  it('neither throws nor exits, and afterwards every event is applied exactly once with the checkpoint at the head', async () => {
    const id = randomUUID().replace(/-/g, '').slice(0, 8);
    const prefix = `restart_${id}`;
    const table = `seen_restart_${id}`;
    const name = `restart-${id}`;
    await createSeenTable(pool, table);
    const unexpected: unknown[] = [];
    const onUnexpected = (error: unknown) => void unexpected.push(error);
    process.on('unhandledRejection', onUnexpected);
    process.on('uncaughtException', onUnexpected);
    const logger = recordingLogger();
    const runtime = new LogConsumerRuntime(
      { dataSource, store, consumers: [seenProjector(name, prefix, table)], logger },
      { heartbeatMs: 50, leaseTtlMs: 300, retryDelayMs: 50, maxRetryDelayMs: 300, batchSize: 100 },
    );
    // Load from a store of its own, so an append that fails during the outage cannot disturb the runtime's pool.
    const loadStore = new PostgresEventStore({ connectionString: server.url, poolSize: 1, connectionTimeoutMs: 500 });
    const acknowledged = new Set<number>();
    let failedAppends = 0;
    let appending = true;
    let next = 0;
    const load = (async () => {
      while (appending) {
        const from = next;
        next += 10;
        try {
          await appendNumbered(loadStore, prefix, from, 10, 10);
          for (let n = from; n < from + 10; n++) acknowledged.add(n);
        } catch {
          failedAppends++; // unknown outcome: the log itself says later whether it committed
          await sleep(50);
        }
        await sleep(10);
      }
    })();
    runtime.start();
    const watcher = new CheckpointWatcher(pool, name, 20);
    try {
      await eventually('the runtime applies', async () => ((await seenSummary(pool, table)).rows > 100 ? true : undefined));
      const before = (await seenSummary(pool, table)).rows;
      const restartStarted = Date.now();
      await crashRestart(server, 500);
      const restartMs = Date.now() - restartStarted;
      await sleep(800); // load goes on after the restart
      appending = false;
      await load;

      const events = await eventually('the log readable again', () => readPrefix(store, prefix), 10_000, 100);
      const head = events.at(-1)?.position;
      await eventually('the checkpoint at the head', async () => ((await consumerRow(pool, name))?.position === head ? true : undefined), 15_000, 50);
      const recoveredMs = Date.now() - restartStarted;
      const status = runtime.status()[0];
      await runtime.stop();
      await watcher.stop();

      const logged = new Set(events.map(numberOf));
      expect([...acknowledged].filter((n) => !logged.has(n))).toEqual([]); // (the store's guarantee, checked in passing)
      expect(await seenSummary(pool, table)).toEqual({ rows: events.length, twice: 0, distinctN: events.length, minN: 0, maxN: Math.max(...logged) });
      const { rows } = await pool.query<{ n: number }>(`SELECT n FROM ${table} ORDER BY position`);
      expect(rows.map((row) => row.n)).toEqual(events.map(numberOf));
      expect(watcher.backwards).toEqual([]);
      expect(watcher.failedSamples).toBeGreaterThan(0); // the watcher did see the outage
      expect(unexpected).toEqual([]);
      expect(status).toMatchObject({ role: 'leader', stalled: false, position: head });
      expect(logger.lines.some((line) => line.level === 'error')).toBe(true); // the outage was logged…
      const errorLines = logger.lines.filter((line) => line.level === 'error').length;
      console.log(
        `restart: ${events.length} events (${before} applied before the crash, ${failedAppends} appends failed during it); ` +
          `pg_ctl stop -m immediate + 500 ms down + start took ${restartMs} ms; at the head ${recoveredMs} ms after the crash began; ` +
          `${errorLines} error lines logged; ${watcher.samples.length} checkpoint samples (${watcher.failedSamples} failed), none backwards`,
      );
    } finally {
      appending = false;
      await load.catch(() => undefined);
      await runtime.stop();
      await watcher.stop();
      await loadStore.close();
      process.off('unhandledRejection', onUnexpected);
      process.off('uncaughtException', onUnexpected);
    }
  }, 60_000);
});
