/**
 * HTTP benchmark (issue 11): what does a request cost in Grant Ledger against a bare NestJS app of
 * the same stack, measured in one run, on one PostgreSQL (fsync on), at 50 connections?
 *
 *   npx tsx scripts/bench-http.ts          (npm run bench:http)
 *
 * Builds the apps (`npm run build`, unless dist/ is newer than the sources; BENCH_HTTP_SKIP_BUILD=1
 * reuses dist/ as it is, BENCH_HTTP_BUILD=1 always builds), starts its own durable PostgreSQL, then
 * two servers, each in a process of its own, each on a database of its own on that server, both
 * connected through its Unix socket as `npm start`'s embedded PostgreSQL connects the app
 * (BENCH_HTTP_TCP=1: both over TCP on 127.0.0.1, as a DATABASE_URL with a host name does):
 *
 * (a) the bare app: NestJS 12 on the express platform, nothing else (no guard, pipe, interceptor,
 *     request log or ETag), a pg pool of 10 with named (prepared) statements, and two routes:
 *     `POST /bare/events` INSERTs the JSON body as an events-shaped row (autocommit) and answers
 *     201 { id, version }; `GET /bare/events/:position` SELECTs one such row by primary key.
 * (b) Grant Ledger as `npm start` runs it: the built dist/apps/api/apps/api/src/main.js with the
 *     worker in the process (RUN_WORKER=true), NODE_ENV=test (the development secrets the tokens are
 *     signed with), LOG_LEVEL=info to a file whose path is printed, and the command throttle off
 *     (THROTTLE_COMMANDS_LIMIT=0: one token sends the whole load; what is measured is not the limit).
 *
 * autocannon (in this process) drives one target at a time with BENCH_HTTP_CONNECTIONS (default 50)
 * connections for BENCH_HTTP_SECONDS (default 15), in BENCH_HTTP_ROUNDS (default 2) interleaved
 * rounds, so that a noisy neighbour slows both servers alike. Each round of a target follows a warm-up
 * of that target (BENCH_HTTP_WARMUP_SECONDS, default 3), printed and not counted: for Grant Ledger
 * it is a cold start after the other targets ran. Before each phase the servers are
 * left to go idle (Grant Ledger's worker catching up on the previous phase's events counts against
 * that phase, in "CPU incl. catch-up"). Every phase prints requests/s (2xx only; anything else is
 * counted and shown), p50 and p99 latency, CPU per request of the server process and of PostgreSQL,
 * PostgreSQL transactions per request, and the load average. Then the ratios against the bare
 * endpoints, with the targets: commands >= 0.5x the INSERT's throughput with p99 <= 1.5x;
 * GET by id >= 0.8x the SELECT's.
 *
 * Targets measured on Grant Ledger: POST /calls (a create), PATCH /organisations/:id (a command on
 * an existing stream: 500 organisations, a changing name), POST /calls with an Idempotency-Key
 * (a fresh key per request), GET /calls/:id (200 calls, round robin) and GET /proposals?callId=
 * (a published call with 20 proposals).
 *
 * BENCH_HTTP_WORKER=0 (a diagnostic, not how `npm start` runs) starts the worker in a process of its
 * own, so that the server's CPU per request is the API's alone: the difference is the in-process
 * worker's share; the worker process's own CPU per request is printed beside it.
 * BENCH_HTTP_WORKER=none (a diagnostic too) stops that worker once the seeded rows show: the
 * measured phases then run with no worker at all (nothing projected, sealed or sent), which bounds
 * what the API and its appends can do alone, PostgreSQL's share included.
 * BENCH_HTTP_ONLY=create,update,keyed,get,list restricts the Grant Ledger phases (the bare ones run
 * as needed); BENCH_HTTP_STATEMENTS=1 starts the benchmark's PostgreSQL with pg_stat_statements
 * and prints, per phase, the statements per request by kind with their mean execution time — a
 * diagnostic, it costs a little on both sides; BENCH_HTTP_CPU_PROF=<dir> profiles Grant Ledger's CPU during every measured
 * phase of either server (warm-ups excluded), one <dir>/<round>-<target>.cpuprofile each (a
 * --require hook that starts and stops the V8 profiler on SIGUSR2; --cpu-prof itself is not allowed
 * in NODE_OPTIONS).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Pool } from 'pg';
import { ExpressPrototypesAdapter } from '../apps/api/src/http/express-server';
import { ensureBuilt } from '../test/faults/support/build';
import { bearer, callBody } from '../test/faults/support/calls';
import { HttpClient } from '../test/faults/support/http';
import { Fleet } from '../test/faults/support/processes';
import { freePort, startTestPostgres } from '../test/setup/postgres-server';

const BARE_SERVER_FLAG = '--bare-server';
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 15);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 50);
const WARMUP_SECONDS = Number(process.env.BENCH_HTTP_WARMUP_SECONDS ?? 3);
const ONLY = process.env.BENCH_HTTP_ONLY?.split(',').map((s) => s.trim());
const STATEMENTS = process.env.BENCH_HTTP_STATEMENTS === '1';
const CPU_PROF_DIR = process.env.BENCH_HTTP_CPU_PROF;
const OVER_TCP = process.env.BENCH_HTTP_TCP === '1';
const CALLS = 200;
const ORGANISATIONS = 500;
const PROPOSALS = 20;
const BARE_ROWS = 1_000;
const TARGETS = { commandThroughput: 0.5, commandP99: 1.5, getThroughput: 0.8 };

// ---------------------------------------------------------------------------------------------
// (a) The bare app, run in a child process of its own: `tsx scripts/bench-http.ts --bare-server`.
// ---------------------------------------------------------------------------------------------

async function runBareServer(): Promise<void> {
  // Loaded here so that the benchmark's own process does not start NestJS.
  const { Body, Controller, Get, HttpCode, Inject, Module, NotFoundException, Param, Post } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const POOL = 'BARE_POOL';
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const COLUMNS = 'position, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at';

  // Decorators applied by hand: tsx (esbuild) emits no design-time type metadata, so the pool is
  // injected by token.
  class BareController {
    constructor(private readonly pool: InstanceType<typeof Pool>) {}

    async insert(body: unknown): Promise<{ id: string; version: number }> {
      const streamId = `bare-${randomUUID()}`;
      const metadata = { eventId: randomUUID(), actorId: 'bench', actorRole: 'grant-manager', correlationId: randomUUID(), causationId: randomUUID() };
      const { rows } = await this.pool.query<{ position: string }>({
        name: 'bare_insert',
        text: `INSERT INTO bare_events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
               VALUES ($1, 0, $2, 'CallDrafted', 1, $3, $4) RETURNING position`,
        values: [streamId, metadata.eventId, JSON.stringify(body), JSON.stringify(metadata)],
      });
      return { id: rows[0].position, version: 0 };
    }

    async select(position: string): Promise<unknown> {
      const { rows } = await this.pool.query({ name: 'bare_select', text: `SELECT ${COLUMNS} FROM bare_events WHERE position = $1`, values: [position] });
      if (!rows[0]) throw new NotFoundException();
      return rows[0];
    }
  }
  Inject(POOL)(BareController, undefined, 0);
  Controller('bare')(BareController);
  const decorate = (name: 'insert' | 'select', ...decorators: MethodDecorator[]) => {
    const descriptor = Object.getOwnPropertyDescriptor(BareController.prototype, name) as PropertyDescriptor;
    for (const decorator of decorators) decorator(BareController.prototype, name, descriptor);
    Object.defineProperty(BareController.prototype, name, descriptor);
  };
  Body()(BareController.prototype, 'insert', 0);
  Param('position')(BareController.prototype, 'select', 0);
  decorate('insert', Post('events'), HttpCode(201));
  decorate('select', Get('events/:position'));

  class BareModule {}
  Module({ controllers: [BareController], providers: [{ provide: POOL, useValue: pool }] })(BareModule);

  // BENCH_HTTP_BARE_PROTOTYPES=1 (a diagnostic): the bare app's server as Grant Ledger's (ExpressPrototypesAdapter), not Nest's default.
  const app = process.env.BENCH_HTTP_BARE_PROTOTYPES === '1' ? await NestFactory.create(BareModule, new ExpressPrototypesAdapter(), { logger: false }) : await NestFactory.create(BareModule, { logger: false });
  // As Grant Ledger (configure-app.ts): no body-hash ETags.
  (app.getHttpAdapter().getInstance() as { set(setting: string, value: unknown): void }).set('etag', false);
  const port = Number(process.env.PORT);
  await app.listen(port, '127.0.0.1');
  process.stdout.write(`listening ${port}\n`);
  process.once('SIGTERM', () => {
    void app.close().then(() => pool.end()).finally(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------
// The benchmark.
// ---------------------------------------------------------------------------------------------

interface Target {
  key: string;
  label: string;
  server: 'bare' | 'ledger';
  /** The bare phase this one is compared with. */
  baseline?: 'bare-insert' | 'bare-select';
  kind?: 'command' | 'get' | 'list';
  method: 'GET' | 'POST' | 'PATCH';
  expectedStatus: number;
  /** Path and body of the n-th request. */
  request: (n: number) => { path: string; body?: string; headers?: Record<string, string> };
}

