/**
 * The database a command-line tool works on (audit:verify, audit:export, projections:rebuild): only
 * ever one it was pointed at, never "whatever answers on the default port".
 *
 * 1. `--database-url URL` on the command line, else
 * 2. DATABASE_URL, else
 * 3. the embedded PostgreSQL of `npm start`, only when its data directory (DATA_DIR, default .data)
 *    already exists here. If that server is running (its postmaster.pid names a live process and
 *    its port), the tool connects to it and checks that the server answering there serves that
 *    very data directory; otherwise the tool starts it for its own run and stops it after.
 *
 * Anything else is refused with a message that names the three ways.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadConfig } from '@app/platform/config/app-config';
import { embeddedDatabaseUrl, startEmbeddedPostgres } from '@app/platform/database/embedded-postgres';
import { isOutage } from '@app/platform/database/outage';
import { Client } from 'pg';

/** Refused: the tool was not pointed at a database, or what it was pointed at is not what it claims. */
export class DatabaseNotChosen extends Error {
  override name = 'DatabaseNotChosen';
}

export interface CliDatabase {
  url: string;
  /** Where the URL came from, for the tool's first line of output (no password). */
  description: string;
  /** Stops the embedded server if this tool started it; nothing otherwise. */
  stop(): Promise<void>;
}

const FLAG = '--database-url';

/** Removes `--database-url URL` (or `--database-url=URL`) from the arguments, so each tool parses the rest as before. */
export function takeDatabaseUrlFlag(argv: readonly string[]): { databaseUrl?: string; rest: string[] } {
  const rest: string[] = [];
  let databaseUrl: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === FLAG || arg.startsWith(`${FLAG}=`)) {
      const value = arg === FLAG ? argv[++i] : arg.slice(FLAG.length + 1);
      if (!value || value.startsWith('--')) throw new DatabaseNotChosen(`${FLAG} needs a PostgreSQL URL, e.g. ${FLAG} postgres://user:password@host:5432/grant_ledger`);
      databaseUrl = value;
    } else {
      rest.push(arg);
    }
  }
  return { databaseUrl, rest };
}

/**
 * Chooses the database (see above) and checks that it holds a Grant Ledger event log, so that a
 * tool pointed at the wrong database stops before it reads or writes anything there.
 */
export async function openCliDatabase(options: { databaseUrl?: string; log: (message: string) => void }): Promise<CliDatabase> {
  const database = await chooseDatabase(options);
  try {
    await assertHoldsEventLog(database);
  } catch (error) {
    await database.stop().catch(() => undefined);
    throw error;
  }
  return database;
}

async function chooseDatabase(options: { databaseUrl?: string; log: (message: string) => void }): Promise<CliDatabase> {
  const config = loadConfig();
  if (options.databaseUrl) return { url: options.databaseUrl, description: `${FLAG} (${withoutPassword(options.databaseUrl)})`, stop: async () => undefined };
  if (config.databaseUrl) return { url: config.databaseUrl, description: `DATABASE_URL (${withoutPassword(config.databaseUrl)})`, stop: async () => undefined };

  const databaseDir = join(config.dataDir, 'postgres');
  const here = relative(process.cwd(), databaseDir);
  const shown = here && !here.startsWith('..') ? here : databaseDir;
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    throw new DatabaseNotChosen(
      `No database to work on: DATABASE_URL is not set, no ${FLAG} was given, and there is no embedded PostgreSQL in ${shown} ` +
        `(DATA_DIR=${config.dataDir}). Set DATABASE_URL, pass ${FLAG} <url>, or run \`npm start\` once in this directory to create the embedded one.`,
    );
  }
  const running = runningServerPort(databaseDir);
  if (running === undefined) {
    options.log(`starting the embedded PostgreSQL in ${shown} for this run`);
    const started = await startEmbeddedPostgres(config.dataDir, config.embeddedPostgresPort, options.log);
    return { url: started.url, description: `the embedded PostgreSQL in ${shown} (started for this run)`, stop: () => started.stop() };
  }
  const url = embeddedDatabaseUrl(running);
  await assertServes(url, databaseDir, shown);
  return { url, description: `the embedded PostgreSQL in ${shown} (running, port ${running})`, stop: async () => undefined };
}

/** The port of the server running from `databaseDir`, per its postmaster.pid, if that process is alive. */
function runningServerPort(databaseDir: string): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  // postmaster.pid: pid, data directory, start time, port, socket directory, listen address, …
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, under another user (e.g. the embedded server's own `postgres` user).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined; // a stale file: the server starts over it
  }
  return port;
}

/** Refuses when the server at `url` is not the one serving `databaseDir` (another project's, another checkout's). */
async function assertServes(url: string, databaseDir: string, shown: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
    if (realpathSync(rows[0].data_directory) !== realpathSync(databaseDir)) {
      throw new DatabaseNotChosen(`The PostgreSQL at ${withoutPassword(url)} serves ${rows[0].data_directory}, not ${shown}: set DATABASE_URL or pass ${FLAG}.`);
    }
  } catch (error) {
    if (error instanceof DatabaseNotChosen) throw error;
    // Starting, stopping or restarting (57P03, a refused connection): it is the right server, just not now.
    if (isOutage(error)) throw new DatabaseNotChosen(`The embedded PostgreSQL in ${shown} is starting, stopping or restarting (${(error as Error).message}): run this again in a moment.`);
    throw new DatabaseNotChosen(
      `The embedded PostgreSQL in ${shown} looks running, but ${withoutPassword(url)} does not answer as it (${(error as Error).message}): set DATABASE_URL or pass ${FLAG}.`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function assertHoldsEventLog(database: CliDatabase): Promise<void> {
  const client = new Client({ connectionString: database.url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ found: boolean }>(`SELECT to_regclass('public.events') IS NOT NULL AS found`);
    if (!rows[0].found) {
      throw new DatabaseNotChosen(
        `${database.description} holds no Grant Ledger event log (no "events" table). Is it the right database? The server creates its tables on its first start.`,
      );
    }
  } catch (error) {
    if (error instanceof DatabaseNotChosen) throw error;
    // Starting, stopping or restarting (57P03, a refused connection): it is the right server, just not now.
    if (isOutage(error)) throw new DatabaseNotChosen(`${database.description} is starting, stopping or restarting (${(error as Error).message}): run this again in a moment.`);
    throw new DatabaseNotChosen(`Cannot reach ${database.description}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
