/**
 * Idempotency-Key, atomic with the append: the key travels in the events a command appends (with
 * event ids derived from it), so "this command ran" commits with its effect. These tests take away
 * what the old scheme relied on — the answer table — as a crash between append and answer would,
 * and send the same keyed request many times at once.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestApp, type TestApp } from '../support/app';
import { allEvents, logIsPostgres, streamEvents } from '../support/log';
import { draftCallBody, SINGLE_CRITERION } from '../support/call-fixtures';

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

  it('no key is ever left in progress: the answer table holds only finished answers', async () => {
    if (!logIsPostgres(t)) return; // the table lives in PostgreSQL either way; checked once
    const { rows } = await pg.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE state <> 'done' OR status IS NULL`);
    expect(rows[0].n).toBe(0);
  });
});
