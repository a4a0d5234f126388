/**
 * Append benchmark: how close does an event-store append come to a raw one-row INSERT + COMMIT,
 * measured in one run on one database at real durability (fsync on)?
 *
 *   npx tsx scripts/bench-append.ts          (npm run bench:append)
 *
 * Starts its own PostgreSQL (durable) unless DATABASE_URL points at a server; either way the
 * benchmark runs in a throwaway database that is dropped at the end.
 *
 * Fairness: client and server share the machine, so both sides of the ratio do the same client
 * work per operation (build one fresh event; the baseline serialises it as its row) over the same
 * number of connections (one per writer). The phases are interleaved, BENCH_ROUNDS times, so that
 * a noisy neighbour slows both alike; totals are over all rounds and each round's figures are
 * printed too, with the Node process's own CPU time per operation. The ratio judged against the
 * target is the median of the rounds' ratios (each round's two phases ran back to back, under the
 * same background load); the ratio of the totals is printed beside it. The load average is printed
 * with the figures.
 * BENCH_SECONDS (default 2) sets the length of each phase, BENCH_ROUNDS (default 8) the number of
 * rounds, BENCH_WRITERS (default 8) the concurrency.
 */
import { randomUUID } from 'node:crypto';
import { newEventId } from '@app/platform/ids';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateEventStore, NewEvent, PostgresEventStore } from '@app/event-store';
import { benchPostgres } from '../test/setup/postgres-server';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 8);
const STREAMS_PER_WRITER = 10;
const BATCH_SIZE = 100;
const RATIO_TARGET = 0.7;
const BATCH_TARGET_EVENTS_PER_SECOND = 50_000;

interface PhaseResult {
  operations: number;
  events: number;
  seconds: number;
  /** CPU time of this Node process (user + system) during the measured interval. */
  clientCpuMicros: number;
  /** CPU time of the PostgreSQL server's processes, when the benchmark started the server. */
  serverCpuMicros: number;
}

/** Reads the server's total CPU time; set when the benchmark runs its own server. */
let serverCpuMicros: () => number = () => 0;

