/**
 * A log-consumer runtime in a process of its own, so a test can kill it with SIGKILL (a leader that
 * dies without handing its lease back). Run with tsx; configured by environment variables; says
 * `{ ready: true }` over IPC once started. The database is already migrated by the parent.
 */
import { PostgresEventStore } from '@app/event-store';
import { LogConsumerRuntime } from '@app/log-consumers';
import { DataSource } from 'typeorm';
import { seenProjector } from './harness';

async function main(): Promise<void> {
  const { DATABASE_URL, OWNER, CONSUMER, PREFIX, TABLE, HEARTBEAT_MS, LEASE_TTL_MS } = process.env;
  if (!DATABASE_URL || !OWNER || !CONSUMER || !PREFIX || !TABLE) throw new Error('runtime-child: missing configuration');
  const dataSource = await new DataSource({ type: 'postgres', url: DATABASE_URL, poolSize: 2, extra: { connectionTimeoutMillis: 2_000 } }).initialize();
  const store = new PostgresEventStore({ connectionString: DATABASE_URL, poolSize: 2, connectionTimeoutMs: 2_000 });
  const runtime = new LogConsumerRuntime(
    { dataSource, store, consumers: [seenProjector(CONSUMER, PREFIX, TABLE, { owner: OWNER })], logger: { log: () => undefined, error: () => undefined } },
    { owner: OWNER, heartbeatMs: Number(HEARTBEAT_MS ?? 50), leaseTtlMs: Number(LEASE_TTL_MS ?? 300) },
  );
  runtime.start();
  process.send?.({ ready: true });
  // Dies only by a signal; a parent that goes away takes this process with it.
  process.on('disconnect', () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
