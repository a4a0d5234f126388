/**
 * Read-model lag benchmark (issue 9 §4): how long after a command's 2xx answer does its change show
 * in the read model, at a fixed rate of commands, and how fast does the worker catch up on a backlog?
 *
 *   npx tsx scripts/bench-lag.ts          (npm run bench:lag)
 *
 * Builds the apps (`npm run build`, unless dist/ is newer than the sources; BENCH_LAG_SKIP_BUILD=1
 * reuses dist/ as it is, BENCH_LAG_BUILD=1 always builds), starts its own durable
 * PostgreSQL (fsync on) and the BUILT API with its in-process worker (RUN_WORKER=true, logs at
 * info to a file whose path is printed), then:
 *
 * 1. Lag: POST /calls (drafts) at a fixed rate of 100, 300 and 500 commands/s for
 *    BENCH_LAG_SECONDS (default 60) each, open loop (commands are sent on schedule whatever the
 *    answers do). For every acknowledged command (2xx `{ id, version }`), the time from its answer to
 *    its row showing in the `calls` table, which the benchmark polls directly (one query for all
 *    pending ids every few ms, so that measuring does not load the HTTP server). Prints p50, p99, max
 *    and the count per rate. A change still not visible BENCH_LAG_SETTLE_SECONDS (default 30) after
 *    its phase ended counts as lag "> that": it is never left out.
 * 2. Catch-up: stops the server, appends a backlog of BENCH_LAG_BACKLOG (default 100,000) events
 *    through the event-store port (PostgresEventStore.append: call streams of CallDrafted,
 *    CallPublished and three CallDeadlineExtended, valid data), starts the server again and
 *    measures events/s until every log consumer's checkpoint reaches the head of the log: past the
 *    last backlog event of each type, since a consumer's checkpoint may stop at the last event its
 *    filter reads (consumers whose checkpoint never moves because they read no call events are
 *    listed apart).
 *
 * Targets (issue 9): p99 <= 100 ms at 300 commands/s; catch-up >= 10,000 events/s.
 * BENCH_LAG_RATES (default "100,300,500") changes the rates ("none": the catch-up alone);
 * BENCH_LAG_CATCHUP_TIMEOUT_SECONDS (default 300) bounds the catch-up.
 *
 * Where the time goes: BENCH_LAG_CPU_PROF=<dir> writes a V8 CPU profile of each server process
 * (the lag phases' and the catch-up's) into <dir>; BENCH_LAG_STATEMENTS=1 loads pg_stat_statements
 * and prints, after every phase, the statements the server ran per command (or per backlog event).
 */
import { randomUUID } from 'node:crypto';
import { newEventId } from '@app/platform/ids';
import { loadavg } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { type NewEvent, PostgresEventStore } from '@app/event-store';
import { callEventSchemaVersions } from '@app/domain/call';
import { startTestPostgres } from '../test/setup/postgres-server';
import { comparePositions, readCheckpoints } from '../test/faults/support/checkpoints';
import { bearer, callBody } from '../test/faults/support/calls';
import { acknowledged, HttpClient, outcomeLabel } from '../test/faults/support/http';
import { ensureBuilt } from '../test/faults/support/build';
import { type ApiProcess, Fleet } from '../test/faults/support/processes';

const SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 60);
/** "none": the catch-up alone. */
const RATES = process.env.BENCH_LAG_RATES === 'none' ? [] : (process.env.BENCH_LAG_RATES ?? '100,300,500').split(',').map(Number);
const SETTLE_SECONDS = Number(process.env.BENCH_LAG_SETTLE_SECONDS ?? 30);
const BACKLOG = Number(process.env.BENCH_LAG_BACKLOG ?? 100_000);
const CATCH_UP_TIMEOUT_SECONDS = Number(process.env.BENCH_LAG_CATCHUP_TIMEOUT_SECONDS ?? 300);
const LAG_TARGET = { rate: 300, p99Ms: 100 };
const CATCH_UP_TARGET_EVENTS_PER_SECOND = 10_000;
/** Open loop, but bounded: beyond this many unanswered commands the generator skips (and says so). */
const MAX_IN_FLIGHT = 2_000;
const EVENTS_PER_STREAM = 5;
const BACKLOG_TYPES = ['CallDrafted', 'CallPublished', 'CallDeadlineExtended'];
const CPU_PROF_DIR = process.env.BENCH_LAG_CPU_PROF;
const STATEMENTS = process.env.BENCH_LAG_STATEMENTS === '1';
/** Extra environment for the server: with CPU_PROF_DIR, a hook that profiles it from its start (see profilerHook). */
const SERVER_ENV: Record<string, string> = {
  LOG_LEVEL: 'info',
  ...(CPU_PROF_DIR ? { NODE_OPTIONS: `--require ${profilerHook(resolve(CPU_PROF_DIR))}` } : {}),
};

