/**
 * Fault scenario c (issue 9 §9): one API (RUN_WORKER=false) and two standalone workers on one
 * PostgreSQL, under load; PostgreSQL is restarted with `pg_ctl stop -m fast` and, later, with
 * `-m immediate` (a crash: recovery on start).
 *
 * - no process exits (the workers least of all; they run supervised, restarted a second after an
 *   exit, as in production, so that a replacement competes with a worker that lost its leadership);
 * - no checkpoint ever moves backwards: a watcher polls every consumer's checkpoint every ~100 ms
 *   across the whole scenario (load, restarts, settling, rebuild check) and records every move back;
 * - after the load, every acknowledged change shows in the read models, and the read models equal a
 *   clean rebuild (`npm run projections:rebuild`, which rebuilds every projection into a shadow
 *   schema from the log and compares it, row by row, with the live tables at the same log position);
 * - a partner's webhook subscription (to every public event type) receives every public event of
 *   the log at least once: no gap;
 * - while the database is down, an answer that is not a 2xx/4xx is 503 with Retry-After, never 500
 *   (issue 9 §6 and §7);
 * - an auditor checks the log (`GET /audit/verify`, read by the API's reader thread) one check after
 *   another all through the load and the restarts: each check finds the log intact or is answered
 *   503 with Retry-After, and a check after the load finds it intact with a reader thread.
 * The API and the workers reach PostgreSQL through its Unix socket, as `npm start` reaches its
 * embedded one (scenarios a, b and d use TCP, as a DATABASE_URL with a host name does).
 */
import { spawn } from 'node:child_process';
import { internalTypesOf, PUBLIC_EVENT_TYPES } from '@app/application/public-events/public-events';
import type { Pool } from 'pg';
import { type RunningPostgres, startTestPostgres } from '../setup/postgres-server';
import { AcknowledgedChanges, bearer, callBody, extensionBody } from './support/calls';
import { CheckpointWatcher } from './support/checkpoints';
import { queryWithRetry, testPool, waitUntilCallsVisible } from './support/database';
import { Figures, sleep, tally } from './support/figures';
import { acknowledged, HttpClient, outcomeLabel } from './support/http';
import { runLoad } from './support/load';
import { type ApiProcess, Fleet, type ManagedProcess, REPO_ROOT } from './support/processes';
import { deciderSnapshotCounts, SNAPSHOT_EVERY_COLD_READ } from './support/snapshots';
import { CountingReceiver } from './support/webhook-receiver';

const LOAD_MS = Number(process.env.FAULTS_C_LOAD_MS ?? 40_000);
const CONCURRENCY = Number(process.env.FAULTS_C_CONCURRENCY ?? 16);
/** [when, into the load; how] */
const RESTARTS: { atMs: number; mode: 'fast' | 'immediate' }[] = [
  { atMs: Math.round(LOAD_MS * 0.25), mode: 'fast' },
  { atMs: Math.round(LOAD_MS * 0.65), mode: 'immediate' },
];
const DOWN_MS = 1_500;
const VISIBLE_WITHIN_MS = 20_000;
const WEBHOOKS_WITHIN_MS = 60_000;
const REBUILD_WAIT_FOR_LIVE_MS = 20_000;

/** Small webhook timings, so that deliveries retried across the restarts arrive within the scenario. */
const WEBHOOK_ENV = {
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  WEBHOOK_TIMEOUT_MS: '5000',
  WEBHOOK_RETRY_BASE_MS: '200',
  WEBHOOK_RETRY_MAX_MS: '2000',
  WEBHOOK_MAX_ATTEMPTS: '100',
  WEBHOOK_POLL_MS: '250',
};

interface Answered {
  sentAt: number;
  doneAt: number;
  label: string;
  status: number;
  retryAfter: boolean;
}

