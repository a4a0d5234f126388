/**
 * Starts a throwaway PostgreSQL cluster for tests and benchmarks: Debian's server when it is
 * installed (initdb/pg_ctl on PATH or under /usr/lib/postgresql), run as the `postgres` user
 * when we are root because initdb refuses root. Durability is switched off: test data is disposable.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningPostgres {
  /** Over TCP on 127.0.0.1. */
  url: string;
  /** Through its Unix socket (in `dir`), as `npm start`'s embedded PostgreSQL connects the app. */
  socketUrl: string;
  port: number;
  dir: string;
  stop(): void;
  /**
   * Stops the server (`pg_ctl stop -m fast|immediate`), waits `downMs`, and starts it again on the
   * same port and data directory (fault tests: a database restart under load). Asynchronous: the
   * caller's load and watchers keep running meanwhile.
   */
  restart(mode: ShutdownMode, downMs?: number): Promise<void>;
  /** The two halves of `restart`, for an outage of any length: stop now, start later. */
  stopServer(mode: ShutdownMode): Promise<void>;
  startServer(): Promise<void>;
}

/** `pg_ctl stop -m`: smart waits for clients, fast disconnects them cleanly, immediate is a crash (recovery on start). */
export type ShutdownMode = 'smart' | 'fast' | 'immediate';

function findBinDir(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return join(onPath, '..');
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  }
  throw new Error('PostgreSQL server binaries not found: install postgresql (apt-get install postgresql)');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * `durable`: fsync and full-page writes on, as a real server runs (benchmarks, fault scenarios).
 * `statements`: pg_stat_statements loaded (CREATE EXTENSION pg_stat_statements in a database to read
 * it there): what a test or benchmark counts of the statements the application sent.
 */
export async function startTestPostgres(options: { durable?: boolean; statements?: boolean } = {}): Promise<RunningPostgres> {
  const bin = findBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'grant-ledger-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe' });
    else execFileSync(full, args, { stdio: 'pipe' });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const durability = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const statements = options.statements ? ' -c shared_preload_libraries=pg_stat_statements' : '';
  const startArgs = [
    '-D', data, '-l', join(dir, 'log'), '-w', 'start',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300${durability}${statements}`,
  ];
  run('pg_ctl', startArgs);
  const runAsync = async (cmd: string, args: string[]) => {
    const full = join(bin, cmd);
    if (asRoot) await promisify(execFile)('runuser', ['-u', 'postgres', '--', full, ...args]);
    else await promisify(execFile)(full, args);
  };
  const stopServer = (mode: ShutdownMode) => runAsync('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  const startServer = () => runAsync('pg_ctl', startArgs);
  const restart = async (mode: ShutdownMode, downMs = 0) => {
    await stopServer(mode);
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await startServer();
  };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    socketUrl: `postgres://postgres@localhost:${port}/postgres?host=${encodeURIComponent(dir)}`,
    port,
    dir,
    stop,
    restart,
    stopServer,
    startServer,
  };
}

/**
 * A benchmark's server: DATABASE_URL when it is set, else a durable PostgreSQL of its own, stopped
 * when the process exits (Ctrl-C included). `server` is set only when it was started here.
 */
export async function benchPostgres(): Promise<{ url: string; server?: RunningPostgres }> {
  const given = process.env.DATABASE_URL;
  if (given) return { url: given };
  const server = await startTestPostgres({ durable: true });
  process.once('exit', () => server.stop());
  process.once('SIGINT', () => process.exit(130));
  return { url: server.url, server };
}
