import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { PostgresEventStore, type RecordedEvent } from '@app/event-store';
import { HashChainingEventStore } from '@app/event-store/hash-chain';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { databaseOptions } from '../database-options';
import { type AuditDb, poolAuditDb } from './audit-db';
import { latestSeal } from './audit-seals';
import { auditSigningKeyFromEnv } from './audit-signing-key';
import { AuditSealer } from './sealer';
import { type AuditVerifyReport, verifyAuditLog } from './verify';

const BUNDLE_VERIFIER = resolve(__dirname, '../../../../scripts/verify-bundle.js');
const execFileAsync = promisify(execFile);

/** For tests: runs the standalone bundle verifier as an auditor would (plain node, no project code); its exit code and output. */
export async function verifyBundle(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BUNDLE_VERIFIER, file]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

/**
 * For tests: seal until the latest seal covers every event in the table. A single catch-up can
 * stop short while any transaction of the cluster that started earlier is still open (the store
 * reads the log in commit-safe order and holds later events back until it ends).
 */
export async function sealEverything(sealer: AuditSealer, db: AuditDb, timeoutMs = 30_000): Promise<void> {
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

/** For the verify specs: a hash-chained, sealed log in a database of its own (createVerifyLedger). */
export interface VerifyLedger {
  db: TestDatabase;
  pool: Pool;
  auditDb: AuditDb;
  store: HashChainingEventStore;
  sealer: AuditSealer;
  /** verify in one thread, or with two reader threads. */
  verify(readers?: boolean): Promise<AuditVerifyReport>;
  log(): Promise<RecordedEvent[]>;
  /** TestDatabase.settled: verify reads only what the store returns, so a spec counting what it checked waits for this first. */
  settled(timeoutMs?: number): Promise<void>;
  /** tamperWithLog on this ledger. */
  tamper(...statements: [string, unknown[]?][]): Promise<void>;
  close(): Promise<void>;
}

export const verifySigningKey = auditSigningKeyFromEnv({});

/**
 * For the verify specs: a new database (named after `name`) with the application's schema, a
 * hash-chained PostgreSQL store over it that `fill` appends to (given the database too), then sealed every `everyEvents`
 * events; its verify reads pages of `pageSize` events.
 */
export async function createVerifyLedger(
  name: string,
  options: { everyEvents: number; pageSize: number; fill(store: HashChainingEventStore, db: TestDatabase): Promise<void> },
): Promise<VerifyLedger> {
  const db = await createTestDatabase(name);
  const dataSource = await new DataSource(databaseOptions(db.url)).initialize();
  await dataSource.destroy();
  const pool = new Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined);
  const auditDb = poolAuditDb(pool);
  const store = new HashChainingEventStore(new PostgresEventStore({ pool }));
  const sealer = new AuditSealer({ store, db: auditDb, signingKey: verifySigningKey, everyEvents: options.everyEvents });
  await options.fill(store, db);
  await sealEverything(sealer, auditDb);
  const readers = { store: { kind: 'postgres' as const, databaseUrl: db.url }, threads: 2 };
  return {
    db,
    pool,
    auditDb,
    store,
    sealer,
    verify: (withReaders = false) => verifyAuditLog({ store, db: auditDb, key: verifySigningKey, pageSize: options.pageSize, ...(withReaders ? { readers } : {}) }),
    log: () => store.readAll({ maxCount: 10_000 }),
    settled: (timeoutMs) => db.settled(timeoutMs),
    tamper: (...statements) => tamperWithLog(pool, ...statements),
    async close() {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
}