describe('fault scenario c: one API, two workers, PostgreSQL restarted (fast, immediate) under load', () => {
  const figures = new Figures('c');
  let pg: RunningPostgres;
  let fleet: Fleet;
  let api: ApiProcess;
  const workers: ManagedProcess[] = [];
  let pool: Pool;
  let http: HttpClient;
  let watcher: CheckpointWatcher;
  let receiver: CountingReceiver;
  let manager: Record<string, string>;
  const acked = new AcknowledgedChanges();
  const answers: Answered[] = [];
  const outages: { mode: string; stopAt: number; stoppedAt: number; startedAt: number; advancedAfterMs?: number }[] = [];
  let auditor: Record<string, string>;
  /** GET /audit/verify's answers during the load: status, Retry-After, and the report's ok and first break. */
  const checks: { status: number; label: string; retryAfter: boolean; ok?: boolean; eventsChecked?: number; firstBreak?: unknown }[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres({ durable: true });
    process.once('exit', () => pg.stop());
    receiver = await new CountingReceiver().start();
    watcher = new CheckpointWatcher(pg.url, 100).start();
    // The API and the workers connect through the Unix socket, as `npm start`'s embedded PostgreSQL connects the app: a stopped
    // server removes its socket file (ENOENT on connect), a killed one leaves it (ECONNREFUSED); both must be outages (503).
    fleet = new Fleet({ databaseUrl: pg.socketUrl, env: { ...WEBHOOK_ENV, ...SNAPSHOT_EVERY_COLD_READ } });
    api = await fleet.startApi('api', { runWorker: false });
    // Supervised as in production: a worker that exits is started again a second later (the exit
    // still fails the scenario), so a replacement competes with a worker that may have lost its leadership.
    workers.push(await fleet.startWorker('worker-1', { supervise: 1_000 }), await fleet.startWorker('worker-2', { supervise: 1_000 }));
    pool = testPool(pg.url);
    http = new HttpClient(api.baseUrl, { maxSockets: CONCURRENCY + 4 });
    manager = await bearer({ role: 'grant-manager', id: 'alice' });
    auditor = await bearer({ role: 'auditor', id: 'audrey' });
    const partner = await bearer({ role: 'partner', id: 'partner-faults' });
    const subscribed = await http.post('/webhooks/subscriptions', { headers: partner, body: { url: receiver.url, eventTypes: [...PUBLIC_EVENT_TYPES] } });
    if (subscribed.status !== 201) throw new Error(`webhook subscription refused: ${subscribed.status} ${JSON.stringify(subscribed.body)}`);
  }, 120_000);

  afterAll(async () => {
    http?.close();
    await watcher?.stop();
    await pool?.end().catch(() => undefined);
    await receiver?.close();
    if (fleet) for (const line of fleet.errorSummary()) figures.add(line);
    await fleet?.cleanup();
    pg?.stop();
    figures.print();
  }, 60_000);

  it('takes load through a fast and an immediate PostgreSQL restart', async () => {
    const drafted: string[] = [];
    const published: string[] = [];
    let extensions = 0;
    const loadStarted = Date.now();

    const faults = (async () => {
      for (const restart of RESTARTS) {
        await sleep(loadStarted + restart.atMs - Date.now());
        const outage = { mode: restart.mode, stopAt: Date.now(), stoppedAt: 0, startedAt: 0 };
        outages.push(outage);
        await pg.stopServer(restart.mode);
        outage.stoppedAt = Date.now();
        await sleep(DOWN_MS);
        await pg.startServer();
        outage.startedAt = Date.now();
      }
    })();

    // An auditor verifying the log, one check after another, until the load ends.
    let loading = true;
    const auditing = (async () => {
      while (loading) {
        const answer = await http.get('/audit/verify', { headers: auditor, timeoutMs: 60_000 });
        const report = (answer.status === 200 ? answer.body : {}) as { ok?: boolean; eventsChecked?: number; firstBreak?: unknown };
        checks.push({ status: answer.status, label: outcomeLabel(answer), retryAfter: answer.headers['retry-after'] !== undefined, ok: report.ok, eventsChecked: report.eventsChecked, firstBreak: report.firstBreak });
        await sleep(answer.status === 200 ? 250 : 1_000);
      }
    })();

    const load = await runLoad({
      concurrency: CONCURRENCY,
      total: 1_000_000,
      maxMs: LOAD_MS,
      task: async (i) => {
        let kind: 'draft' | 'publish' | 'extend' | 'close' = 'draft';
        let callId: string | undefined;
        const slot = i % 8;
        if ((slot === 4 || slot === 5) && drafted.length) {
          kind = 'publish';
          callId = drafted.shift();
        } else if ((slot === 6 || slot === 7) && published.length) {
          kind = slot === 6 ? 'extend' : 'close';
          callId = published.shift();
        }
        const sentAt = Date.now();
        const answer =
          kind === 'draft'
            ? await http.post('/calls', { headers: manager, body: callBody() })
            : kind === 'publish'
              ? await http.post(`/calls/${callId}/publish`, { headers: manager })
              : kind === 'extend'
                ? await http.post(`/calls/${callId}/deadline-extensions`, { headers: manager, body: extensionBody(++extensions) })
                : await http.post(`/calls/${callId}/close`, { headers: manager, body: { reason: 'Budget fully allocated' } });
        answers.push({ sentAt, doneAt: Date.now(), label: `${kind} ${outcomeLabel(answer)}`, status: answer.status, retryAfter: answer.headers['retry-after'] !== undefined });
        const ack = acknowledged(answer);
        if (ack) acked.record(ack.id, ack.version);
        if (kind === 'draft' && ack) drafted.push(ack.id);
        else if (kind === 'publish' && callId) (ack ? published : drafted).push(callId);
        else if (kind === 'extend' && callId) published.push(callId);
        else if (kind === 'close' && callId && !ack) published.push(callId);
        // Refused or cut (the API restarting its connections): no busy loop.
        if (!answer.status) await sleep(200);
      },
    });
    await faults;
    loading = false;
    await auditing;
    figures.add(`load: ${load.started} commands in ${(load.ms / 1000).toFixed(1)} s at concurrency ${CONCURRENCY}; ${acked.count} acknowledged on ${acked.versions.size} calls`);
    for (const outage of outages) {
      const during = answers.filter((a) => a.doneAt >= outage.stopAt && a.sentAt <= outage.startedAt + 3_000);
      figures.add(
        `restart -m ${outage.mode}: stop took ${outage.stoppedAt - outage.stopAt} ms, down ${DOWN_MS} ms, start took ${outage.startedAt - outage.stoppedAt - DOWN_MS} ms;` +
          ` answers meanwhile (to 3 s after): ${tally(during.map((a) => a.label))}`,
      );
    }
    figures.add(`all answers: ${tally(answers.map((a) => a.label))}`);
    expect(acked.count).toBeGreaterThan(0);
    expect(outages.map((o) => o.mode)).toEqual(RESTARTS.map((r) => r.mode));
  }, LOAD_MS + 120_000);

  it('shows every acknowledged change in the read models afterwards', async () => {
    const visibility = await waitUntilCallsVisible(pool, acked.versions, VISIBLE_WITHIN_MS);
    figures.add(
      visibility.missing.length === 0
        ? `read model: every acknowledged change visible ${visibility.ms} ms after the load stopped`
        : `read model: ${visibility.missing.length} of ${acked.versions.size} acknowledged calls NOT visible after ${VISIBLE_WITHIN_MS / 1000} s` +
            ` (${visibility.missing.filter((m) => m.seen === null).length} not there at all)`,
    );
    expect(visibility.missing.slice(0, 5)).toEqual([]);
  }, VISIBLE_WITHIN_MS + 30_000);

  it('has read models equal to a clean rebuild from the log (npm run projections:rebuild)', async () => {
    const result = await runRebuildCheck(pg.socketUrl);
    const report = result.json as { projections?: { projection: string; aligned: boolean; differences: number }[] } | undefined;
    const projections = report?.projections ?? [];
    figures.add(
      `projections:rebuild exit code ${result.code} after ${(result.ms / 1000).toFixed(1)} s: ` +
        (projections.length
          ? projections.map((p) => `${p.projection} ${p.aligned ? `${p.differences} differing rows` : 'NOT comparable'}`).join(', ')
          : `no report (${result.stderrTail.split('\n').slice(-3).join(' | ')})`),
    );
    const unequal = projections.filter((p) => !p.aligned || p.differences > 0);
    if (unequal.length) figures.add(`rebuild check said:\n${result.stderrTail}`);
    expect(projections.length).toBeGreaterThan(0);
    expect(unequal).toEqual([]);
    expect(result.code).toBe(0);
  }, 240_000);

  it('delivers every public event of the log to the webhook subscription at least once, with no gap', async () => {
    const types = internalTypesOf();
    const expectedIds = async () =>
      new Set((await queryWithRetry<{ id: string }>(pool, 'SELECT event_id::text AS id FROM events WHERE type = ANY ($1)', [types])).map((r) => r.id));
    let expected = await expectedIds();
    const started = Date.now();
    while ([...expected].some((id) => !receiver.received.has(id)) && Date.now() - started < WEBHOOKS_WITHIN_MS) {
      await sleep(500);
      expected = await expectedIds();
    }
    const missing = [...expected].filter((id) => !receiver.received.has(id));
    const phantom = [...receiver.received.keys()].filter((id) => !expected.has(id));
    figures.add(
      `webhooks: ${expected.size} public events in the log, ${receiver.received.size} distinct received (${receiver.requests} deliveries, ${receiver.duplicates()} received more than once);` +
        ` missing ${missing.length}${missing.length ? ` after waiting ${WEBHOOKS_WITHIN_MS / 1000} s` : ` (all in by ${Date.now() - started} ms after the rebuild check)`}; not in the log: ${phantom.length}`,
    );
    if (missing.length) {
      // Where the missing ones are: never queued (the fan-out), or queued and in which state (the sender).
      const states = await queryWithRetry<{ status: string; n: string; leased: string; attempts: string }>(
        pool,
        `SELECT status, count(*) AS n, count(lease_owner) AS leased, max(attempts) AS attempts FROM webhook_deliveries WHERE event_id = ANY ($1) GROUP BY status`,
        [missing],
      );
      const queued = states.reduce((sum, s) => sum + Number(s.n), 0);
      figures.add(
        `webhooks: of the missing, ${missing.length - queued} never queued; queued: ` +
          (states.map((s) => `${s.status} ${s.n} (${s.leased} leased, at most ${s.attempts} attempts)`).join(', ') || 'none'),
      );
    }
    expect(expected.size).toBeGreaterThan(0);
    expect({ missing: missing.length, phantom: phantom.length }).toEqual({ missing: 0, phantom: 0 });
  }, WEBHOOKS_WITHIN_MS + 30_000);

  it('answers 503 with Retry-After, never 500, while the database is down', () => {
    const serverErrors = answers.filter((a) => a.status >= 500);
    const wrong = serverErrors.filter((a) => a.status !== 503 || !a.retryAfter);
    const noAnswer = answers.filter((a) => a.status === 0);
    figures.add(
      `server errors: ${serverErrors.length} (${tally(serverErrors.map((a) => `${a.status}${a.retryAfter ? ' with Retry-After' : ''}`)) || 'none'});` +
        ` requests with no answer: ${noAnswer.length} (${tally(noAnswer.map((a) => a.label)) || 'none'})`,
    );
    expect(tally(wrong.map((a) => `${a.label}${a.retryAfter ? ' with Retry-After' : ''}`))).toBe('');
  });

  it('verified the log intact in every check the restarts let run (503 with Retry-After otherwise), and again after the load with a reader thread', async () => {
    const intact = checks.filter((check) => check.status === 200 && check.ok === true);
    const unavailable = checks.filter((check) => check.status === 503 && check.retryAfter);
    const other = checks.filter((check) => !intact.includes(check) && !unavailable.includes(check));
    const after = await http.get('/audit/verify', { headers: auditor, timeoutMs: 120_000 });
    const report = after.body as { ok?: boolean; eventsChecked?: number; sealsChecked?: number; readerThreads?: number; firstBreak?: unknown };
    figures.add(
      `audit verify during the load: ${checks.length} checks, ${intact.length} intact (up to ${Math.max(0, ...intact.map((check) => check.eventsChecked ?? 0))} events), ${unavailable.length} × 503 with Retry-After,` +
        ` other: ${tally(other.map((check) => `${check.label}${check.ok === false ? ` broken ${JSON.stringify(check.firstBreak)}` : ''}`)) || 'none'};` +
        ` after: ${after.status} ok ${String(report.ok)}, ${report.eventsChecked} events, ${report.sealsChecked} seals, ${report.readerThreads} reader thread(s)`,
    );
    expect(other.map((check) => ({ status: check.status, ok: check.ok, firstBreak: check.firstBreak }))).toEqual([]);
    expect(intact.length).toBeGreaterThan(0);
    expect(after.status).toBe(200);
    expect(report).toMatchObject({ ok: true });
    // Three seals or more: the log is cut into slices and read by the API's reader thread(s).
    expect(report.sealsChecked).toBeGreaterThanOrEqual(3);
    expect(report.readerThreads).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('lost no process and moved no checkpoint backwards, across the whole scenario', async () => {
    await watcher.stop();
    const takeOver = outages.map((o) => {
      const next = watcher.advanceTimes.find((t) => t > o.startedAt);
      return `${o.mode}: ${next === undefined ? 'no checkpoint advanced afterwards' : `first checkpoint advance ${next - o.startedAt} ms after the restart`}`;
    });
    figures.add(`checkpoints (${watcher.source}): ${watcher.polls} polls (${watcher.failedPolls} while the database was unreachable), ${watcher.positions().size} consumers, ${watcher.backwards.length} moves backwards`);
    if (watcher.backwards.length) {
      figures.add(`  backwards by consumer: ${tally(watcher.backwards.map((b) => b.consumer))}`);
    }
    figures.add(`take-over: ${takeOver.join('; ')}`);
    figures.add(
      `processes: ${[api, ...workers].map((p) => `${p.name} ${p.running ? 'running' : 'EXITED'}${p.restarts ? ` (restarted ${p.restarts}x by the supervisor)` : ''}`).join(', ')};` +
        ` unexpected exits: ${fleet.unexpectedExits().map((e) => `${e.name} (code ${e.code}, signal ${e.signal})`).join(', ') || 'none'}`,
    );
    expect(fleet.unexpectedExits()).toEqual([]);
    expect(watcher.polls).toBeGreaterThan(100);
    expect(watcher.positions().size).toBeGreaterThan(0);
    figures.add((await deciderSnapshotCounts(pool)).figure);
    expect(watcher.backwards.slice(0, 10)).toEqual([]);
  });

  it('printed no process warning: no deprecation (pg 9 will refuse what pg 8 only warns about), no listener leak', () => {
    const warnings = fleet.processWarnings();
    figures.add(`process warnings: ${warnings.length ? warnings.join('; ') : 'none'}`);
    expect(warnings).toEqual([]);
  });
});

/** `npm run -s projections:rebuild -- --json` against the scenario's database (check only: never --swap). */
function runRebuildCheck(databaseUrl: string): Promise<{ code: number | null; json: unknown; stderrTail: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', 'projections:rebuild', '--', '--json', '--restart', '--wait-for-live', String(REBUILD_WAIT_FOR_LIVE_MS)], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: unknown;
      const line = stdout.trim().split('\n').pop();
      try {
        json = line ? JSON.parse(line) : undefined;
      } catch {
        json = undefined;
      }
      // Progress bars redraw with carriage returns: keep the last state of each line.
      const tail = stderr
        .split('\n')
        .map((l) => l.split('\r').pop() ?? '')
        .filter((l) => l.trim())
        .slice(-40)
        .join('\n');
      resolve({ code, json, stderrTail: tail, ms: Date.now() - started });
    });
  });
}
