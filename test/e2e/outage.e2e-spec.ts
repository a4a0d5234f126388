import { EVENT_STORE } from '@app/event-store';
import { HashChainingEventStore } from '@app/event-store/hash-chain';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { pgPoolOf } from '@app/platform/database/pg-pool';
import { Client, type Pool } from 'pg';
import type { Response } from 'supertest';
import { DataSource } from 'typeorm';
import { PROBLEM_TYPES } from '../../apps/api/src/http/problem';
import { startTestPostgres, type RunningPostgres } from '../setup/postgres-server';
import { createTestApp, type TestApp } from '../support/app';
import { logIsPostgres } from '../support/log';
import { draftCallBody, SINGLE_CRITERION } from '../support/call-fixtures';

/*
 * Outages answer 503 problem+json with Retry-After, never 500. The app runs on a PostgreSQL of its
 * own, which the test kills (`pg_ctl stop -m immediate`, as a crash would); under the esdb project the
 * EventStoreDB double is stopped too, so commands meet an unreachable event store as well. Before
 * that, a connection is terminated in the middle of an append (`pg_terminate_backend`), leaving the
 * command's outcome unknown to the API: also a 503.
 */

const NOW = '2027-01-10T09:00:00Z';

const callBody = () => draftCallBody({ criteria: SINGLE_CRITERION });

/** Creates the app's database on `server` instead of the run's shared one. */
async function createTestAppOn(server: RunningPostgres): Promise<TestApp> {
  const shared = process.env.TEST_DATABASE_URL;
  process.env.TEST_DATABASE_URL = server.url;
  try {
    return await createTestApp({ now: NOW, runWorker: false });
  } finally {
    process.env.TEST_DATABASE_URL = shared;
  }
}

describe('outages answer 503 with Retry-After, never 500', () => {
  let server: RunningPostgres;
  let t: TestApp;
  let manager: string;
  let auditor: string;
  let callId: string;

  beforeAll(async () => {
    server = await startTestPostgres();
    t = await createTestAppOn(server);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    auditor = await t.token({ role: 'auditor', id: 'audrey' });
    callId = (await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(callBody()).expect(201)).body.id;
  }, 60_000);

  afterAll(async () => {
    await t?.app.close();
    await t?.dropStorage().catch(() => undefined); // stops the EventStoreDB double; the database went with its server
    server?.stop();
  });

  const expectUnavailable = (res: Response) => {
    expect({ status: res.status, type: res.body.type }).toEqual({ status: 503, type: PROBLEM_TYPES.serviceUnavailable });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('2');
  };

  it('answers a command whose connection is terminated during the append 503: its outcome is unknown to the API', async () => {
    if (!logIsPostgres(t)) return; // the log is in EventStoreDB: no PostgreSQL append to cut
    const admin = new Client({ connectionString: t.db.url });
    await admin.connect();
    try {
      // Hold every append inside its INSERT long enough to cut its connection there.
      await admin.query(`CREATE FUNCTION hold_append() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NEW; END $$`);
      await admin.query('CREATE TRIGGER hold_append BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION hold_append()');
      const pending = t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(callBody()).then((res) => res);
      let terminated = 0;
      for (let attempt = 0; attempt < 100 && terminated === 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const { rows } = await admin.query<{ terminated: boolean }>(
          `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE '%INSERT INTO events%' AND state = 'active'`,
        );
        terminated = rows.filter((row) => row.terminated).length;
      }
      expect(terminated).toBeGreaterThan(0);
      const res = await pending;
      expectUnavailable(res);
      expect(res.body.detail).toMatch(/unknown/);
    } finally {
      await admin.query('DROP TRIGGER IF EXISTS hold_append ON events');
      await admin.query('DROP FUNCTION IF EXISTS hold_append()');
      await admin.end();
    }
  });

  /**
   * Every pool of the app: a client checked out and idle when PostgreSQL ends its session (the FATAL
   * 57P01 of `pg_ctl stop -m fast`, here by pg_terminate_backend) must not end the process. The
   * borrower here attaches no listener, as every borrower is without one for a moment after the
   * hand-over; before GuardedClient this crashed the API in fault scenario c.
   */
  it('survives the session of a checked-out, idle client of each of its pools being ended', async () => {
    const pools: [string, Pool][] = [['read models (TypeORM)', pgPoolOf(t.app.get(DataSource))]];
    const keyStore = (t.app.get(PersonalDataKeyring) as unknown as { store: { pool?: Pool } }).store;
    if (keyStore.pool) pools.push(['personal-data keys', keyStore.pool]);
    if (logIsPostgres(t)) {
      const store = t.app.get(EVENT_STORE);
      const adapter = store instanceof HashChainingEventStore ? store.inner : store;
      pools.push(['event store', (adapter as unknown as { pool: Pool }).pool]);
    }
    expect(pools.length).toBe(logIsPostgres(t) ? 3 : 2);
    const admin = new Client({ connectionString: t.db.url });
    await admin.connect();
    try {
      for (const [name, pool] of pools) {
        const client = await pool.connect();
        const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        const ended = new Promise((resolve) => client.once('end', resolve));
        expect({ name, terminated: (await admin.query('SELECT pg_terminate_backend($1) AS t', [pid])).rows[0].t }).toEqual({ name, terminated: true });
        await ended;
        await expect(client.query('SELECT 1')).rejects.toThrow();
        client.release();
      }
    } finally {
      await admin.end();
    }
    // The process goes on, and so do its pools: the next command opens fresh connections.
    await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(callBody()).expect(201);
  });

  describe('with the database down (and the event store, under the esdb project)', () => {
    beforeAll(async () => {
      server.stop(); // pg_ctl stop -m immediate: every connection drops, new ones are refused
      if (!logIsPostgres(t)) await t.dropStorage().catch(() => undefined); // stops the EventStoreDB double (the drop fails: no server)
    });

    it('answers queries 503 problem+json with Retry-After', async () => {
      expectUnavailable(await t.http.get(`/calls/${callId}`).set('Authorization', `Bearer ${manager}`));
      expectUnavailable(await t.http.get('/calls').set('Authorization', `Bearer ${manager}`));
      expectUnavailable(await t.http.get('/organisations').set('Authorization', `Bearer ${auditor}`));
    });

    it('answers commands 503 with Retry-After, saying the outcome is unknown', async () => {
      const publish = await t.http.post(`/calls/${callId}/publish`).set('Authorization', `Bearer ${manager}`);
      expectUnavailable(publish);
      expect(publish.body.detail).toMatch(/Idempotency-Key/);
      expectUnavailable(await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(callBody()));
      expectUnavailable(await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).set('Idempotency-Key', 'outage-1').send(callBody()));
    });

    it('keeps answering 503 (not 500, not a hang) to many requests at once', async () => {
      const statuses = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          (index % 2 ? t.http.get(`/calls/${callId}`) : t.http.post(`/calls/${callId}/close`).send({ reason: 'Outage drill' }))
            .set('Authorization', `Bearer ${manager}`)
            .then((res) => res.status),
        ),
      );
      expect(new Set(statuses)).toEqual(new Set([503]));
    });
  });
});