interface PhaseResult {
  ok: number;
  other: Map<string, number>;
  seconds: number;
  p50: number;
  p99: number;
  serverCpuMicros: number;
  serverCpuWithCatchUpMicros: number;
  /** The cluster's WAL written during the phase (both servers share it; only one is driven at a time); its full-page images and checkpoints begun include the catch-up's. */
  wal: { bytes: number; fullPageImages: number; checkpoints: number };
  postgresCpuMicros: number;
  /** BENCH_HTTP_WORKER=0: the worker process's CPU over the phase and its catch-up. */
  workerCpuMicros?: number;
  transactions: number;
  catchUpSeconds: number;
  load: number[];
  statements?: { query: string; calls: number }[];
}

interface Autocannon {
  (options: Record<string, unknown>): Promise<AutocannonResult>;
}
interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  latency: { p50: number; p99: number };
  statusCodeStats: Record<string, { count: number }>;
}

async function main(): Promise<void> {
  // autocannon ships no type definitions; the part of its API used here is typed above.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as Autocannon;

  ensureBuilt({ skipEnv: 'BENCH_HTTP_SKIP_BUILD', forceEnv: 'BENCH_HTTP_BUILD', say });
  const pg = await startTestPostgres({ durable: true, statements: STATEMENTS });
  process.once('exit', () => pg.stop());
  process.once('SIGINT', () => process.exit(130));
  const postmasterPid = Number(readFileSync(join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const postgresCpu = () => processTreeCpuMicros(postmasterPid);
  await adminQuery(pg.url, 'CREATE DATABASE bare');
  await adminQuery(pg.url, 'CREATE DATABASE ledger');
  const serversUrl = OVER_TCP ? pg.url : pg.socketUrl;
  const bareUrl = withDatabase(serversUrl, 'bare');
  const ledgerUrl = withDatabase(serversUrl, 'ledger');
  await adminQuery(
    bareUrl,
    `CREATE TABLE bare_events (position bigserial PRIMARY KEY, stream_id text NOT NULL, stream_version bigint NOT NULL, event_id uuid NOT NULL,
       type text NOT NULL, schema_version int NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`,
  );
  const seedBody = JSON.stringify(callBody({ title: 'Small grants for issue-based networks' }));
  await adminQuery(
    bareUrl,
    `INSERT INTO bare_events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
     SELECT 'bare-seed-' || i, 0, gen_random_uuid(), 'CallDrafted', 1, $1::jsonb, '{"actorId":"bench"}'::jsonb FROM generate_series(1, ${BARE_ROWS}) AS i`,
    [seedBody],
  );
  if (STATEMENTS) for (const url of [bareUrl, ledgerUrl]) await adminQuery(url, 'CREATE EXTENSION pg_stat_statements');

  const db = new Client({ connectionString: pg.url });
  await db.connect();
  const settings = (await db.query<{ version: string; fsync: string; synchronous_commit: string }>(
    `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit`,
  )).rows[0];

  const profiler = CPU_PROF_DIR ? profilerHook(resolve(CPU_PROF_DIR)) : undefined;
  const barePort = await freePort();
  const bare = startBareServer(bareUrl, barePort, profiler?.hook);
  const fleet = new Fleet({ databaseUrl: ledgerUrl });
  let ledgerPid = 0;
  try {
    await bare.ready;
    say(`PostgreSQL ${settings.version}, fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}, both servers connected ${OVER_TCP ? 'over TCP (BENCH_HTTP_TCP=1)' : 'through its Unix socket'}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`);
    const ledger = await fleet.startApi('grant-ledger', {
      runWorker: process.env.BENCH_HTTP_WORKER !== '0' && process.env.BENCH_HTTP_WORKER !== 'none',
      env: { LOG_LEVEL: 'info', THROTTLE_COMMANDS_LIMIT: '0', EVENT_STORE_APPENDS_IN_FLIGHT: process.env.EVENT_STORE_APPENDS_IN_FLIGHT, DECIDER_SNAPSHOT_EVERY: process.env.DECIDER_SNAPSHOT_EVERY, ...(process.env.BENCH_HTTP_REQUIRE ? { NODE_OPTIONS: `--require ${process.env.BENCH_HTTP_REQUIRE}` } : {}), ...(profiler ? { NODE_OPTIONS: `--require ${profiler.hook}` } : {}) },
    });
    ledgerPid = ledger.pid ?? 0;
    // BENCH_HTTP_WORKER=0: the worker in a process of its own, so the server's CPU per request is the API's alone (a diagnostic).
    // BENCH_HTTP_WORKER=none: the same, stopped after seeding.
    const noWorker = process.env.BENCH_HTTP_WORKER === 'none';
    const workerProcess = process.env.BENCH_HTTP_WORKER === '0' || noWorker ? await fleet.startWorker('grant-ledger-worker', { env: { LOG_LEVEL: 'info', ...(profiler ? { NODE_OPTIONS: `--require ${profiler.hook}`, BENCH_PROFILE_SUFFIX: '-worker' } : {}) } }) : undefined;
    let workerPid = workerProcess?.pid;
    say(`bare app: pid ${bare.child.pid}, http://127.0.0.1:${barePort}; Grant Ledger: pid ${ledgerPid}, ${ledger.baseUrl}, logs in ${ledger.logFile}`);
    say(`${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s per target (each round of a target after a warm-up of ${WARMUP_SECONDS} s, printed, not counted); load average ${loadText()}\n`);

    // Seed Grant Ledger through its API.
    const manager = await bearer({ role: 'grant-manager', id: 'bench-manager' });
    const http = new HttpClient(ledger.baseUrl, { maxSockets: 16, defaultTimeoutMs: 30_000 });
    const send = async (headers: Record<string, string>, method: string, path: string, body?: unknown): Promise<{ id: string }> => {
      const answer = await http.send(method, path, { headers, body });
      if (answer.status < 200 || answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body as { id: string };
    };
    const inParallel = async <T>(count: number, make: (i: number) => Promise<T>): Promise<T[]> => {
      const out: T[] = new Array(count);
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < count) {
          const i = next++;
          out[i] = await make(i);
        }
      }));
      return out;
    };
    const organisation = (i: number) => ({
      name: `Bench network member ${i}`,
      country: 'LB',
      legalStatus: 'registered-association',
      focusGroups: ['stateless-people'],
      contactPerson: { name: `Contact ${i}`, email: `contact-${i}@bench.example.org` },
      memberUserIds: [`bench-applicant-${i}`],
    });
    const callIds = (await inParallel(CALLS, () => send(manager, 'POST', '/calls', callBody()))).map((a) => a.id);
    const organisationIds = (await inParallel(ORGANISATIONS, (i) => send(manager, 'POST', '/organisations', organisation(i)))).map((a) => a.id);
    const listCallId = callIds[0];
    await send(manager, 'POST', `/calls/${listCallId}/publish`);
    const applicant = await bearer({ role: 'applicant', id: 'bench-applicant-0', organisationId: organisationIds[0] });
    await inParallel(PROPOSALS, (i) =>
      send(applicant, 'POST', '/proposals', {
        callId: listCallId,
        partners: [
          { organisationId: organisationIds[1], role: 'co-applicant' },
          { organisationId: organisationIds[2], role: 'partner' },
        ],
        title: `Secure tenure for refugee households ${i}`,
        summary: 'Legal aid, eviction monitoring and joint advocacy.',
        policyIssue: 'housing rights for minorities',
        requestedMinor: 1_000_000,
        currency: 'EUR',
        budgetLines: [{ label: 'Legal aid clinics', amountMinor: 1_000_000 }],
        durationMonths: 12,
      }),
    );
    // The read models must show the seeded rows before the reads are measured.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const list = await http.get(`/proposals?callId=${listCallId}`, { headers: manager });
      const last = await http.get(`/calls/${callIds[CALLS - 1]}`, { headers: manager });
      if (list.status === 200 && (list.body as { total: number }).total === PROPOSALS && last.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the read models did not show the seeded rows within 60 s: ${list.status} ${JSON.stringify(list.body).slice(0, 200)}`);
      await sleep(200);
    }
    http.close();
    if (noWorker && workerProcess) {
      await workerProcess.terminate();
      workerPid = undefined;
      say('BENCH_HTTP_WORKER=none: the worker is stopped; nothing is projected from here on');
    }
    say(`seeded: ${CALLS} calls, ${ORGANISATIONS} organisations, ${PROPOSALS} proposals in call ${listCallId}\n`);

    const json = { 'content-type': 'application/json' };
    const createBody = JSON.stringify(callBody());
    const targets: Target[] = [
      { key: 'bare-insert', label: 'bare: POST /bare/events (one INSERT)', server: 'bare', method: 'POST', expectedStatus: 201, request: () => ({ path: '/bare/events', body: createBody, headers: json }) },
      { key: 'create', label: 'POST /calls (create)', server: 'ledger', baseline: 'bare-insert', kind: 'command', method: 'POST', expectedStatus: 201, request: () => ({ path: '/calls', body: createBody, headers: { ...json, ...manager } }) },
      {
        key: 'update', label: 'PATCH /organisations/:id', server: 'ledger', baseline: 'bare-insert', kind: 'command', method: 'PATCH', expectedStatus: 200,
        request: (n) => ({ path: `/organisations/${organisationIds[n % ORGANISATIONS]}`, body: JSON.stringify({ name: `Bench network ${n}` }), headers: { ...json, ...manager } }),
      },
      {
        key: 'keyed', label: 'POST /calls + Idempotency-Key', server: 'ledger', baseline: 'bare-insert', kind: 'command', method: 'POST', expectedStatus: 201,
        request: () => ({ path: '/calls', body: createBody, headers: { ...json, ...manager, 'idempotency-key': randomUUID() } }),
      },
      { key: 'bare-select', label: 'bare: GET /bare/events/:id (one SELECT)', server: 'bare', method: 'GET', expectedStatus: 200, request: (n) => ({ path: `/bare/events/${(n % BARE_ROWS) + 1}` }) },
      { key: 'get', label: 'GET /calls/:id', server: 'ledger', baseline: 'bare-select', kind: 'get', method: 'GET', expectedStatus: 200, request: (n) => ({ path: `/calls/${callIds[n % CALLS]}`, headers: manager }) },
      { key: 'list', label: 'GET /proposals?callId= (20)', server: 'ledger', baseline: 'bare-select', kind: 'list', method: 'GET', expectedStatus: 200, request: () => ({ path: `/proposals?callId=${listCallId}`, headers: manager }) },
    ];
    const wanted = targets.filter((t) => t.server === 'ledger' && (!ONLY || ONLY.includes(t.key)));
    const baselines = new Set(wanted.map((t) => t.baseline));
    const phases = targets.filter((t) => wanted.includes(t) || baselines.has(t.key as Target['baseline']));

    const servers = {
      bare: { url: `http://127.0.0.1:${barePort}`, pid: bare.child.pid ?? 0, database: 'bare' },
      ledger: { url: ledger.baseUrl, pid: ledgerPid, database: 'ledger' },
    };
    const results = new Map<string, PhaseResult[]>();
    /** Requests sent per target so far, across warm-up and rounds: every PATCH names the organisation anew. */
    const counters = new Map<string, number>();

    const run = async (target: Target, seconds: number, label?: string): Promise<PhaseResult> => {
      const server = servers[target.server];
      await settle([servers.bare.pid, servers.ledger.pid]);
      if (STATEMENTS) await adminQuery(withDatabase(pg.url, server.database), 'SELECT pg_stat_statements_reset()');
      const transactionsBefore = await committedTransactions(db, server.database);
      const walBefore = await walActivity(db);
      const serverCpuBefore = processCpuMicros(server.pid);
      const workerCpuBefore = workerPid && target.server === 'ledger' ? processCpuMicros(workerPid) : undefined;
      const postgresCpuBefore = postgresCpu();
      const load = loadavg();
      // Starts, then stops, the profiles of this phase: the server's, and the worker process's beside Grant Ledger's.
      const toggleProfiles = () => {
        if (!profiler || label === undefined) return;
        profiler.toggle(server.pid, label);
        if (workerPid && target.server === 'ledger') profiler.toggle(workerPid, label);
      };
      toggleProfiles();
      let n = counters.get(target.key) ?? 0;
      const result = await autocannon({
        url: server.url,
        connections: CONNECTIONS,
        duration: seconds,
        method: target.method,
        requests: [{ method: target.method, setupRequest: (request: Record<string, unknown>) => ({ ...request, ...target.request(n++) }) }],
      });
      counters.set(target.key, n);
      toggleProfiles();
      const serverCpu = processCpuMicros(server.pid) - serverCpuBefore;
      const postgresCpuDuring = postgresCpu() - postgresCpuBefore;
      const walBytesAfter = (await walActivity(db)).bytes;
      const catchUp = await settle([servers.bare.pid, servers.ledger.pid]);
      const serverCpuWithCatchUp = processCpuMicros(server.pid) - serverCpuBefore;
      const workerCpu = workerPid && workerCpuBefore !== undefined ? processCpuMicros(workerPid) - workerCpuBefore : undefined;
      const transactions = (await committedTransactions(db, server.database)) - transactionsBefore;
      const walAfter = await walActivity(db); // after that wait: every backend has reported its full-page images
      const wal = { bytes: walBytesAfter - walBefore.bytes, fullPageImages: walAfter.fullPageImages - walBefore.fullPageImages, checkpoints: walAfter.checkpoints - walBefore.checkpoints };
      const other = new Map<string, number>();
      for (const [status, { count }] of Object.entries(result.statusCodeStats)) if (Number(status) !== target.expectedStatus) other.set(status, count);
      if (result.errors) other.set('errors', result.errors);
      if (result.timeouts) other.set('timeouts', result.timeouts);
      const ok = result.statusCodeStats[String(target.expectedStatus)]?.count ?? 0;
      const statements = STATEMENTS ? await statementCounts(withDatabase(pg.url, server.database)) : undefined;
      return {
        ok, other, seconds: result.duration, p50: result.latency.p50, p99: result.latency.p99,
        serverCpuMicros: serverCpu, serverCpuWithCatchUpMicros: serverCpuWithCatchUp, postgresCpuMicros: postgresCpuDuring,
        workerCpuMicros: workerCpu, transactions, catchUpSeconds: catchUp, load, statements, wal,
      };
    };

    for (let round = 1; round <= ROUNDS; round++) {
      for (const target of phases) {
        // Each measured round starts warm, for both servers alike: the targets before it ran for a
        // minute or more, long enough for Grant Ledger to drop every organisation's folded state (a
        // state unused for 5 s is dropped: it may hold personal data), so its first second reads
        // and folds each stream whole again. That cold start is printed, not measured with the round.
        if (WARMUP_SECONDS > 0) say(`round ${round}  warm-up (${WARMUP_SECONDS} s, not counted): ${describe(target, await run(target, WARMUP_SECONDS))}`);
        const result = await run(target, SECONDS, `${round}-${target.key}`);
        results.set(target.key, [...(results.get(target.key) ?? []), result]);
        say(`round ${round}  ${describe(target, result)}`);
        if (result.statements) {
          const requests = result.ok + [...result.other.values()].reduce((a, b) => a + b, 0);
          for (const s of result.statements.slice(0, 12)) say(`    ${(s.calls / requests).toFixed(2)}/request  ${s.query}`);
        }
      }
    }

    // Summary and ratios.
    say('');
    const rows: string[][] = [['target', 'requests/s', 'p50 ms', 'p99 ms', 'server CPU/req', 'incl. catch-up', 'PostgreSQL CPU/req', 'tx/req', 'not 2xx']];
    const summary = new Map<string, { rate: number; p50: number; p99: number }>();
    for (const target of phases) {
      const rs = results.get(target.key) ?? [];
      const ok = sum(rs.map((r) => r.ok));
      const seconds = sum(rs.map((r) => r.seconds));
      const rate = ok / seconds;
      const p50 = mean(rs.map((r) => r.p50));
      const p99 = mean(rs.map((r) => r.p99));
      summary.set(target.key, { rate, p50, p99 });
      const requests = ok + sum(rs.map((r) => sum([...r.other.values()])));
      rows.push([
        target.label,
        `${format(rate)} (${rs.map((r) => format(r.ok / r.seconds)).join(', ')})`,
        p50.toFixed(1),
        `${p99.toFixed(0)} (${rs.map((r) => r.p99.toFixed(0)).join(', ')})`,
        `${format(sum(rs.map((r) => r.serverCpuMicros)) / requests)} µs`,
        `${format(sum(rs.map((r) => r.serverCpuWithCatchUpMicros)) / requests)} µs`,
        `${format(sum(rs.map((r) => r.postgresCpuMicros)) / requests)} µs`,
        (sum(rs.map((r) => r.transactions)) / requests).toFixed(2),
        String(requests - ok),
      ]);
    }
    printTable(rows);
    say('');
    const ratioRows: string[][] = [['ratio (Grant Ledger / bare)', 'throughput', 'p99', 'target']];
    for (const target of phases.filter((t) => t.server === 'ledger')) {
      const mine = summary.get(target.key);
      const base = summary.get(target.baseline ?? '');
      if (!mine || !base) continue;
      const throughput = mine.rate / base.rate;
      const p99 = mine.p99 / base.p99;
      let verdict = '';
      if (target.kind === 'command') {
        const met = throughput >= TARGETS.commandThroughput && p99 <= TARGETS.commandP99;
        verdict = `>= ${TARGETS.commandThroughput}x, p99 <= ${TARGETS.commandP99}x: ${met ? 'OK' : 'MISSED'}`;
      } else if (target.kind === 'get') {
        verdict = `>= ${TARGETS.getThroughput}x: ${throughput >= TARGETS.getThroughput ? 'OK' : 'MISSED'}`;
      }
      ratioRows.push([`${target.label} / ${target.baseline === 'bare-insert' ? 'INSERT' : 'SELECT'}`, `${throughput.toFixed(2)}x`, `${p99.toFixed(2)}x`, verdict]);
    }
    printTable(ratioRows);
    if (workerProcess) say(`\nBENCH_HTTP_WORKER=${process.env.BENCH_HTTP_WORKER}: a diagnostic, not Grant Ledger as \`npm start\` runs it (the worker ${noWorker ? 'stopped' : 'in a process of its own'}): its OK and MISSED above are not the benchmark's verdict`);
    say(`\nload average at the end: ${loadText()}; Grant Ledger logs in ${ledger.logFile}`);
    await ledger.terminate(15_000);
    if (CPU_PROF_DIR) say(`CPU profiles in ${resolve(CPU_PROF_DIR)}: ${readdirSync(CPU_PROF_DIR).filter((f) => f.endsWith('.cpuprofile')).join(', ')}`);
  } finally {
    await db.end().catch(() => undefined);
    bare.child.kill('SIGTERM');
    await fleet.cleanup(true);
    pg.stop();
  }
}

