/**
 * One Idempotency-Key sent with different requests at the same moment, on a route whose answer is
 * not the command's `{ id, version }` (so the key is looked up before the command, and its answer
 * is stored only after the effect): the events carry the tag of the request the key came with
 * (libs/platform/src/idempotency/request-tag.ts), so the requests the effect is not theirs are refused
 * (422), on either store, instead of being answered with the winner's outcome.
 */
import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { Client } from 'pg';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { streamEvents } from '../support/log';
import { PROBLEM_TYPES } from '../../apps/api/src/http/problem';
import { GrantScenario } from './grants-support';

describe('Idempotency-Key: an effect in the log answers only the request it came from', () => {
  let t: TestApp;
  let manager: string;
  let grantId: string;

  beforeAll(async () => {
    t = await createTestApp({ now: '2027-01-10T09:00:00Z' });
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    const scenario = new GrantScenario(t);
    const callId = await scenario.publishedCall();
    const proposalId = await scenario.proposalReadyForDecision({
      callId, leadOrganisationId: await scenario.organisation('LB'), partnerOrganisationIds: [await scenario.organisation('PS'), await scenario.organisation('MA')], requestedMinor: 1_000_000,
    });
    grantId = await scenario.award(proposalId, 1_000_000);
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set('Authorization', `Bearer ${manager}`)).status === 200 ? true : undefined), 10_000);
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  const schedule = (key: string, dueDate: string) =>
    t.http.post(`/grants/${grantId}/reports`).set('Authorization', `Bearer ${manager}`).set('Idempotency-Key', key).send({ kind: 'interim', dueDate });
  const scheduledWith = async (key: string) => (await streamEvents(t, `grant-${grantId}`)).filter((event) => event.metadata.idempotencyKey === key);

  it('ten different requests with one key at once: one takes effect, the nine others are 422 and append nothing', async () => {
    for (let round = 0; round < 5; round++) {
      const key = `race-${round}-${randomUUID()}`;
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => schedule(key, `2027-10-${String(i + 1).padStart(2, '0')}`)));
      const won = answers.filter((res) => res.status === 201);
      expect(won).toHaveLength(1);
      for (const res of answers.filter((res) => res.status !== 201)) {
        expect(res.status).toBe(422);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.type).toBe(PROBLEM_TYPES.idempotencyKeyReused);
      }
      const effects = await scheduledWith(key);
      expect(effects.map((event) => event.type)).toEqual(['ReportScheduled']);
      const winner = answers.indexOf(won[0]);
      expect(effects[0].data).toMatchObject({ dueDate: `2027-10-${String(winner + 1).padStart(2, '0')}` });
      // The tag is a MAC of the request, not its hash: nothing in the log lets a body be confirmed by guessing.
      expect(effects[0].metadata.idempotencyRequest).toMatch(/^[A-Za-z0-9_-]{22}$/);
      // The winner's own retry is replayed as it was answered.
      const retry = await schedule(key, `2027-10-${String(winner + 1).padStart(2, '0')}`).expect(201);
      expect(retry.body).toEqual(won[0].body);
      expect(retry.headers['idempotent-replayed']).toBe('true');
    }
  });

  it("the answer's row keeps the request's tag, never a plain hash of it; a row stored before tags still replays its request", async () => {
    const pg = new Client({ connectionString: t.db.url });
    await pg.connect();
    try {
      const key = `row-${randomUUID()}`;
      const body = { kind: 'interim', dueDate: '2027-12-15' };
      const first = await schedule(key, body.dueDate).expect(201);
      const plainHash = createHash('sha256').update(`POST /grants/${grantId}/reports\n\n${canonicalize(body)}`).digest('hex');
      const { rows } = await pg.query('SELECT request_hash FROM idempotency_keys WHERE key = $1', [key]);
      expect(rows).toEqual([{ request_hash: (await scheduledWith(key))[0].metadata.idempotencyRequest }]);
      expect(rows[0].request_hash).not.toBe(plainHash);

      // As a row written before tags holds it: the plain hash. The same request is still its own; another is not.
      await pg.query('UPDATE idempotency_keys SET request_hash = $2 WHERE key = $1', [key, plainHash]);
      const replayed = await schedule(key, body.dueDate).expect(201);
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(replayed.body).toEqual(first.body);
      expect((await schedule(key, '2027-12-16').expect(422)).body.type).toBe(PROBLEM_TYPES.idempotencyKeyReused);
    } finally {
      await pg.end();
    }
  });

  it('copies of one request at once are all answered alike, with one effect', async () => {
    const key = `copies-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 8 }, () => schedule(key, '2027-11-30')));
    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 201));
    expect(new Set(answers.map((res) => JSON.stringify(res.body))).size).toBe(1);
    expect((await scheduledWith(key)).length).toBe(1);
  });
});
