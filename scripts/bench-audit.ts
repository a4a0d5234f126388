/**
 * Audit benchmark: a 1,000,000-event programme, then the figures the audit features promise.
 *
 *   npx tsx scripts/bench-audit.ts          (npm run bench:audit)
 *
 * Starts its own PostgreSQL (durable: fsync on) unless DATABASE_URL points at a server; either way
 * it works in a throwaway database dropped at the end. Steps:
 * 1. generate BENCH_EVENTS (default 1,000,000) realistic domain events (test/support/synthetic-log.ts:
 *    organisations with encrypted contact persons, calls, proposals through review and decision,
 *    grants with tranches, reports and closure, commitments on the calls, plus one call stream of
 *    10,000 events), appended through the EVENT_CODEC and the hash-chaining store, two events per
 *    append (BENCH_EVENTS_PER_APPEND; 0: a stream's whole chunk per append) with 16 appends in
 *    flight, so that streams interleave in the log as they do in production;
 * 2. rebuild every read model with `npm run projections:rebuild` in a child process (its own
 *    events/s and peak RSS, as the operator would run it);
 * 3. seal the log, then verify the audit trail (libs/application/src/audit/verify.ts) as
 *    `npm run audit:verify` does, in a child process with that script's Node options
 *    (scripts/bench-audit-verify.ts): with worker threads (`readers`, BENCH_VERIFY_THREADS, default
 *    the machine's parallelism), and in one thread for comparison;
 * 4. as-of latency on the 10,000-event call stream: the decider fold, and the as-of read model
 *    cold (no as-of snapshot of the stream: deleted before each sample, so every read replays the
 *    10,000 events: the worst case, judged against the target), warm (from the snapshot the
 *    previous read wrote), and at an instant with no snapshot of its own once a replay has kept one
 *    every 1,000 events (the newest deleted before each sample: 1,000 events replayed).
 * Targets: rebuild >= 20,000 events/s with RSS <= 300 MB; verify >= 100,000 events/s; a cold as-of
 * read <= 100 ms. The load average is printed with the figures (the machine may be shared).
 * BENCH_AUDIT_ONLY=rebuild,verify,asof runs part of steps 2-4 (generation always runs);
 * BENCH_AUDIT_CPU_PROF=<dir> writes V8 CPU profiles of each verify run's process (<dir>/<run>/, one
 * file per thread, its reader threads included) and of this process for the decider fold and the
 * cold as-of samples (PostgreSQL is in none of them).
 * BENCH_VERIFY_RUNS=<n> measures verify n times (default 1) on the same log, BENCH_VERIFY_PAGE_SIZE its
 * pages (default 5,000; 500-2,000 measured no different, load 7-9). While iterating on a
 * step, BENCH_AUDIT_KEEP=1 keeps the database at the end (its name is printed) and
 * BENCH_AUDIT_DATABASE=<name> (with DATABASE_URL) runs on such a kept database instead of generating
 * one (the as-of step needs a generated log; rebuild runs again there, BENCH_REBUILD_RUNS times, and
 * its check compares with the tables the previous run swapped in). Verify and rebuild also print
 * PostgreSQL's CPU per event (the server's processes, from /proc: only when the server runs on this
 * machine); rebuild the CPU per event of its own process during the rebuild.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { newEventId } from '@app/platform/ids';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { type EventStore, eventStorePoolConfig, PostgresEventStore } from '@app/event-store';
import { HashChainingEventStore } from '@app/event-store/hash-chain';
import { AsOfReadModels, AsOfReplay } from '@app/application/audit/as-of';
import { type AuditDb, poolAuditDb } from '@app/application/audit/audit-db';
import { AuditSeals1764000250000 } from '@app/application/audit/audit-seals.migration';
import { auditSigningKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { AuditSealer } from '@app/application/audit/sealer';
import { callDecider } from '@app/domain/call';
import { organisationDecider, organisationStreamName, type OrganisationCommand, type OrganisationEvent } from '@app/domain/organisation';
import { type Decider, evolveMany } from '@app/domain/shared/decider';
import { schemaRegistry } from '@app/application/event-store.module';
import { EncryptingEventCodec, personalDataPolicy } from '@app/application/personal-data';
import { PersonalDataKeyring, PostgresPersonalDataKeyStore } from '@app/personal-data';
import { type DeciderSnapshotOptions, StreamCommandExecutor } from '@app/application/stream-command-executor';
import { deciderSnapshotIdentities, PostgresDeciderSnapshotStore } from '@app/application/snapshots/decider-snapshots';
import { DEV_ONLY_PII_MASTER_KEY } from '@app/platform/config/app-config';
import { databaseOptions } from '@app/application/database-options';
import { ProgressBar } from '@app/read-models/rebuild';
import { appendSyntheticLog, syntheticLog, type SyntheticChunk } from '../test/support/synthetic-log';
import { createProjections } from '@app/read-models/registry';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { benchPostgres } from '../test/setup/postgres-server';
import { REPO_ROOT, startFlagsFor } from '../test/faults/support/processes';
import type { BenchVerifyRun } from './bench-audit-verify';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const LONG_STREAM = 10_000;
const ONLY = new Set((process.env.BENCH_AUDIT_ONLY ?? 'rebuild,verify,asof').split(',').map((part) => part.trim()));
const CPU_PROF_DIR = process.env.BENCH_AUDIT_CPU_PROF;
const VERIFY_RUNS = Number(process.env.BENCH_VERIFY_RUNS ?? 1);
const REBUILD_RUNS = Number(process.env.BENCH_REBUILD_RUNS ?? 1);
const KEPT_DATABASE = process.env.BENCH_AUDIT_DATABASE;
/** Events per append while generating (0: a stream's whole chunk at once, the log this bench generated before 2026-12-06). */
const EVENTS_PER_APPEND = Number(process.env.BENCH_EVENTS_PER_APPEND ?? 2);
const KEEP_DATABASE = KEPT_DATABASE !== undefined || process.env.BENCH_AUDIT_KEEP === '1';
const TARGETS = { rebuildEventsPerSecond: 20_000, rebuildRssBytes: 300 * 1024 * 1024, verifyEventsPerSecond: 100_000, asOfMs: 100 };