function describe(target: Target, r: PhaseResult): string {
  const requests = r.ok + sum([...r.other.values()]);
  const other = r.other.size ? `; NOT ${target.expectedStatus}: ${[...r.other.entries()].map(([k, v]) => `${k} x${v}`).join(', ')}` : '';
  return (
    `${target.label.padEnd(42)} ${format(r.ok / r.seconds).padStart(6)} req/s  p50 ${r.p50.toFixed(1).padStart(5)} ms  p99 ${r.p99.toFixed(0).padStart(4)} ms` +
    `  server ${format(r.serverCpuMicros / requests)} µs/req (${format(r.serverCpuWithCatchUpMicros / requests)} incl. catch-up of ${r.catchUpSeconds.toFixed(1)} s)` +
    (r.workerCpuMicros !== undefined ? `  worker process ${format(r.workerCpuMicros / requests)} µs/req` : '') +
    `  PostgreSQL ${format(r.postgresCpuMicros / requests)} µs/req  ${(r.transactions / requests).toFixed(2)} tx/req` +
    `  WAL ${format(r.wal.bytes / requests)} B/req (${(r.wal.fullPageImages / requests).toFixed(2)} full pages/req${r.wal.checkpoints ? `, ${r.wal.checkpoints} checkpoint(s)` : ''})  load ${r.load.map((l) => l.toFixed(1)).join(' ')}${other}`
  );
}