interface RateResult {
  rate: number;
  sent: number;
  skipped: number;
  acknowledged: number;
  answers: Map<string, number>;
  achievedRate: number;
  /** ms from answer to visibility; Infinity for changes never seen. */
  lags: number[];
  pollsPerSecond: number;
  /** CPU time over the phase (until its changes were visible), in ms: the server's and PostgreSQL's. */
  serverCpuMs: number;
  postgresCpuMs: number;
}

/** The CPU a process used so far, in ms (Linux /proc: utime + stime). The machine may be shared: wall times vary with its load, CPU per unit of work much less. */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** The CPU of PostgreSQL so far, in ms: the postmaster's children, running and ended (cutime, cstime). */
function postgresCpuMs(dataDir: string): number {
  let root: number;
  try {
    root = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === root) total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
    else if (Number(fields[1]) === root) total += (Number(fields[11]) + Number(fields[12])) * 10;
  }
  return total;
}

async function main(): Promise<void> {
  ensureBuilt({ skipEnv: 'BENCH_LAG_SKIP_BUILD', forceEnv: 'BENCH_LAG_BUILD', say });
  const pg = await startTestPostgres({ durable: true, statements: STATEMENTS });
  const fleet = new Fleet({ databaseUrl: pg.url });
  const stopAll = () => {
    pg.stop();
  };
  process.once('exit', stopAll);
  process.once('SIGINT', () => process.exit(130));
  const db = new Client({ connectionString: pg.url });
  try {
    await db.connect();
    if (STATEMENTS) await db.query('CREATE EXTENSION pg_stat_statements');
    const settings = await db.query<{ version: string; fsync: string; synchronous_commit: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit`,
    );
    const s = settings.rows[0];
    say(`PostgreSQL ${s.version}, fsync=${s.fsync}, synchronous_commit=${s.synchronous_commit}`);
    say(`API with its in-process worker (RUN_WORKER=true, LOG_LEVEL=info); logs in ${fleet.logDir}`);
    say(`${RATES.length ? `${RATES.join(', ')} commands/s for ${SECONDS} s each` : 'no lag phases'}; backlog ${format(BACKLOG)} events\n`);

    let api = await fleet.startApi('api', { runWorker: true, env: SERVER_ENV });
    const headers = await bearer({ role: 'grant-manager', id: 'bench' });
    const results: RateResult[] = [];
    for (const rate of RATES) {
      if (STATEMENTS) await db.query('SELECT pg_stat_statements_reset()');
      await saveProfile(api, `before-${rate}`);
      const result = await measureRate(api, db, headers, rate, join(pg.dir, 'data'));
      await saveProfile(api, `rate-${rate}`);
      results.push(result);
      say(describeRate(result));
      if (STATEMENTS) await printStatements(db, result.acknowledged, 'command');
    }

    say('\nstopping the server; appending the backlog ...');
    const stopped = await api.terminate(10_000);
    if (!stopped.stoppedBySigterm) say(`  (the server did not stop on SIGTERM within 10 s: killed)`);
    const appended = await appendBacklog(pg.url, BACKLOG);
    say(`appended ${format(appended.events)} events in ${appended.seconds.toFixed(1)} s (${format(appended.events / appended.seconds)} events/s)`);
    const catchUp = await measureCatchUp(fleet, db, appended.events, join(pg.dir, 'data'));
    api = catchUp.api;
    await saveProfile(api, 'catch-up');
    if (STATEMENTS) await printStatements(db, appended.events, 'backlog event');

    say('');
    const rows: string[][] = [['rate (commands/s)', 'acknowledged', 'p50', 'p99', 'max', 'target']];
    for (const r of results) {
      const p99 = percentile(r.lags, 99);
      const target = r.rate === LAG_TARGET.rate ? `p99 <= ${LAG_TARGET.p99Ms} ms ${p99 <= LAG_TARGET.p99Ms ? 'OK' : 'MISSED'}` : '';
      rows.push([`${r.rate} (achieved ${r.achievedRate.toFixed(0)})`, format(r.acknowledged), lagText(percentile(r.lags, 50)), lagText(p99), lagText(percentile(r.lags, 100)), target]);
    }
    if (results.length) {
      printTable(rows);
      say('');
    }
    const rate = catchUp.eventsPerSecond;
    printTable([
      ['catch-up', 'events', 'seconds', 'events/s', 'target'],
      [
        'first checkpoint move -> every consumer at the head',
        format(appended.events),
        catchUp.seconds === undefined ? `> ${CATCH_UP_TIMEOUT_SECONDS}` : catchUp.seconds.toFixed(1),
        rate === undefined ? `< ${format(catchUp.lowerBoundRate)}` : format(rate),
        `>= ${format(CATCH_UP_TARGET_EVENTS_PER_SECOND)} ${rate !== undefined && rate >= CATCH_UP_TARGET_EVENTS_PER_SECOND ? 'OK' : 'MISSED'}`,
      ],
      [
        'process start -> every consumer at the head',
        format(appended.events),
        catchUp.secondsFromStart === undefined ? `> ${CATCH_UP_TIMEOUT_SECONDS}` : catchUp.secondsFromStart.toFixed(1),
        catchUp.secondsFromStart === undefined ? 'n/a' : format(appended.events / catchUp.secondsFromStart),
        '',
      ],
    ]);
    await api.terminate(10_000);
  } finally {
    await db.end().catch(() => undefined);
    await fleet.cleanup(true);
    stopAll();
    say(`\nserver logs kept in ${fleet.logDir}`);
  }
}


/**
 * Sends drafts at `rate` per second for SECONDS (open loop), while one query per round asks the
 * `calls` table which acknowledged ids are there yet.
 */
async function measureRate(api: ApiProcess, db: Client, headers: Record<string, string>, rate: number, pgData: string): Promise<RateResult> {
  const cpuBefore = { server: processCpuMs(api.pid), postgres: postgresCpuMs(pgData) };
  const http = new HttpClient(api.baseUrl, { maxSockets: 512, defaultTimeoutMs: 30_000 });
  const pending = new Map<string, number>(); // id -> answered at (performance.now())
  const lags: number[] = [];
  const answers = new Map<string, number>();
  let sent = 0;
  let skipped = 0;
  let inFlight = 0;
  let acked = 0;
  let sending = true;
  let polls = 0;

  // The poller: one round trip at a time, as often as it can (at most every 5 ms).
  let polling = true;
  const poller = (async () => {
    while (polling) {
      if (pending.size === 0) {
        await sleep(5);
        continue;
      }
      const ids = [...pending.keys()];
      const startedAt = performance.now();
      const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM calls WHERE id = ANY ($1::uuid[])', [ids]);
      polls += 1;
      // Visible no later than this query's start: its snapshot was taken after it was sent.
      for (const { id } of rows) {
        const answeredAt = pending.get(id);
        if (answeredAt === undefined) continue;
        lags.push(Math.max(0, startedAt - answeredAt));
        pending.delete(id);
      }
      const elapsed = performance.now() - startedAt;
      if (elapsed < 5) await sleep(5 - elapsed);
    }
  })();

  const started = performance.now();
  const send = async () => {
    inFlight += 1;
    sent += 1;
    const answer = await http.post('/calls', { headers, body: callBody() });
    inFlight -= 1;
    const label = outcomeLabel(answer);
    answers.set(label, (answers.get(label) ?? 0) + 1);
    const ack = acknowledged(answer);
    if (ack) {
      acked += 1;
      pending.set(ack.id, performance.now());
    }
  };
  const inflightSends: Promise<void>[] = [];
  while (sending) {
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed >= SECONDS) break;
    const due = Math.floor(elapsed * rate) - sent - skipped;
    for (let i = 0; i < due; i++) {
      if (inFlight >= MAX_IN_FLIGHT) skipped += 1;
      else inflightSends.push(send());
    }
    await sleep(2);
  }
  sending = false;
  const sendSeconds = (performance.now() - started) / 1000;
  await Promise.all(inflightSends);
  // Wait for the stragglers to show, up to SETTLE_SECONDS; those that never do count as "more than that".
  const settleUntil = performance.now() + SETTLE_SECONDS * 1000;
  while (pending.size > 0 && performance.now() < settleUntil) await sleep(20);
  polling = false;
  await poller;
  for (let i = 0; i < pending.size; i++) lags.push(Number.POSITIVE_INFINITY);
  const pollSeconds = (performance.now() - started) / 1000;
  http.close();
  return {
    rate, sent, skipped, acknowledged: acked, answers, achievedRate: sent / sendSeconds, lags, pollsPerSecond: polls / pollSeconds,
    serverCpuMs: processCpuMs(api.pid) - cpuBefore.server, postgresCpuMs: postgresCpuMs(pgData) - cpuBefore.postgres,
  };
}

function describeRate(r: RateResult): string {
  const answers = [...r.answers.entries()].map(([label, n]) => `${label}: ${n}`).join(', ');
  const unseen = r.lags.filter((l) => !Number.isFinite(l)).length;
  return (
    `${r.rate} commands/s: sent ${format(r.sent)} (${r.achievedRate.toFixed(0)}/s${r.skipped ? `, ${format(r.skipped)} skipped: ${MAX_IN_FLIGHT} unanswered` : ''}), answers ${answers};` +
    ` answer -> visible: p50 ${lagText(percentile(r.lags, 50))}, p99 ${lagText(percentile(r.lags, 99))}, max ${lagText(percentile(r.lags, 100))}` +
    ` over ${format(r.lags.length)} acknowledged${unseen ? ` (${format(unseen)} never visible within ${SETTLE_SECONDS} s of the phase's end)` : ''};` +
    ` ${r.pollsPerSecond.toFixed(0)} polls/s; CPU per command: server ${((r.serverCpuMs * 1000) / Math.max(1, r.acknowledged)).toFixed(0)} µs,` +
    ` PostgreSQL ${((r.postgresCpuMs * 1000) / Math.max(1, r.acknowledged)).toFixed(0)} µs (the benchmark's polls included); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`
  );
}

/**
 * Appends `count` events (rounded up to whole streams) through the event-store port: per call, one
 * append of CallDrafted, CallPublished and three CallDeadlineExtended, 16 appends at a time.
 */
async function appendBacklog(url: string, count: number): Promise<{ events: number; seconds: number }> {
  const writers = 16;
  const store = new PostgresEventStore({ connectionString: url, poolSize: writers + 1 });
  const streams = Math.ceil(count / EVENTS_PER_STREAM);
  const started = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < streams) {
          next += 1;
          const callId = randomUUID();
          await store.append(`call-${callId}`, backlogEvents(callId), 'no_stream');
        }
      }),
    );
  } finally {
    await store.close();
  }
  return { events: streams * EVENTS_PER_STREAM, seconds: (performance.now() - started) / 1000 };
}