type Row = [string, string, string];
const rows: Row[] = [];
const verdict = (ok: boolean) => (ok ? 'OK' : 'MISSED');
const n = (value: number) => Math.round(value).toLocaleString('en-US');

async function main(): Promise<void> {
  const { url: serverUrl, server: postgresServer } = await benchPostgres();

  if (KEPT_DATABASE !== undefined && !/^bench_audit_[0-9a-f]{12}$/.test(KEPT_DATABASE)) throw new Error(`BENCH_AUDIT_DATABASE: not a bench database: ${KEPT_DATABASE}`);
  const database = KEPT_DATABASE ?? `bench_audit_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  if (KEPT_DATABASE === undefined) await adminQuery(serverUrl, `CREATE DATABASE ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const dataSource = await new DataSource(databaseOptions(databaseUrl)).initialize();
  const pool = new Pool({ ...eventStorePoolConfig(databaseUrl), max: 20 });
  // pool.end() resolves before its connections have closed: DROP DATABASE … WITH (FORCE) at the end may
  // terminate one still closing, and an 'error' event with no listener would crash the run there.
  pool.on('error', () => undefined);
  const postgres = new PostgresEventStore({ pool });
  const keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(databaseUrl), Buffer.from(DEV_ONLY_PII_MASTER_KEY, 'base64'), { cacheMaxEntries: 10_000 });
  const codec = new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy());
  try {
    const settings = (await pool.query(`SELECT version() AS version, current_setting('fsync') AS fsync`)).rows[0];
    const store: EventStore = new HashChainingEventStore(postgres);
    let longCallStream: string | undefined;
    if (KEPT_DATABASE !== undefined) {
      const events = Number((await pool.query('SELECT count(*) AS count FROM events')).rows[0].count);
      console.log(`${String(settings.version).split(',')[0]}, fsync=${settings.fsync}; kept database ${database}, ${n(events)} events; load average ${load()}\n`);
      // Again on the same log: the previous run's swap left live tables and a checkpoint, so the check compares with them.
      for (let run = 0; ONLY.has('rebuild') && run < REBUILD_RUNS; run++) await measureRebuild(databaseUrl, pool);
      if (ONLY.has('verify')) await measureVerify(store, pool, databaseUrl);
      return void printResults();
    }
    console.log(`${String(settings.version).split(',')[0]}, fsync=${settings.fsync}; ${n(EVENTS)} events; load average ${load()}\n`);

    // 1. Generate.
    const chunks = (function* (): Generator<SyntheticChunk> {
      for (const chunk of syntheticLog({ events: EVENTS, longCallEvents: LONG_STREAM })) {
        if (longCallStream === undefined && chunk.events.length === LONG_STREAM) longCallStream = chunk.streamId;
        yield chunk;
      }
    })();
    const bar = new ProgressBar('generate');
    const generationStart = process.hrtime.bigint();
    const appended = await appendSyntheticLog(store, (streamId, event, metadata) => codec.encode(streamId, event, metadata), chunks, {
      concurrency: 16,
      eventsPerAppend: EVENTS_PER_APPEND,
      onAppended: (done) => bar.update(done, EVENTS),
    });
    const generationSeconds = seconds(generationStart);
    bar.finish(appended, appended);
    rows.push([`generate (codec + append, 16 writers, ${EVENTS_PER_APPEND > 0 ? `${EVENTS_PER_APPEND} events per append` : 'a whole chunk per append'})`, `${n(appended)} events in ${generationSeconds.toFixed(1)} s`, `${n(appended / generationSeconds)} events/s`]);

    // 2. Rebuild, as an operator runs it (child process: its RSS is the rebuild's alone).
    if (ONLY.has('rebuild')) await measureRebuild(databaseUrl, pool);

    // 3. Verify (after sealing).
    if (ONLY.has('verify')) await measureVerify(store, pool, databaseUrl);

    // 4. As-of on the 10,000-event call stream, at its last event (the whole stream folds).
    if (ONLY.has('asof')) await measureAsOf(store, codec, dataSource, pool, longCallStream);
  } finally {
    await postgres.close();
    await pool.end();
    await keyring.close();
    await dataSource.destroy();
    if (KEEP_DATABASE) console.log(`kept database ${database} (BENCH_AUDIT_DATABASE=${database} DATABASE_URL=${serverUrl})`);
    else await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    postgresServer?.stop();
  }
  printResults();
}