/**
 * A --require hook for Grant Ledger's process: SIGUSR2 starts the V8 CPU profiler, the next SIGUSR2
 * stops it and writes <dir>/<label>.cpuprofile, the label read from <dir>/label.
 */
function profilerHook(dir: string): { hook: string; toggle(pid: number, label: string): void } {
  mkdirSync(dir, { recursive: true });
  const hook = join(dir, 'profiler-hook.js');
  writeFileSync(
    hook,
    `const inspector = require('node:inspector');
const fs = require('node:fs');
const session = new inspector.Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')));
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    const label = fs.readFileSync(${JSON.stringify(join(dir, 'label'))}, 'utf8').trim();
    fs.writeFileSync(${JSON.stringify(dir)} + '/' + label + (process.env.BENCH_PROFILE_SUFFIX || '') + '.cpuprofile', JSON.stringify(result.profile));
  });
});
`,
  );
  return {
    hook,
    toggle(pid: number, label: string) {
      writeFileSync(join(dir, 'label'), label);
      process.kill(pid, 'SIGUSR2');
    },
  };
}

function startBareServer(databaseUrl: string, port: number, profilerHookFile?: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...(profilerHookFile ? ['--require', profilerHookFile] : []), __filename, BARE_SERVER_FLAG], {
    cwd: resolve(__dirname, '..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, PORT: String(port), NODE_ENV: 'production', BENCH_HTTP_BARE_PROTOTYPES: process.env.BENCH_HTTP_BARE_PROTOTYPES },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const ready = new Promise<void>((resolveReady, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('listening')) resolveReady();
    });
    child.once('exit', (code) => reject(new Error(`the bare app exited (${code}) before listening: ${out}`)));
  });
  return { child, ready };
}