async function main(): Promise<void> {
  const { url: serverUrl, server } = await benchPostgres();
  if (server) {
    const postmasterPid = Number(readFileSync(join(server.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    serverCpuMicros = () => processTreeCpuMicros(postmasterPid);
  }

  const database = `bench_append_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  try {
    const settings = await describeServer(url.toString());
    console.log(`PostgreSQL ${settings.version}, fsync=${settings.fsync}, synchronous_commit=${settings.synchronousCommit}`);
    console.log(`${WRITERS} concurrent writers, ${ROUNDS} rounds of ${SECONDS} s per phase; load average ${load()}\n`);
    await migrateEventStore(url.toString());

    // + 1: the store's post-commit NOTIFY should not take a writer's connection.
    const store = new PostgresEventStore({ connectionString: url.toString(), poolSize: WRITERS + 1 });
    const baseline = new Baseline(url.toString());
    const totals = { baseline: emptyResult(), single: emptyResult(), batched: emptyResult() };
    const roundRatios: number[] = [];
    try {
      await baseline.open();
      for (let round = 1; round <= ROUNDS; round++) {
        const results = {
          baseline: await baseline.measure(),
          single: await measureAppends(store, 1),
          batched: await measureAppends(store, BATCH_SIZE),
        };
        roundRatios.push(rate(results.single, 'operations') / rate(results.baseline, 'operations'));
        console.log(
          `round ${round}: raw ${format(rate(results.baseline, 'operations'))} tx/s (${cpuPer(results.baseline, 'operations')}),` +
            ` append ${format(rate(results.single, 'operations'))}/s (${cpuPer(results.single, 'operations')}),` +
            ` ratio ${(rate(results.single, 'operations') / rate(results.baseline, 'operations')).toFixed(2)},` +
            ` batched ${format(rate(results.batched, 'events'))} events/s (${cpuPer(results.batched, 'events')})`,
        );
        for (const phase of ['baseline', 'single', 'batched'] as const) add(totals[phase], results[phase]);
      }
    } finally {
      await baseline.close();
      await store.close();
    }

    const totalsRatio = rate(totals.single, 'operations') / rate(totals.baseline, 'operations');
    const ratio = median(roundRatios);
    const batchedEventsPerSecond = rate(totals.batched, 'events');
    console.log('');
    printTable([
      ['(a) raw INSERT + COMMIT (1 row)', `${format(rate(totals.baseline, 'operations'))} tx/s`, cpuPer(totals.baseline, 'operations')],
      ['(b) append, 1 event, expected version', `${format(rate(totals.single, 'operations'))} appends/s`, cpuPer(totals.single, 'operations')],
      [
        '(c) ratio b / a, median of the rounds',
        `${ratio.toFixed(2)} (rounds ${Math.min(...roundRatios).toFixed(2)}–${Math.max(...roundRatios).toFixed(2)}; totals ${totalsRatio.toFixed(2)})`,
        `target >= ${RATIO_TARGET} ${ratio >= RATIO_TARGET ? 'OK' : 'MISSED'}`,
      ],
      [
        `(d) append, ${BATCH_SIZE} events per append`,
        `${format(batchedEventsPerSecond)} events/s (${cpuPer(totals.batched, 'events')})`,
        `target >= ${format(BATCH_TARGET_EVENTS_PER_SECOND)} ${batchedEventsPerSecond >= BATCH_TARGET_EVENTS_PER_SECOND ? 'OK' : 'MISSED'}`,
      ],
    ]);
    console.log(`\nload average at the end: ${load()}`);
  } finally {
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    server?.stop();
  }
}

/**
 * (a) The ceiling: one-row autocommit INSERTs of an event-sized row into a plain table with a
 * bigserial key, one connection per writer, a named (prepared) statement.
 */
class Baseline {
  private clients: Client[] = [];

  constructor(private readonly url: string) {}

  async open(): Promise<void> {
    const setup = new Client({ connectionString: this.url });
    await setup.connect();
    await setup.query('CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, payload jsonb NOT NULL)');
    await setup.end();
    this.clients = await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        const client = new Client({ connectionString: this.url });
        await client.connect();
        return client;
      }),
    );
  }

  measure(): Promise<PhaseResult> {
    return runForDuration(async (writer) => {
      await this.clients[writer].query({
        name: 'bench_baseline_insert',
        text: 'INSERT INTO bench_baseline (payload) VALUES ($1)',
        values: [JSON.stringify(sampleEvent())],
      });
      return 1;
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.end()));
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
  const cpuAtStart = process.cpuUsage();
  const serverCpuAtStart = serverCpuMicros();
  await sleep(SECONDS * 1000);
  stopping = true;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuAtStart);
  const serverCpu = serverCpuMicros() - serverCpuAtStart;
  await Promise.all(loops);
  return { operations, events, seconds, clientCpuMicros: cpu.user + cpu.system, serverCpuMicros: serverCpu };
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
      eventId: newEventId(),
      actorId: randomUUID(),
      actorRole: 'grant-manager',
      correlationId: randomUUID(),
      causationId: randomUUID(),
      idempotencyKey: randomUUID(),
    },
  };
}

/** User + system CPU of a process and its children that are still running (Linux /proc). */
function processTreeCpuMicros(rootPid: number): number {
  const ticksToMicros = 1e6 / 100; // USER_HZ
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // Fields after the parenthesised command name: state ppid ... utime(12th) stime(13th).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === rootPid || Number(fields[1]) === rootPid) total += (Number(fields[11]) + Number(fields[12])) * ticksToMicros;
  }
  return total;
}

function emptyResult(): PhaseResult {
  return { operations: 0, events: 0, seconds: 0, clientCpuMicros: 0, serverCpuMicros: 0 };
}

function add(total: PhaseResult, result: PhaseResult): void {
  total.operations += result.operations;
  total.events += result.events;
  total.seconds += result.seconds;
  total.clientCpuMicros += result.clientCpuMicros;
  total.serverCpuMicros += result.serverCpuMicros;
}

/** Client and server CPU per operation (whole µs) or per event (to a tenth: a batched append's share is a few µs). */
function cpuPer(result: PhaseResult, unit: 'operations' | 'events'): string {
  const micros = (cpu: number) => (cpu / result[unit]).toFixed(unit === 'operations' ? 0 : 1);
  return `client ${micros(result.clientCpuMicros)} + server ${micros(result.serverCpuMicros)} µs CPU/${unit === 'operations' ? 'op' : 'event'}`;
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

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