function printResults(): void {
  console.log('');
  printTable(rows);
  console.log(`\nload average at the end: ${load()}`);
}

async function measureRebuild(databaseUrl: string, pool: Pool): Promise<void> {
  const server = await postgresServerCpu(pool);
  const serverStart = server();
  const rebuild = await runRebuild(databaseUrl);
  const serverSeconds = serverStart === undefined ? undefined : (server() as number) - serverStart;
  const rebuiltEvents = rebuild.events;
  const rebuildSeconds = rebuild.seconds;
  const rebuildRate = rebuiltEvents / rebuildSeconds;
  const perEvent = (s: number) => ((s * 1e6) / rebuiltEvents).toFixed(1);
  for (const p of rebuild.projections) rows.push([`  rebuild ${p.projection} (concurrently)`, `${n(p.events)} events, done after ${p.seconds.toFixed(1)} s`, '-']);
  rows.push([
    'rebuild (all read models)',
    `${n(rebuildRate)} events/s (${n(rebuiltEvents)} in ${rebuildSeconds.toFixed(1)} s; ${rebuild.wallSeconds.toFixed(1)} s with start, check, swap; µs CPU/event: ${perEvent(rebuild.cpuSeconds)} in the rebuild process${
      serverSeconds === undefined ? '' : `, ${perEvent(serverSeconds)} PostgreSQL (with start, check, swap)`
    }; load ${load()})`,
    `target >= ${n(TARGETS.rebuildEventsPerSecond)} ${verdict(rebuildRate >= TARGETS.rebuildEventsPerSecond)}`,
  ]);
  rows.push([
    'rebuild peak RSS',
    `${(rebuild.maxRssBytes / 1024 / 1024).toFixed(0)} MB (sampled from /proc: ${(rebuild.sampledPeakRssBytes / 1024 / 1024).toFixed(0)} MB)`,
    `target <= 300 MB ${verdict(rebuild.maxRssBytes <= TARGETS.rebuildRssBytes)}`,
  ]);
}

/**
 * Verify as `npm run audit:verify` runs it: in a child process started with that script's Node
 * options from package.json (scripts/bench-audit-verify.ts: the CLI's call of verifyAuditLog,
 * timed inside the child, so its start-up is not counted), reading through the adapter itself (the
 * chaining decorator adds nothing to reads). The as-of step runs here, with the API's options.
 */
