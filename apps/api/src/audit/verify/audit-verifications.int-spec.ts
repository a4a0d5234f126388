import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import request from 'supertest';
import { createVerifyLedger, type VerifyLedger } from '@app/application/audit/audit-testing';
import { databaseOptions } from '@app/application/database-options';
import { EventStoreModule } from '@app/application/event-store.module';
import { type Actor, AuthModule, authConfigFromEnv, signToken } from '@app/platform';
import { PROBLEM_DETAILS_FILTER } from '../../http/problem';
import { AuditVerifications } from './audit-verifications';
import { AuditVerifyModule } from './audit-verify.module';

/**
 * GET /audit/verify with a reader thread, as the API runs it (AUDIT_VERIFY_THREADS): one check at
 * a time, stopped at shutdown, an outage in the thread answered as one. A reader is held mid-page
 * by a test transaction that locks the events table: its SELECT waits on the lock.
 */
describe('GET /audit/verify with reader threads', () => {
  const auth = authConfigFromEnv({});
  const token = (role: Actor['role']) => signToken({ id: `${role}-user`, role }, auth, '1h');
  let ledger: VerifyLedger;
  let app: INestApplication;
  /** Locks a failed test left held, released before anything closes. */
  const held: { release(): Promise<void> }[] = [];

  beforeEach(async () => {
    // 24 events in 3 streams, a seal every 4: enough seals for reader threads (MIN_SLICES_FOR_READERS).
    ledger = await createVerifyLedger('verify_api_readers', {
      everyEvents: 4,
      pageSize: 5000,
      async fill(store) {
        for (let n = 0; n < 8; n++) {
          for (const stream of ['case-a', 'case-b', 'case-c']) {
            await store.append(stream, [{ type: 'Case.Noted.v1', schemaVersion: 1, data: { n }, metadata: { eventId: randomUUID(), actorId: 'a', actorRole: 'admin', correlationId: 'c', causationId: 'c' } }], n === 0 ? 'no_stream' : n - 1);
          }
        }
      },
    });
    const databaseUrl = ledger.db.url;
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot(databaseOptions(databaseUrl)),
        EventStoreModule.forRoot({ kind: 'postgres', databaseUrl }),
        AuthModule.forRoot(auth),
        AuditVerifyModule.forRoot({ readers: { store: { kind: 'postgres', databaseUrl }, threads: 1 } }),
      ],
      providers: [PROBLEM_DETAILS_FILTER],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterEach(async () => {
    for (const lock of held.splice(0)) await lock.release();
    await app.close();
    await ledger.close();
  });

  const verify = async () => request(app.getHttpServer()).get('/audit/verify').set('Authorization', `Bearer ${await token('auditor')}`);

  /** A transaction that holds the events table: a reader's page waits on it until `release`. */
  const lockEvents = async (): Promise<{ release(): Promise<void> }> => {
    const client: PoolClient = await ledger.pool.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
    let released = false;
    const lock = {
      async release() {
        if (released) return;
        released = true;
        await client.query('ROLLBACK');
        client.release();
      },
    };
    held.push(lock);
    return lock;
  };

  /**
   * The backends of the ledger's database whose statement (running, or the last one when idle) is a
   * reader's page, and whether they are running it and waiting on a lock. This spec's own queries
   * of pg_stat_activity name the statement too, and are left out.
   */
  const readerConnections = async () =>
    (
      await ledger.pool.query<{ pid: number; active: boolean; waiting: boolean }>(
        `SELECT pid, state = 'active' AS active, state = 'active' AND wait_event_type = 'Lock' AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE '%ORDER BY transaction_id, position%' AND query NOT LIKE '%pg_stat_activity%'`,
      )
    ).rows;
  const readerBackends = async () => (await readerConnections()).filter((backend) => backend.active);

  const until = async (condition: () => Promise<boolean>, what: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  it('reads and hashes the log in the reader thread: the same report as the API thread gives', async () => {
    const response = await verify();
    expect(response.status).toBe(200);
    const alone = await ledger.verify(false);
    expect(response.body).toEqual({ ...alone, readerThreads: 1 });
    expect(response.body).toMatchObject({ ok: true, eventsChecked: 24, streamsChecked: 3, sealsChecked: 6, unsealedEvents: 0 });
  });

  it('runs one check at a time: requests made while it runs get its report', async () => {
    const verifications = app.get(AuditVerifications);
    const first = verifications.verify();
    expect(verifications.verify()).toBe(first);
    await first;
    const later = verifications.verify();
    expect(later).not.toBe(first);
    await later;

    const lock = await lockEvents();
    const both = [verify(), verify()].map((pending) => pending.then((response) => response));
    await until(async () => (await readerBackends()).some((backend) => backend.waiting), 'the reader waits on the lock');
    // One check, one reader, one page statement waiting: the second request joined the first.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await readerBackends()).toHaveLength(1);
    await lock.release();
    const [a, b] = await Promise.all(both);
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(a.body).toMatchObject({ ok: true, eventsChecked: 24, readerThreads: 1 });
  });

  it('stops a check still running at shutdown: 503 with Retry-After, and the reader thread ends', async () => {
    const lock = await lockEvents();
    const pending = verify().then((response) => response);
    await until(async () => (await readerBackends()).some((backend) => backend.waiting), 'the reader waits on the lock');
    await app.close();
    const response = await pending;
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    await lock.release();
    // The thread was terminated and its connections with it: no backend is left running its page, or idle after it.
    await until(async () => (await readerConnections()).length === 0, 'the reader connection is gone');
  });

  it('answers 503 with Retry-After when the reader thread loses the database, and verifies again once it is back', async () => {
    const lock = await lockEvents();
    const pending = verify().then((response) => response);
    await until(async () => (await readerBackends()).some((backend) => backend.waiting), 'the reader waits on the lock');
    for (const { pid } of await readerBackends()) await ledger.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    const response = await pending;
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(response.body).toMatchObject({ status: 503, type: expect.stringContaining('service-unavailable') });
    await lock.release();
    const again = await verify();
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ok: true, eventsChecked: 24, readerThreads: 1 });
  });
});