/**
 * Waits until both servers are idle (under 5 % of a CPU over 300 ms, e.g. Grant Ledger's worker has
 * applied what the last phase appended), at most 60 s; returns how long that took.
 */
async function settle(pids: number[]): Promise<number> {
  const started = performance.now();
  for (;;) {
    const before = pids.map(processCpuMicros);
    await sleep(300);
    const busy = pids.some((pid, i) => processCpuMicros(pid) - before[i] > 0.05 * 300_000);
    const seconds = (performance.now() - started) / 1000;
    if (!busy || seconds > 60) return seconds;
  }
}

/**
 * WAL written since the server started (exact: the insert position), the full-page images in it
 * and the checkpoints begun (cluster-wide). Backends report their full-page images at most once a
 * second, so the phase's count is read after committedTransactions' wait (and so includes the
 * catch-up's). PostgreSQL 17 moved the checkpoint counts to pg_stat_checkpointer.
 */
async function walActivity(db: Client): Promise<{ bytes: number; fullPageImages: number; checkpoints: number }> {
  const version = Number((await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0].v);
  const checkpoints = version >= 170000 ? 'SELECT num_timed + num_requested FROM pg_stat_checkpointer' : 'SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter';
  const { rows } = await db.query<{ bytes: string; fpi: string; checkpoints: string }>(
    `SELECT pg_current_wal_lsn() - '0/0'::pg_lsn AS bytes, (SELECT wal_fpi FROM pg_stat_wal) AS fpi, (${checkpoints}) AS checkpoints`,
  );
  return { bytes: Number(rows[0].bytes), fullPageImages: Number(rows[0].fpi), checkpoints: Number(rows[0].checkpoints) };
}

