/**
 * Idempotency-Key, atomic with the append: the key travels in the events a command appends (with
 * event ids derived from it), so "this command ran" commits with its effect. These tests take away
 * what the old scheme relied on — the answer table — as a crash between append and answer would,
 * and send the same keyed request many times at once.
 */
import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import { createTestApp, type TestApp } from '../support/app';
import { allEvents, logIsPostgres, streamEvents } from '../support/log';
import { draftCallBody, SINGLE_CRITERION } from '../support/call-fixtures';
import { PROBLEM_TYPES } from '../../apps/api/src/http/problem';

const draftBody = (title = 'Small grants for issue-based networks') => draftCallBody({ title, criteria: SINGLE_CRITERION });

describe('Idempotency-Key, recorded in the log with the command’s events', () => {
  let t: TestApp;
  let manager: string;
  let pg: Client;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z', runWorker: false });
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  const draft = (key: string, title?: string) => t.http.post('/calls').set('Authorization', `Bearer ${manager}`).set('Idempotency-Key', key).send(draftBody(title));
  /** What a crash between the append and the remembered answer leaves: the events, no answer. */
  const forgetAnswers = () => pg.query('DELETE FROM idempotency_keys');
  const callStreams = async () => new Set((await allEvents(t, { streamPrefixes: ['call-'] })).map((event) => event.streamId));

  it('a retry after the answer was lost creates nothing new and answers as the first time', async () => {
    const key = `crash-${randomUUID()}`;
    const first = await draft(key).expect(201);
    const streamsBefore = await callStreams();
    await forgetAnswers();

    const retry = await draft(key).expect(201);
    expect(retry.body).toEqual(first.body);
    expect(await callStreams()).toEqual(streamsBefore);
    const events = await streamEvents(t, `call-${first.body.id}`);
    expect(events.map((e) => [e.type, e.metadata.idempotencyKey])).toEqual([['CallDrafted', key]]);
  });

  it('a retry after a command on an existing stream lost its answer appends nothing again', async () => {
    const { body: call } = await draft(`create-${randomUUID()}`).expect(201);
    const key = `publish-${randomUUID()}`;
    const publish = () => t.http.post(`/calls/${call.id}/publish`).set('Authorization', `Bearer ${manager}`).set('Idempotency-Key', key).send();
    const first = await publish().expect(200);
    await forgetAnswers();
    // Without the key the same command is refused (a call is published once); with it, the first answer comes back.
    await t.http.post(`/calls/${call.id}/publish`).set('Authorization', `Bearer ${manager}`).send().expect((res) => expect(res.status).toBeGreaterThanOrEqual(400));
    const retry = await publish().expect(200);
    expect(retry.body).toEqual(first.body);
    expect((await streamEvents(t, `call-${call.id}`)).map((e) => e.type)).toEqual(['CallDrafted', 'CallPublished']);
  });

  it('twenty concurrent copies of one keyed create: every answer 2xx and the same, one stream, one event', async () => {
    const key = `burst-${randomUUID()}`;
    const streamsBefore = await callStreams();
    const answers = await Promise.all(Array.from({ length: 20 }, () => draft(key)));
    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 201));
    const ids = new Set(answers.map((res) => res.body.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const streamsAfter = await callStreams();
    expect([...streamsAfter].filter((s) => !streamsBefore.has(s))).toEqual([`call-${id}`]);
    expect((await streamEvents(t, `call-${id}`)).length).toBe(1);
  });

  it('ten concurrent copies of one keyed command on an existing stream: all 2xx, one event', async () => {
    const { body: call } = await draft(`create-${randomUUID()}`).expect(201);
    const key = `burst-publish-${randomUUID()}`;
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => t.http.post(`/calls/${call.id}/publish`).set('Authorization', `Bearer ${manager}`).set('Idempotency-Key', key).send()),
    );
    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 200));
    expect(new Set(answers.map((res) => JSON.stringify(res.body))).size).toBe(1);
    expect((await streamEvents(t, `call-${call.id}`)).map((e) => e.type)).toEqual(['CallDrafted', 'CallPublished']);
  });

  it('keys are per actor: another user’s same key is a request of its own', async () => {
    const key = `shared-${randomUUID()}`;
    const mine = await draft(key).expect(201);
    const bob = await t.token({ role: 'grant-manager', id: 'bob' });
    const theirs = await t.http.post('/calls').set('Authorization', `Bearer ${bob}`).set('Idempotency-Key', key).send(draftBody()).expect(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('a keyed command remembers its answer in the transaction that appends its events (PostgreSQL): nothing can come between', async () => {
    if (!logIsPostgres(t)) return; // EventStoreDB cannot: the answer is written after, as before
    const withTheEvents = async (key: string, streamId: string, version: number) =>
      (
        await pg.query(
          `SELECT k.status, k.response, k.xmin::text = (SELECT (e.transaction_id::text::numeric % 4294967296)::text FROM events e WHERE e.stream_id = $2 AND e.stream_version = $3) AS together
             FROM idempotency_keys k WHERE k.scope = 'alice' AND k.key = $1`,
          [key, streamId, version],
        )
      ).rows;
    const createKey = `together-${randomUUID()}`;
    const created = await draft(createKey).expect(201);
    expect(await withTheEvents(createKey, `call-${created.body.id}`, 0)).toEqual([{ status: 201, response: created.body, together: true }]);

    const publishKey = `together-${randomUUID()}`;
    const published = await t.http.post(`/calls/${created.body.id}/publish`).set('Authorization', `Bearer ${manager}`).set('Idempotency-Key', publishKey).send().expect(200);
    expect(published.body).toEqual({ id: created.body.id, version: 1 });
    expect(await withTheEvents(publishKey, `call-${created.body.id}`, 1)).toEqual([{ status: 200, response: published.body, together: true }]);
  });

  describe('on a route answering { id, version }, the key is looked up only when the command cannot settle it', () => {
    const as = () => ({ Authorization: `Bearer ${manager}` });
    const publish = (callId: string, key: string) => t.http.post(`/calls/${callId}/publish`).set(as()).set('Idempotency-Key', key).send();
    const extend = (callId: string, key: string, reason: string) =>
      t.http.post(`/calls/${callId}/deadline-extensions`).set(as()).set('Idempotency-Key', key).send({ newClosesAt: '2027-04-30T23:59:59Z', reason });
    const carrying = async (key: string) => (await allEvents(t)).filter((event) => event.metadata.idempotencyKey === key).map((event) => [event.streamId, event.type]);
    const expectReused = (res: { status: number; body: { type?: string }; headers: Record<string, string> }) => {
      expect({ status: res.status, type: res.body.type }).toEqual({ status: 422, type: PROBLEM_TYPES.idempotencyKeyReused });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    };
    /** How often the app looked a key up in idempotency_keys during `during`. */
    const lookUps = async (during: () => Promise<unknown>) => {
      const query = jest.spyOn(Pool.prototype, 'query');
      try {
        await during();
        return query.mock.calls.filter(([config]) => (config as { name?: string } | undefined)?.name === 'grant_ledger_find_idempotent_answer').length;
      } finally {
        query.mockRestore();
      }
    };

    it('a new key costs no look-up where the append remembers the answer (PostgreSQL); elsewhere one, before the append', async () => {
      let created: { id: string } | undefined;
      const onCreate = await lookUps(async () => (created = (await draft(`new-${randomUUID()}`).expect(201)).body));
      const onExisting = await lookUps(() => publish(created!.id, `new-${randomUUID()}`).expect(200));
      expect([onCreate, onExisting]).toEqual(logIsPostgres(t) ? [0, 0] : [1, 1]);
    });

    it('a retry is replayed as first answered, with Idempotent-Replayed, and appends nothing', async () => {
      const key = `retry-${randomUUID()}`;
      const first = await draft(key).expect(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const retry = await draft(key).expect(201);
      expect({ body: retry.body, replayed: retry.headers['idempotent-replayed'] }).toEqual({ body: first.body, replayed: 'true' });

      const publishKey = `retry-${randomUUID()}`;
      const published = await publish(first.body.id, publishKey).expect(200);
      const again = await publish(first.body.id, publishKey).expect(200);
      expect({ body: again.body, replayed: again.headers['idempotent-replayed'] }).toEqual({ body: published.body, replayed: 'true' });
      expect(await carrying(key)).toEqual([[`call-${first.body.id}`, 'CallDrafted']]);
      expect(await carrying(publishKey)).toEqual([[`call-${first.body.id}`, 'CallPublished']]);
    });

    it('a retry whose body members come in another order, or whose ids are in upper case, is the same request: replayed', async () => {
      const key = `order-${randomUUID()}`;
      const body = draftBody('Members in any order');
      const first = await t.http.post('/calls').set(as()).set('Idempotency-Key', key).send(body).expect(201);
      const reordered = Object.fromEntries(Object.entries(body).reverse());
      expect(Object.keys(reordered)).not.toEqual(Object.keys(body));
      const retry = await t.http.post('/calls').set(as()).set('Idempotency-Key', key).send(reordered).expect(201);
      expect({ body: retry.body, replayed: retry.headers['idempotent-replayed'] }).toEqual({ body: first.body, replayed: 'true' });

      const publishKey = `case-${randomUUID()}`;
      await publish(first.body.id, publishKey).expect(200);
      const upper = await publish(first.body.id.toUpperCase(), publishKey).expect(200);
      expect(upper.headers['idempotent-replayed']).toBe('true');
      expect(await carrying(key)).toEqual([[`call-${first.body.id}`, 'CallDrafted']]);
      expect(await carrying(publishKey)).toEqual([[`call-${first.body.id}`, 'CallPublished']]);
    });

    it('a key reused for another request is 422 and appends nothing: another body, another route, another stream', async () => {
      const key = `reused-${randomUUID()}`;
      const first = await draft(key, 'The first call').expect(201);
      const { body: other } = await draft(`other-${randomUUID()}`).expect(201);
      await publish(other.id, `publish-${randomUUID()}`).expect(200);
      const streamsBefore = await callStreams();
      const otherBefore = (await streamEvents(t, `call-${other.id}`)).length;

      expectReused(await draft(key, 'Another call'));
      expectReused(await publish(first.body.id, key));
      expectReused(await publish(other.id, key));
      expectReused(await extend(other.id, key, 'Connectivity was lost for two weeks'));

      expect(await callStreams()).toEqual(streamsBefore);
      expect((await streamEvents(t, `call-${other.id}`)).length).toBe(otherBefore);
      expect(await carrying(key)).toEqual([[`call-${first.body.id}`, 'CallDrafted']]);
      // The first request's answer is untouched and still replayed.
      expect((await draft(key, 'The first call').expect(201)).body).toEqual(first.body);
    });

    it('a key reused on the stream it first changed, with another body, is 422 and appends nothing', async () => {
      const { body: call } = await draft(`create-${randomUUID()}`).expect(201);
      await publish(call.id, `publish-${randomUUID()}`).expect(200);
      const key = `extend-${randomUUID()}`;
      const first = await extend(call.id, key, 'Partners lost connectivity').expect(200);
      expectReused(await extend(call.id, key, 'A different reason'));
      expect((await streamEvents(t, `call-${call.id}`)).map((event) => event.type)).toEqual(['CallDrafted', 'CallPublished', 'CallDeadlineExtended']);
      expect(first.body).toEqual({ id: call.id, version: 2 });
    });

    it('a reused key with a body that fails validation is 400 (the pipes come first) and runs nothing', async () => {
      const key = `invalid-${randomUUID()}`;
      await draft(key).expect(201);
      const streamsBefore = await callStreams();
      const res = await t.http.post('/calls').set(as()).set('Idempotency-Key', key).send({ ...draftBody(), budgetMinor: 'a lot' });
      expect({ status: res.status, type: res.body.type }).toEqual({ status: 400, type: PROBLEM_TYPES.validation });
      expect(await callStreams()).toEqual(streamsBefore);
    });

    it('one key, two different requests at the same moment: one takes effect, the other is refused (PostgreSQL)', async () => {
      for (let round = 0; round < 12; round++) {
        const { body: target } = await draft(`target-${randomUUID()}`).expect(201);
        const key = `race-${round}-${randomUUID()}`;
        // The same route with two bodies, and two routes on two streams, sent together.
        const [a, b, c] = await Promise.all([draft(key, 'Race A'), draft(key, 'Race B'), publish(target.id, key)]);
        const statuses = [a.status, b.status, c.status];
        const effects = await carrying(key);
        if (logIsPostgres(t)) {
          expect(statuses.filter((status) => status < 300)).toHaveLength(1);
          for (const res of [a, b, c]) if (res.status >= 300) expectReused(res);
          expect(effects).toHaveLength(1);
          const published = c.status === 200;
          expect(effects[0]).toEqual(published ? [`call-${target.id}`, 'CallPublished'] : [`call-${(a.status === 201 ? a : b).body.id}`, 'CallDrafted']);
        } else {
          // EventStoreDB appends without the answer: both requests may land (the limit the README names).
          for (const status of statuses) expect([200, 201, 422]).toContain(status);
          expect(effects.length).toBeGreaterThanOrEqual(1);
        }
      }
    });
  });

  it('no key is ever left in progress: the answer table holds only finished answers', async () => {
    if (!logIsPostgres(t)) return; // the table lives in PostgreSQL either way; checked once
    const { rows } = await pg.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE state <> 'done' OR status IS NULL`);
    expect(rows[0].n).toBe(0);
  });
});