async function measureVerify(store: EventStore, pool: Pool, databaseUrl: string): Promise<void> {
  const db = poolAuditDb(pool);
  const sealStart = process.hrtime.bigint();
  await seal(store, db, pool);
  rows.push(['seal (global chain, signed)', `${seconds(sealStart).toFixed(1)} s`, '-']);
  const threads = Number(process.env.BENCH_VERIFY_THREADS ?? availableParallelism());
  const server = await postgresServerCpu(pool);
  const flags = startFlagsFor(join(REPO_ROOT, 'scripts/audit-verify.ts'));
  for (let run = 0; run < VERIFY_RUNS; run++) {
    for (const readers of [true, false]) {
      const label = `${readers ? 'verify-readers' : 'verify-one-thread'}${run > 0 ? `-${run + 1}` : ''}`;
      const serverStart = server();
      const figures = await runVerify(flags, databaseUrl, readers ? [] : ['--one-thread'], label);
      const serverSeconds = serverStart === undefined ? undefined : (server() as number) - serverStart;
      const verifyRate = figures.eventsChecked / figures.seconds;
      const perEvent = (us: number) => (us / figures.eventsChecked).toFixed(1);
      rows.push([
        `verify, ${readers ? `${figures.readerThreads} reader threads` : 'one thread'} (${figures.ok ? 'clean' : `BROKEN: ${figures.breakKind}`}, ${figures.sealsChecked} seals)`,
        `${n(verifyRate)} events/s (${n(figures.eventsChecked)} in ${figures.seconds.toFixed(1)} s; µs CPU/event: ${perEvent(figures.cpuMicros)} in its process${
          serverSeconds === undefined ? '' : `, ${perEvent(serverSeconds * 1e6)} PostgreSQL`
        }; load ${load()})`,
        readers ? `target >= ${n(TARGETS.verifyEventsPerSecond)} ${verdict(verifyRate >= TARGETS.verifyEventsPerSecond && figures.ok && figures.readerThreads === threads)}` : '-',
      ]);
    }
  }
  rows.push(['  (verify\'s Node options, as npm run audit:verify)', flags.filter((flag) => flag !== '--import' && flag !== 'tsx').join(' ') || 'none', '-']);
}

/** One verify run in a child process (see measureVerify); with BENCH_AUDIT_CPU_PROF, its threads' CPU profiles in <dir>/<label>/ (node --cpu-prof: a file per thread). */
function runVerify(flags: string[], databaseUrl: string, args: string[], label: string): Promise<BenchVerifyRun> {
  const profile = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(resolve(CPU_PROF_DIR), label)}`] : [];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...flags, ...profile, join(__dirname, 'bench-audit-verify.ts'), ...args], {
      env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development', DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the verify run exited with ${code}`));
      resolvePromise(JSON.parse(out.trim().split('\n').pop() as string) as BenchVerifyRun);
    });
  });
}

