/**
 * Each test file gets a database of its own in the run's PostgreSQL, so no test depends on
 * another's data or order. Migrations are applied by whoever opens the database (the app, the store).
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
  /**
   * Waits until the store would return every event of this database's log. A read of the log holds
   * back the events whose transaction is not below the cluster's snapshot xmin, that is while any
   * transaction that began earlier is still open anywhere on the server, in any database: in a test
   * run, a parallel suite's (the store waits for those only READ_ALL_SETTLE_MS). A spec that counts
   * what readAll, verify or the sealer saw right after it wrote waits for this first. At once when
   * the database holds no log (the esdb project's).
   */
  settled(timeoutMs?: number): Promise<void>;
}

const SETTLED = 'SELECT coalesce(max(transaction_id) < pg_snapshot_xmin(pg_current_snapshot()), true) AS settled FROM events';

export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set: run tests through `npm test`');
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
    async settled(timeoutMs = 30_000) {
      const client = new Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const { rows: log } = await client.query<{ present: boolean }>(`SELECT to_regclass('events') IS NOT NULL AS present`);
        if (!log[0].present) return;
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const { rows } = await client.query<{ settled: boolean }>(SETTLED);
          if (rows[0].settled) return;
          if (Date.now() > deadline) throw new Error(`the log of ${name} was still held back after ${timeoutMs} ms (a transaction open that long elsewhere on the server)`);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      } finally {
        await client.end();
      }
    },
  };
}
