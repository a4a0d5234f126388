import type { Pool } from 'pg';
import type { AuditDb } from './audit-db';
import { latestSeal } from './audit-seals';
import type { AuditSealer } from './sealer';

/**
 * For tests: seal until the latest seal covers every event in the table. A single catch-up can
 * stop short while any transaction of the cluster that started earlier is still open (the store
 * reads the log in commit-safe order and holds later events back until it ends).
 */
export async function sealEverything(sealer: AuditSealer, db: AuditDb, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sealer.sealPending();
    const [{ count }] = await db.query<{ count: string }>('SELECT count(*) AS count FROM events');
    if ((await latestSeal(db))?.eventCount === Number(count)) return;
    if (Date.now() > deadline) throw new Error('the sealer did not catch up with the log');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * For tests: runs SQL against the log and the seals as a superuser who first switched off their
 * append-only triggers (a tamperer with the database's keys), in one transaction.
 */
export async function tamperWithLog(pool: Pool, ...statements: [string, unknown[]?][]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE events DISABLE TRIGGER USER');
    await client.query('ALTER TABLE audit_seals DISABLE TRIGGER USER');
    for (const [sql, params] of statements) await client.query(sql, params);
    await client.query('ALTER TABLE events ENABLE TRIGGER USER');
    await client.query('ALTER TABLE audit_seals ENABLE TRIGGER USER');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