async function measureAsOf(store: EventStore, codec: EncryptingEventCodec, dataSource: DataSource, pool: Pool, longCallStream: string | undefined): Promise<void> {
  if (!longCallStream) throw new Error('the long call stream was not generated');
  const [last] = await store.readStream(longCallStream, { direction: 'backwards', maxCount: 1 });
  const asOf = last.recordedAt;
  const executor = new StreamCommandExecutor(store, codec);
  const foldProfile = await profiled('as-of-decider-fold');
  const fold = await timed(async () => {
    const { version } = await executor.load(callDecider, longCallStream as string, asOf);
    if (version !== LONG_STREAM - 1) throw new Error(`folded ${version + 1} events, expected ${LONG_STREAM}`);
  });
  await foldProfile.stop();
  rows.push([`as-of: decider fold of ${n(LONG_STREAM)} events`, `median ${fold.median.toFixed(1)} ms (min ${fold.min.toFixed(1)})`, '-']);
  // A command on a stream its process has not folded lately, read whole and from its decider snapshot.
  await measureColdReads(store, codec, dataSource, pool, callDecider, longCallStream, `the ${n(LONG_STREAM)}-event call stream`);
  await measureColdReads(store, codec, dataSource, pool, organisationDecider, await longOrganisationStream(store, codec), `a ${n(LONG_STREAM)}-event organisation stream`);
  {
    const readModels = new AsOfReadModels(new AsOfReplay(dataSource, store, codec, createProjections()));
    const callId = longCallStream.slice('call-'.length);
    const read = async () => {
      const row = await readModels.call(callId, asOf);
      if (!row) throw new Error('no as-of row');
    };
    const forget = () => pool.query('DELETE FROM as_of_snapshots WHERE stream_id = $1', [longCallStream]);
    // The API process answering the route runs with package.json's start flags (e.g. a larger young
    // generation); this one with whatever it was given: say which, as the collector is a good part of a replay.
    const young = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].find((flag) => flag.startsWith('--max-semi-space-size')) ?? "V8's default young generation";
    const profile = await profiled('as-of-cold');
    // A fixed number of samples (the machine may be shared: a median of 3 says little).
    const cold = await sampled(AS_OF_SAMPLES, forget, read);
    await profile.stop();
    rows.push([
      `as-of: GET /calls/:id?asOf, cold (replays ${n(LONG_STREAM)} events)`,
      `median ${cold.median.toFixed(1)} ms (min ${cold.min.toFixed(1)}, max ${cold.max.toFixed(1)}; ${cold.cpu.toFixed(0)} ms CPU in this process, ${young}; load ${load()})`,
      `target <= ${TARGETS.asOfMs} ms ${verdict(cold.median <= TARGETS.asOfMs)}`,
    ]);
    const warm = await timed(read);
    rows.push([`as-of: GET /calls/:id?asOf, warm (from its snapshot)`, `median ${warm.median.toFixed(1)} ms (min ${warm.min.toFixed(1)})`, '-']);
    // A replay keeps a snapshot at every point it passes (each 1,000 events): after one, a read at an
    // instant with no snapshot of its own replays the tail since the point before it. The worst such
    // tail: the newest point's snapshot deleted before each sample, so 1,000 events are replayed.
    const forgetNewest = async () => {
      const { rows: gone } = await pool.query(
        `DELETE FROM as_of_snapshots WHERE stream_id = $1 AND stream_version = (SELECT max(stream_version) FROM as_of_snapshots WHERE stream_id = $1) RETURNING stream_version`,
        [longCallStream],
      );
      const { rows: kept } = await pool.query('SELECT max(stream_version) AS version FROM as_of_snapshots WHERE stream_id = $1', [longCallStream]);
      if (Number(gone[0]?.stream_version) !== LONG_STREAM - 1 || Number(kept[0].version) !== LONG_STREAM - 1 - 1_000) throw new Error('the stream has no snapshot every 1,000 events');
    };
    const tail = await sampled(AS_OF_SAMPLES, forgetNewest, read);
    rows.push([
      `as-of: GET /calls/:id?asOf, no snapshot for its instant (replays 1,000 events)`,
      `median ${tail.median.toFixed(1)} ms (min ${tail.min.toFixed(1)}, max ${tail.max.toFixed(1)}; ${tail.cpu.toFixed(0)} ms CPU in this process)`,
      '-',
    ]);
  }
}

/** Samples of the as-of reads (after one warm-up). */
const AS_OF_SAMPLES = 15;

/**
 * Wall and CPU time of `run`, each time after `prepare` (not timed), `count` times after a warm-up:
 * median, least and most wall time, median CPU time of this process.
 */
async function sampled(count: number, prepare: () => Promise<unknown>, run: () => Promise<void>): Promise<{ median: number; min: number; max: number; cpu: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i <= count; i++) {
    await prepare();
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    await run();
    const used = process.cpuUsage(cpuStart);
    if (i === 0) continue; // warm: statement plans, key cache
    walls.push(Number(process.hrtime.bigint() - start) / 1e6);
    cpus.push((used.user + used.system) / 1000);
  }
  return { median: median(walls), min: Math.min(...walls), max: Math.max(...walls), cpu: median(cpus) };
}

interface RebuildFigures {
  projections: { projection: string; events: number; seconds: number }[];
  /** Events applied and seconds of the rebuild itself (all projections, concurrently), without start-up, check and swap. */
  events: number;
  seconds: number;
  /** CPU time of the rebuild process during those seconds. */
  cpuSeconds: number;
  maxRssBytes: number;
  sampledPeakRssBytes: number;
  wallSeconds: number;
}

