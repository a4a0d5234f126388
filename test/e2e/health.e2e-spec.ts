import { Client } from 'pg';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { draftCallBody } from '../support/call-fixtures';

/**
 * GET /health/ready in a process that runs the log consumers: every component named, and
 * readiness that follows the consumers' lag — including events the log holds back. On PostgreSQL
 * the log is read in commit-safe order, so a transaction left open anywhere on the server (an
 * operator's session, a stuck client) holds back every event committed after it began: the
 * consumers stop while their own reads see nothing waiting. Readiness must not say "caught up" then.
 *
 * The transaction is held for well under a second (it holds back every database on the server,
 * other specs' included): READY_MAX_LAG_SECONDS is 0.1 here, so that lag shows at once.
 */
const onPostgres = process.env.EVENT_STORE !== 'esdb';

interface ConsumerEntry {
  name: string;
  lagSeconds: number;
  heldBackEvents: number;
  stalled: boolean;
}

describe('GET /health/ready', () => {
  let t: TestApp;
  let manager: string;
  const previousMaxLag = process.env.READY_MAX_LAG_SECONDS;

  beforeAll(async () => {
    process.env.READY_MAX_LAG_SECONDS = '0.1';
    t = await createTestApp();
    manager = await t.token({ role: 'grant-manager', id: 'health-gm' });
  });

  afterAll(async () => {
    if (previousMaxLag === undefined) delete process.env.READY_MAX_LAG_SECONDS;
    else process.env.READY_MAX_LAG_SECONDS = previousMaxLag;
    await t.close();
  });

  const draft = async (): Promise<string> => (await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(draftCallBody()).expect(201)).body.id;
  const callStatus = async (id: string): Promise<number> => (await t.http.get(`/calls/${id}`).set('Authorization', `Bearer ${manager}`)).status;
  /**
   * A ready answer with nothing held back. Polled: the other specs running meanwhile hold the
   * server's log back for moments too (their transactions count, whichever database they write).
   */
  const readyBody = () =>
    eventually(async () => {
      const response = await t.http.get('/health/ready');
      const { eventStore, consumers } = response.body.components ?? {};
      const nothingHeldBack = eventStore?.heldBackEvents === 0 && (consumers?.list as ConsumerEntry[] | undefined)?.every((consumer) => consumer.heldBackEvents === 0);
      return response.status === 200 && nothingHeldBack ? response.body : undefined;
    }, 10_000);

  it('names every component and each consumer; ready once the worker has caught up', async () => {
    await draft();
    const body = await readyBody();
    expect(body).toMatchObject({
      status: 'ready',
      process: 'api+worker',
      components: {
        database: { status: 'up' },
        eventStore: { status: 'up', kind: onPostgres ? 'postgres' : 'esdb', heldBackEvents: 0 },
        consumers: { status: 'up', affectsReadiness: true, maxLagSecondsAllowed: 0.1, lagging: [], stalled: [] },
      },
    });
    const list = body.components.consumers.list as ConsumerEntry[];
    expect(list.map((consumer) => consumer.name)).toContain('calls');
    for (const consumer of list) {
      expect(consumer).toMatchObject({ heldBackEvents: 0, stalled: false });
      expect(consumer.lagSeconds).toBeLessThanOrEqual(0.1);
    }
  });

  it(
    onPostgres
      ? 'turns unready while a transaction left open holds the log back, names what waits, and is ready again once it ends'
      : 'stays ready with a PostgreSQL transaction left open: the EventStoreDB log holds nothing back',
    async () => {
      await readyBody();
      // Let the readiness answer cached by the call above expire (it serves probes for 1 s).
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const blocker = new Client({ connectionString: t.db.url });
      await blocker.connect();
      let id: string;
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT pg_current_xact_id()'); // a transaction with an id, left open
        id = await draft();
        await new Promise((resolve) => setTimeout(resolve, 300));
        const response = await t.http.get('/health/ready');
        const calls = (response.body.components.consumers.list as ConsumerEntry[]).find((consumer) => consumer.name === 'calls');
        if (onPostgres) {
          expect(response.status).toBe(503);
          expect(response.headers['retry-after']).toBeDefined();
          expect(response.body).toMatchObject({
            status: 'not-ready',
            components: { eventStore: { status: 'up', heldBackSeconds: expect.any(Number) }, consumers: { status: 'lagging' } },
          });
          expect(response.body.components.eventStore.heldBackEvents).toBeGreaterThanOrEqual(1);
          expect(response.body.components.consumers.lagging).toContain('calls');
          expect(calls?.heldBackEvents).toBe(1);
          expect(calls?.lagSeconds).toBeGreaterThan(0.1);
          // Not projected: the calls projection has not been handed the draft.
          expect(await callStatus(id)).toBe(404);
        } else {
          expect(response.status).toBe(200);
          expect(response.body.components.eventStore.heldBackEvents).toBe(0);
          expect(calls?.heldBackEvents).toBe(0);
          await eventually(async () => ((await callStatus(id)) === 200 ? true : undefined));
        }
      } finally {
        await blocker.query('COMMIT').catch(() => undefined);
        await blocker.end();
      }
      await readyBody();
      await eventually(async () => ((await callStatus(id)) === 200 ? true : undefined));
    },
  );
});