async function committedTransactions(db: Client, database: string): Promise<number> {
  // Statistics reach pg_stat_database when a backend reports them (at most once a second when busy).
  await sleep(1_100);
  await db.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await db.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [database]);
  return Number(rows[0]?.n ?? 0);
}

async function statementCounts(url: string): Promise<{ query: string; calls: number }[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ query: string; calls: string; total_exec_time: number }>(
      `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, total_exec_time FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'
        ORDER BY calls DESC`,
    );
    // The server's execution time of each kind, per call: which statements cost, not only how many there are.
    return rows.map((r) => ({ query: `[${((1000 * r.total_exec_time) / Number(r.calls)).toFixed(0)} µs] ${r.query.slice(0, 140)}`, calls: Number(r.calls) }));
  } finally {
    await client.end();
  }
}

/** User + system CPU of one process (Linux /proc), 0 if it is gone. */
function processCpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

/**
 * User + system CPU of a process and its children (Linux /proc): the running ones, and those that
 * ended and were waited for (the root's cutime and cstime), so a backend that exits mid-phase (an
 * idle pool connection closed) takes nothing away.
 */
function processTreeCpuMicros(rootPid: number): number {
  let total = 0;
  try {
    const stat = readFileSync(`/proc/${rootPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[13]) + Number(fields[14])) * 10_000; // cutime, cstime
  } catch {
    return 0;
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === rootPid || Number(fields[1]) === rootPid) total += (Number(fields[11]) + Number(fields[12])) * 10_000;
  }
  return total;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(url: string, sql: string, values?: unknown[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql, values);
  } finally {
    await client.end();
  }
}

function loadText(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) say(row.map((cell, column) => (cell ?? '').padEnd(widths[column])).join('   ').trimEnd());
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const mean = (values: number[]) => (values.length ? sum(values) / values.length : NaN);

function format(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

function say(line: string): void {
  console.log(line);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

(process.argv.includes(BARE_SERVER_FLAG) ? runBareServer() : main()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