function backlogEvents(callId: string): NewEvent[] {
  const body = callBody();
  const now = new Date().toISOString();
  const metadata = () => ({
    eventId: newEventId(),
    actorId: 'bench-lag',
    actorRole: 'grant-manager',
    correlationId: callId,
    causationId: callId,
  });
  const event = (type: keyof typeof callEventSchemaVersions, data: Record<string, unknown>): NewEvent => ({
    type,
    schemaVersion: callEventSchemaVersions[type],
    data,
    metadata: metadata(),
  });
  const day = 24 * 60 * 60 * 1000;
  const closesAt = Date.parse(body.closesAt as string);
  const extensions = [1, 2, 3].map((n) =>
    event('CallDeadlineExtended', {
      callId,
      previousClosesAt: new Date(closesAt + (n - 1) * day).toISOString(),
      newClosesAt: new Date(closesAt + n * day).toISOString(),
      reason: `Partners asked for more time (${n})`,
      extendedAt: now,
    }),
  );
  return [
    event('CallDrafted', {
      callId,
      programme: body.programme,
      title: body.title,
      description: body.description,
      currency: body.currency,
      budgetMinor: body.budgetMinor,
      minAwardMinor: body.minAwardMinor,
      maxAwardMinor: body.maxAwardMinor,
      eligibleCountries: body.eligibleCountries,
      minPartners: body.minPartners,
      criteria: body.criteria,
      reviewsRequired: body.reviewsRequired,
      opensAt: body.opensAt,
      closesAt: body.closesAt,
      draftedAt: now,
    }),
    event('CallPublished', { callId, publishedAt: now }),
    ...extensions,
  ];
}

