import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { draftCallBody, SINGLE_CRITERION } from '../support/call-fixtures';
import { recordOverlappingStatements } from '../support/overlapping-statements';

/*
 * pg 8 queues a statement sent to a client that is still running one; pg 9 will refuse it. The app
 * with its worker, under concurrent commands and reads (as-of replays, the audit verify, lists),
 * must send every statement on every connection (pools, TypeORM's query runners, the LISTEN
 * connection) only once the one before has ended.
 */

const NOW = '2027-01-10T09:00:00Z';

describe('one statement at a time on every connection of the app', () => {
  let t: TestApp;
  let recorder: ReturnType<typeof recordOverlappingStatements>;

  beforeAll(async () => {
    recorder = recordOverlappingStatements();
    t = await createTestApp({ now: NOW });
  }, 60_000);

  afterAll(async () => {
    recorder?.stop();
    await t?.close();
  });

  it('under concurrent commands, their projection, as-of reads and verify', async () => {
    const managers = await Promise.all(['alice', 'bashir', 'carmen', 'dina'].map((id) => t.token({ role: 'grant-manager', id })));
    const auditor = await t.token({ role: 'auditor', id: 'audrey' });
    const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

    const organisations = await Promise.all(
      Array.from({ length: 8 }, async (_, i) =>
        (await t.http.post('/organisations').set(bearer(managers[i % 4])).send({
          name: `Network ${i}`, country: 'LB', legalStatus: 'unregistered-group', focusGroups: ['stateless-people'],
          contactPerson: { name: `Contact ${i}`, email: `contact${i}@network.example.org` },
        }).expect(201)).body.id as string),
    );
    const calls = await Promise.all(
      Array.from({ length: 60 }, async (_, i) =>
        (await t.http.post('/calls').set(bearer(managers[i % 4])).set('Idempotency-Key', randomUUID()).send(draftCallBody({ criteria: SINGLE_CRITERION, title: `Call ${i}` })).expect(201)).body.id as string),
    );
    const asOf = new Date(Date.parse(NOW) + 60_000).toISOString();
    await Promise.all([
      ...calls.slice(0, 20).map((id, i) => t.http.post(`/calls/${id}/publish`).set(bearer(managers[i % 4])).expect(200)),
      ...organisations.map((id, i) => t.http.patch(`/organisations/${id}`).set(bearer(managers[i % 4])).send({ name: `Network ${i} (renamed)` }).expect(200)),
      ...calls.slice(20, 40).map((id) => eventually(async () => ((await t.http.get(`/calls/${id}`).set(bearer(auditor))).status === 200 ? true : undefined), 20_000)),
    ]);
    const reads = await Promise.all([
      ...calls.slice(0, 20).map((id) => t.http.get(`/calls/${id}`).query({ asOf }).set(bearer(auditor))),
      ...organisations.map((id) => t.http.get(`/organisations/${id}`).query({ asOf }).set(bearer(auditor))),
      t.http.get('/audit/verify').set(bearer(auditor)),
      t.http.get('/calls').set(bearer(managers[0])),
    ]);
    expect(reads.map((res) => res.status)).toEqual(reads.map(() => 200));
    // Everything projected: the worker's batches ran beside the requests.
    await eventually(async () => {
      const listed = await t.http.get('/calls').query({ limit: 100 }).set(bearer(managers[0]));
      return listed.body.total === calls.length ? true : undefined;
    }, 20_000);

    expect(recorder.statements()).toBeGreaterThan(200);
    expect(recorder.overlapping).toEqual([]);
  }, 120_000);

  it('the recorder sees a statement sent while its client still runs one, and only that one', async () => {
    const client = new Client({ connectionString: t.db.url });
    await client.connect();
    try {
      const before = recorder.overlapping.length;
      await client.query('SELECT 1');
      await Promise.all([client.query('SELECT pg_sleep(0.05)'), client.query('SELECT 2 AS overlapping')]);
      expect(recorder.overlapping.slice(before)).toEqual(['SELECT 2 AS overlapping']);
    } finally {
      await client.end();
    }
  });
});