/**
 * `npm run projections:rebuild -- --swap --json` in one node process (tsx as a loader), with the
 * bounded heap the command gives itself (rebuild/cli-heap-guard.ts), its RSS sampled from /proc as well.
 */
function runRebuild(databaseUrl: string): Promise<RebuildFigures> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [`--max-old-space-size=${process.env.REBUILD_HEAP_MB ?? 160}`, '--import', 'tsx', join(__dirname, 'projections-rebuild.ts'), '--swap', '--json', '--wait-for-live', '0', '--batch-size', process.env.BENCH_BATCH_SIZE ?? '2000'], {
      // As `npm run projections:rebuild` runs it: development defaults unless NODE_ENV says otherwise.
      env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development', DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let sampledPeak = 0;
    const sampler = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        sampledPeak = Math.max(sampledPeak, kb * 1024);
      } catch {
        /* exited */
      }
    }, 100);
    let out = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`projections:rebuild exited with ${code}`));
      const summary = JSON.parse(out.trim().split('\n').pop() as string) as Omit<RebuildFigures, 'sampledPeakRssBytes' | 'wallSeconds'>;
      resolve({ ...summary, sampledPeakRssBytes: sampledPeak, wallSeconds: seconds(started) });
    });
  });
}

/**
 * The CPU seconds the PostgreSQL server has used so far (the postmaster, its live processes, and
 * those it has reaped), from /proc; a function answering undefined if the server is not local.
 */
async function postgresServerCpu(pool: Pool): Promise<() => number | undefined> {
  try {
    const dataDirectory = (await pool.query(`SELECT current_setting('data_directory') AS dir`)).rows[0].dir as string;
    const postmaster = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const ticks = 100; // USER_HZ
    const stat = (pid: string) => {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return text.slice(text.lastIndexOf(')') + 2).split(' ');
    };
    return () => {
      try {
        const own = stat(String(postmaster));
        // Fields after the command: state is [0], ppid [1], utime [11], stime [12], cutime [13], cstime [14].
        let total = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
        for (const pid of readdirSync('/proc')) {
          if (!/^\d+$/.test(pid)) continue;
          try {
            const fields = stat(pid);
            if (Number(fields[1]) === postmaster) total += Number(fields[11]) + Number(fields[12]);
          } catch {
            // gone meanwhile
          }
        }
        return total / ticks;
      } catch {
        return undefined;
      }
    };
  } catch {
    return () => undefined;
  }
}

/** Seals the log first, so that verify checks the global chain and the seal signatures too, not only the stream chains. */
async function seal(store: EventStore, db: AuditDb, pool: Pool): Promise<void> {
  const table = (await pool.query(`SELECT to_regclass('audit_seals') IS NOT NULL AS found`)).rows[0].found as boolean;
  if (!table) {
    // Until the app's migrations include it.
    const client = await pool.connect();
    try {
      await new AuditSeals1764000250000().up({ query: (sql: string, params?: unknown[]) => client.query(sql, params).then((r) => r.rows) } as never);
    } finally {
      client.release();
    }
  }
  await new AuditSealer({ store, db, signingKey: auditSigningKeyFromEnv(), everyEvents: 10_000, pageSize: 5_000 }).sealPending();
}