/**
 * Starts the server again and polls every consumer's checkpoint (every 50 ms) until each has reached
 * the head of the log. A consumer whose checkpoint never moves (it reads no call events) is set aside
 * once every moving consumer is at the head and it has stayed put for 3 s more.
 */
async function measureCatchUp(
  fleet: Fleet,
  db: Client,
  backlog: number,
  pgData: string,
): Promise<{ api: ApiProcess; seconds?: number; secondsFromStart?: number; eventsPerSecond?: number; lowerBoundRate: number }> {
  // A consumer reads only the event types it needs (its filter), and its checkpoint may stop at the
  // last event it read. So "at the head" means: past the last backlog event of EVERY backlog type,
  // whichever types it reads. At most the final few streams (one per writer) lie beyond that.
  const position = `lpad(transaction_id::text, 20, '0') || '-' || lpad(position::text, 20, '0')`;
  const head = (
    await db.query<{ head: string }>(
      `SELECT min(last) AS head FROM (SELECT max(${position}) AS last FROM events WHERE type = ANY ($1) GROUP BY type) lasts`,
      [BACKLOG_TYPES],
    )
  ).rows[0].head;
  const beyond = (await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM events WHERE ${position} > $1`, [head])).rows[0].n;
  say(`  "at the head": past ${head}, the last backlog event of every type (${beyond} of the log's events lie beyond it)`);
  const before = (await readCheckpoints(db)).positions;
  const spawnedAt = performance.now();
  if (STATEMENTS) await db.query('SELECT pg_stat_statements_reset()');
  const api = await fleet.startApi('api-catch-up', { runWorker: true, env: SERVER_ENV, wait: false });
  const reachedAt = new Map<string, number>();
  let firstMoveAt: number | undefined;
  let cpuAtFirstMove = { server: 0, postgres: 0 };
  let cpuAtHead = { server: 0, postgres: 0 };
  let allMovingAtHeadSince: number | undefined;
  let stationary: string[] = [];
  const deadline = spawnedAt + CATCH_UP_TIMEOUT_SECONDS * 1000;
  let last = before;
  let lastProgress = '';
  let lastPrint = 0;
  while (performance.now() < deadline) {
    let now = performance.now();
    try {
      last = (await readCheckpoints(db)).positions;
    } catch {
      await sleep(50);
      continue;
    }
    now = performance.now();
    const moving = [...last.keys()].filter((name) => last.get(name) !== before.get(name));
    if (moving.length && firstMoveAt === undefined) {
      firstMoveAt = now;
      cpuAtFirstMove = { server: processCpuMs(api.pid), postgres: postgresCpuMs(pgData) };
    }
    for (const name of moving) {
      const position = last.get(name);
      if (!reachedAt.has(name) && position && comparePositions(position, head) >= 0) reachedAt.set(name, now);
    }
    stationary = [...last.keys()].filter((name) => !moving.includes(name));
    const movingAtHead = moving.length > 0 && moving.every((name) => reachedAt.has(name));
    if (movingAtHead && allMovingAtHeadSince === undefined) cpuAtHead = { server: processCpuMs(api.pid), postgres: postgresCpuMs(pgData) };
    if (movingAtHead && stationary.length === 0) break;
    if (movingAtHead) {
      allMovingAtHeadSince ??= now;
      if (now - allMovingAtHeadSince >= 3_000) break;
    } else allMovingAtHeadSince = undefined;
    if (now - lastPrint > 5_000) {
      lastPrint = now;
      const progress = `  catching up: ${reachedAt.size} of ${last.size} consumers at the head after ${((now - spawnedAt) / 1000).toFixed(0)} s`;
      if (progress !== lastProgress) say(progress);
      lastProgress = progress;
    }
    if (!api.running) {
      say(`  the server exited during the catch-up:\n${api.logTail(10)}`);
      break;
    }
    await sleep(50);
  }
  const movingNames = [...reachedAt.keys()];
  const allReached = movingNames.length > 0 && [...last.keys()].filter((n) => !stationary.includes(n)).every((n) => reachedAt.has(n));
  for (const [name, at] of [...reachedAt.entries()].sort((a, b) => a[1] - b[1])) {
    say(`  ${name}: at the head ${((at - spawnedAt) / 1000).toFixed(1)} s after the process started`);
  }
  for (const name of [...last.keys()].filter((n) => !reachedAt.has(n) && !stationary.includes(n))) say(`  ${name}: NOT at the head (checkpoint ${last.get(name)})`);
  if (stationary.length) say(`  checkpoint never moved (reads no call events, or is stuck): ${stationary.join(', ')}`);
  const elapsed = (performance.now() - (firstMoveAt ?? spawnedAt)) / 1000;
  if (!allReached || firstMoveAt === undefined) {
    say(`  did not catch up within ${CATCH_UP_TIMEOUT_SECONDS} s`);
    return { api, lowerBoundRate: backlog / elapsed };
  }
  const doneAt = Math.max(...reachedAt.values());
  const cpu = { server: cpuAtHead.server - cpuAtFirstMove.server, postgres: cpuAtHead.postgres - cpuAtFirstMove.postgres };
  say(
    `  CPU from the first checkpoint move to every consumer at the head: server ${(cpu.server / 1000).toFixed(1)} s (${((cpu.server * 1000) / backlog).toFixed(0)} µs per event),` +
      ` PostgreSQL ${(cpu.postgres / 1000).toFixed(1)} s (${((cpu.postgres * 1000) / backlog).toFixed(0)} µs per event); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  const seconds = (doneAt - firstMoveAt) / 1000;
  return { api, seconds, secondsFromStart: (doneAt - spawnedAt) / 1000, eventsPerSecond: backlog / seconds, lowerBoundRate: backlog / seconds };
}

/**
 * A file the server loads with --require (--cpu-prof is not allowed in NODE_OPTIONS): it starts a
 * CPU profile at once, and on SIGUSR2 writes it to <dir>/<label>.cpuprofile (the label is read from
 * <dir>/label) and starts the next one.
 */
function profilerHook(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const hook = join(dir, 'profiler-hook.js');
  writeFileSync(
    hook,
    `const inspector = require('node:inspector');
const fs = require('node:fs');
const session = new inspector.Session();
session.connect();
const start = () => session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
start();
process.on('SIGUSR2', () => {
  session.post('Profiler.stop', (error, result) => {
    if (!error) {
      const label = fs.readFileSync(${JSON.stringify(join(dir, 'label'))}, 'utf8').trim();
      fs.writeFileSync(${JSON.stringify(dir)} + '/' + label + '.cpuprofile', JSON.stringify(result.profile));
    }
    start();
  });
});
`,
  );
  return hook;
}

/** Writes the server's CPU profile so far (labelled) and starts the next one; nothing without BENCH_LAG_CPU_PROF. */
async function saveProfile(api: ApiProcess, label: string): Promise<void> {
  if (!CPU_PROF_DIR || api.pid === undefined) return;
  writeFileSync(join(resolve(CPU_PROF_DIR), 'label'), label);
  process.kill(api.pid, 'SIGUSR2');
  await sleep(1_500);
}

/** The statements run since the last reset (the benchmark's own polls left out), per unit of work. */
async function printStatements(db: Client, units: number, unit: string): Promise<void> {
  const { rows } = await db.query<{ query: string; calls: string; ms: string }>(
    `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls::text AS calls, total_exec_time::text AS ms FROM pg_stat_statements
      WHERE query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%FROM calls WHERE id = ANY%' AND query NOT LIKE '%log_consumers ORDER BY%'
      ORDER BY pg_stat_statements.calls DESC`,
  );
  const total = rows.reduce((sum, row) => sum + Number(row.calls), 0);
  say(`  statements: ${(total / Math.max(1, units)).toFixed(2)} per ${unit} (${format(total)} in all); the most frequent, per ${unit}:`);
  for (const row of rows.slice(0, 14)) {
    say(`    ${(Number(row.calls) / Math.max(1, units)).toFixed(3).padStart(8)}  ${Number(row.ms).toFixed(0).padStart(7)} ms  ${row.query.slice(0, 150)}`);
  }
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function lagText(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (!Number.isFinite(value)) return `> ${SETTLE_SECONDS} s`;
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, column) => (cell ?? '').padEnd(widths[column])).join('   ').trimEnd());
}

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function say(line: string): void {
  console.log(line);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
