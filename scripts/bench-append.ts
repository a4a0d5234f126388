/**
 * Append benchmark: how close does an event-store append come to a raw one-row INSERT + COMMIT,
 * measured in one run on one database at real durability (fsync on)?
 *
 *   npx tsx scripts/bench-append.ts          (npm run bench:append)
 *
 * Starts its own PostgreSQL (durable) unless DATABASE_URL points at a server; either way the
 * benchmark runs in a throwaway database that is dropped at the end.
 * BENCH_SECONDS (default 5) sets the length of each phase; BENCH_WRITERS (default 8) the concurrency.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { migrateEventStore, NewEvent, PostgresEventStore } from '@app/event-store';
import { RunningPostgres, startTestPostgres } from '../test/setup/postgres-server';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 8);
const STREAMS_PER_WRITER = 10;
const BATCH_SIZE = 100;
const RATIO_TARGET = 0.7;
const BATCH_TARGET_EVENTS_PER_SECOND = 50_000;

interface PhaseResult {
  operations: number;
  events: number;
  seconds: number;
}

async function main(): Promise<void> {
  let server: RunningPostgres | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    server = await startTestPostgres({ durable: true });
    serverUrl = server.url;
  }
  const stopServer = () => server?.stop();
  process.once('exit', stopServer);
  process.once('SIGINT', () => process.exit(130));

  const database = `bench_append_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  try {
    const settings = await describeServer(url.toString());
    console.log(`PostgreSQL ${settings.version}, fsync=${settings.fsync}, synchronous_commit=${settings.synchronousCommit}`);
    console.log(`${WRITERS} concurrent writers, ${SECONDS} s per phase\n`);
    await migrateEventStore(url.toString());

    const baseline = await measureBaseline(url.toString());
    // + 1: the store's post-commit NOTIFY should not take a writer's connection.
    const store = new PostgresEventStore({ connectionString: url.toString(), poolSize: WRITERS + 1 });
    let single: PhaseResult;
    let batched: PhaseResult;
    try {
      single = await measureAppends(store, 1);
      batched = await measureAppends(store, BATCH_SIZE);
    } finally {
      await store.close();
    }

    const ratio = rate(single, 'operations') / rate(baseline, 'operations');
    const batchedEventsPerSecond = rate(batched, 'events');
    printTable([
      ['(a) raw INSERT + COMMIT (1 row)', `${format(rate(baseline, 'operations'))} tx/s`, ''],
      ['(b) append, 1 event, expected version', `${format(rate(single, 'operations'))} appends/s`, ''],
      ['(c) ratio b / a', ratio.toFixed(2), `target >= ${RATIO_TARGET} ${ratio >= RATIO_TARGET ? 'OK' : 'MISSED'}`],
      [
        `(d) append, ${BATCH_SIZE} events per append`,
        `${format(batchedEventsPerSecond)} events/s`,
        `target >= ${format(BATCH_TARGET_EVENTS_PER_SECOND)} ${batchedEventsPerSecond >= BATCH_TARGET_EVENTS_PER_SECOND ? 'OK' : 'MISSED'}`,
      ],
    ]);
  } finally {
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    stopServer();
  }
}

/** (a) The ceiling: one-row autocommit INSERTs of an event-sized row into a plain table. */
async function measureBaseline(url: string): Promise<PhaseResult> {
  const setup = new Client({ connectionString: url });
  await setup.connect();
  await setup.query('CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, payload jsonb NOT NULL)');
  await setup.end();

  const clients = await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  try {
    const payload = JSON.stringify(sampleEvent());
    return await runForDuration(async (writer) => {
      await clients[writer].query({
        name: 'bench_baseline_insert',
        text: 'INSERT INTO bench_baseline (payload) VALUES ($1)',
        values: [payload],
      });
      return 1;
    });
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/** (b)/(d) Appends with an exact expected version, each writer on streams of its own. */
async function measureAppends(store: PostgresEventStore, eventsPerAppend: number): Promise<PhaseResult> {
  const streams = Array.from({ length: WRITERS * STREAMS_PER_WRITER }, () => ({
    id: `bench-${randomUUID()}`,
    version: -1, // no stream yet: -1 is also the exact expected version "no_stream"
  }));
  let next = 0;
  return runForDuration(async (writer) => {
    // Writer w owns streams w, w + WRITERS, ...: never two writers on one stream.
    const stream = streams[(next++ % STREAMS_PER_WRITER) * WRITERS + writer];
    const events = Array.from({ length: eventsPerAppend }, sampleEvent);
    const result = await store.append(stream.id, events, stream.version);
    stream.version = result.nextExpectedVersion;
    return eventsPerAppend;
  });
}

/** Runs WRITERS loops of `operation` for SECONDS, after a short unmeasured warm-up. */
async function runForDuration(operation: (writer: number) => Promise<number>): Promise<PhaseResult> {
  let measuring = false;
  let stopping = false;
  let operations = 0;
  let events = 0;
  const loops = Array.from({ length: WRITERS }, async (_, writer) => {
    while (!stopping) {
      const count = await operation(writer);
      if (measuring && !stopping) {
        operations += 1;
        events += count;
      }
    }
  });
  await sleep(500);
  measuring = true;
  const started = process.hrtime.bigint();
  await sleep(SECONDS * 1000);
  stopping = true;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(loops);
  return { operations, events, seconds };
}

function sampleEvent(): NewEvent {
  return {
    type: 'DisbursementPaid.v1',
    schemaVersion: 1,
    data: {
      grantId: randomUUID(),
      trancheId: randomUUID(),
      amount: { minorUnits: 2_500_000, currency: 'EUR' },
      paymentReference: 'PAY-2026-000123',
      paidOn: '2026-11-24',
    },
    metadata: {
      eventId: randomUUID(),
      actorId: randomUUID(),
      actorRole: 'grant-manager',
      correlationId: randomUUID(),
      causationId: randomUUID(),
      idempotencyKey: randomUUID(),
    },
  };
}

function rate(result: PhaseResult, unit: 'operations' | 'events'): number {
  return result[unit] / result.seconds;
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function describeServer(url: string) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string; fsync: string; synchronous_commit: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
              current_setting('synchronous_commit') AS synchronous_commit`,
    );
    return { version: rows[0].version, fsync: rows[0].fsync, synchronousCommit: rows[0].synchronous_commit };
  } finally {
    await client.end();
  }
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('   ').trimEnd());
}

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