/** With BENCH_AUDIT_CPU_PROF: profiles this process until stop(), into <dir>/<label>.cpuprofile. */
async function profiled(label: string): Promise<{ stop(): Promise<void> }> {
  if (!CPU_PROF_DIR) return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(resolve(CPU_PROF_DIR), { recursive: true });
      writeFileSync(join(resolve(CPU_PROF_DIR), `${label}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Median and least of a few runs after a warm-up; `run` may return its own duration (ms) to leave out its set-up. */
/**
 * A command's read of a stream its process has not folded lately: a fresh executor each sample
 * (nothing folded in memory), reading the stream whole, then from its decider snapshot (as the app
 * does once a read stored one: a first page, full, then the look-up and the events from the
 * snapshot's), and from its snapshot in a process that read the stream before and has dropped its
 * folded state since (it knows the stream is long: the look-up first, then the events from the snapshot's).
 */
async function measureColdReads<C, E extends { type: string; data: unknown }, S>(store: EventStore, codec: EncryptingEventCodec, dataSource: DataSource, pool: Pool, decider: Decider<C, E, S>, streamId: string, what: string): Promise<void> {
  const loadFresh = (snapshots?: DeciderSnapshotOptions) => async () => {
    const { version } = await new StreamCommandExecutor(store, codec, undefined, undefined, snapshots).load(decider, streamId);
    if (version !== LONG_STREAM - 1) throw new Error(`folded to version ${version}, expected ${LONG_STREAM - 1}`);
  };
  const whole = await timed(loadFresh());
  const snapshots: DeciderSnapshotOptions = { store: new PostgresDeciderSnapshotStore(dataSource), deciders: deciderSnapshotIdentities(schemaRegistry()) };
  await loadFresh(snapshots)(); // reads whole, and stores the snapshot after
  for (let waited = 0; ; waited += 20) {
    const { rows: stored } = await pool.query('SELECT stream_version, length(sealed) AS bytes FROM decider_snapshots WHERE stream_id = $1', [streamId]);
    if (Number(stored[0]?.stream_version) === LONG_STREAM - 1) {
      const fromSnapshot = await timed(loadFresh(snapshots));
      // A process that read the stream before (its folded state since dropped) knows it is long: the look-up first, no first page.
      const known = new StreamCommandExecutor(store, codec, undefined, undefined, snapshots);
      await known.load(decider, streamId);
      const knownLong = await timed(async () => {
        known.forgetFoldedStates();
        const { version } = await known.load(decider, streamId);
        if (version !== LONG_STREAM - 1) throw new Error(`folded to version ${version}, expected ${LONG_STREAM - 1}`);
      });
      rows.push([
        `a command's cold read of ${what} (nothing folded in its process)`,
        `whole: median ${whole.median.toFixed(1)} ms (min ${whole.min.toFixed(1)}); from its decider snapshot (${n(Number(stored[0].bytes))} bytes sealed): median ${fromSnapshot.median.toFixed(1)} ms (min ${fromSnapshot.min.toFixed(1)}) in a new process, ${knownLong.median.toFixed(1)} ms (min ${knownLong.min.toFixed(1)}) in one that read it before`,
        '-',
      ]);
      return;
    }
    if (waited > 10_000) throw new Error(`no decider snapshot of ${what} was stored`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An organisation (with a contact person) renamed until its stream holds LONG_STREAM events: decided in memory, appended in batches. */
async function longOrganisationStream(store: EventStore, codec: EncryptingEventCodec): Promise<string> {
  const organisationId = randomUUID();
  const streamId = organisationStreamName(organisationId);
  const now = new Date().toISOString();
  let state = organisationDecider.initialState;
  const events: OrganisationEvent[] = [];
  const run = (command: OrganisationCommand) => {
    const produced = organisationDecider.decide(command, state);
    state = evolveMany(organisationDecider, state, produced);
    events.push(...produced);
  };
  run({
    type: 'RegisterOrganisation',
    data: { organisationId, name: 'Network 0', country: 'LB', legalStatus: 'other', focusGroups: ['refugees'], contactPerson: { name: 'Bench Contact', email: 'contact@bench.example.org' } },
    now,
  } as OrganisationCommand);
  for (let i = 1; events.length < LONG_STREAM; i++) run({ type: 'UpdateOrganisationProfile', data: { organisationId, name: `Network ${i}` }, now } as OrganisationCommand);
  const metadata = () => ({ eventId: newEventId(), actorId: 'bench', actorRole: 'grant-manager', correlationId: 'bench', causationId: 'bench' });
  for (let from = 0; from < events.length; from += 500) {
    const batch = await Promise.all(events.slice(from, from + 500).map((event) => codec.encode(streamId, event, metadata())));
    await store.append(streamId, batch, from === 0 ? 'no_stream' : from - 1);
  }
  return streamId;
}

async function timed(run: () => Promise<number | void>): Promise<{ median: number; min: number }> {
  const warm = process.hrtime.bigint();
  await run(); // warm: statement plans, key cache
  // Far over target, a few samples say as much as many.
  const times = Number(process.hrtime.bigint() - warm) / 1e6 > 1_000 ? 3 : 7;
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = process.hrtime.bigint();
    const own = await run();
    samples.push(typeof own === 'number' ? own : Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0] };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function printTable(table: Row[]): void {
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('   '));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
