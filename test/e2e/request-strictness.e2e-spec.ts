/**
 * What the API refuses to guess about a request, on the real app: an `Idempotency-Key` that is empty
 * or sent twice, a JSON (or form) body that is not valid UTF-8, a body sent to a route that takes
 * none, a query string sent to a route that takes none, and a method the path does not have (405 with `Allow`, not 404). Each refusal is a 4xx
 * RFC 9457 problem and appends nothing; what clients commonly send (`{}` or an empty body on a
 * body-less command, a single well-formed key) keeps working.
 */
import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { Client } from 'pg';
import { PROBLEM_TYPES } from '../../apps/api/src/http/problem';
import { createTestApp, type TestApp } from '../support/app';
import { draftCallBody, SINGLE_CRITERION } from '../support/call-fixtures';
import { eventCount, streamEvents } from '../support/log';

const NOW = '2027-01-10T09:00:00Z';

/** `body` as JSON text with the bytes `raw` in place of the string `marker`: a body no JS string can produce. */
function jsonWithBytes(body: Record<string, unknown>, marker: string, raw: number[]): Buffer {
  const [before, after] = JSON.stringify(body).split(marker);
  return Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from(raw), Buffer.from(after, 'utf8')]);
}

/** Sends `Idempotency-Key` once per key, each on a header line of its own (Node writes an array so). */
const withKeyLines = (req: Test, ...keys: string[]): Test => req.set({ 'Idempotency-Key': keys });

/** Sends `bytes` as they are: superagent would otherwise write a Buffer as JSON (`{"type":"Buffer",…}`). */
const sendBytes = (req: Test, contentType: string, bytes: Buffer): Test => req.set('Content-Type', contentType).serialize((body: unknown) => body as string).send(bytes);

describe('request strictness: keys, encodings, bodies and methods the API will not guess about', () => {
  let t: TestApp;
  let manager: string;
  let applicant: string;
  let pg: Client;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW, runWorker: false });
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    applicant = await t.token({ role: 'applicant', id: 'amal', organisationId: randomUUID() });
    pg = new Client({ connectionString: t.db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg.end();
    await t.close();
  });

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const draft = () => t.http.post('/calls').set(bearer(manager)).send(draftCallBody({ criteria: SINGLE_CRITERION }));
  const draftedCall = async (): Promise<string> => (await draft().expect(201)).body.id as string;
  const storedAnswers = async (): Promise<number> => Number((await pg.query('SELECT count(*) AS n FROM idempotency_keys')).rows[0].n);

  const expectProblem = (res: Response, status: number, type: string, detail: RegExp) => {
    expect({ status: res.status, type: res.body.type }).toEqual({ status, type });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.stringMatching(detail), instance: expect.any(String) });
  };

  /** Runs `send` and checks that it appended nothing to the log and remembered no answer. */
  const appendsNothing = async (send: () => Promise<Response>): Promise<Response> => {
    const [events, answers] = [await eventCount(t), await storedAnswers()];
    const res = await send();
    expect({ events: await eventCount(t), answers: await storedAnswers() }).toEqual({ events, answers });
    return res;
  };

  describe('Idempotency-Key', () => {
    it.each([
      ['empty', ''],
      ['only spaces (trimmed to empty by the parser)', '   '],
    ])('an %s key is refused with 400, not taken as no key', async (_, key) => {
      const res = await appendsNothing(() => draft().set('Idempotency-Key', key));
      expectProblem(res, 400, PROBLEM_TYPES.badRequest, /Idempotency-Key is empty/);
    });

    it('a key sent twice is refused with 400, not taken as one joined key "a, b"', async () => {
      const res = await appendsNothing(() => withKeyLines(draft(), randomUUID(), randomUUID()));
      expectProblem(res, 400, PROBLEM_TYPES.badRequest, /Idempotency-Key is sent more than once/);
      // Even twice the same key: which one is meant is not for the server to guess.
      const key = randomUUID();
      const twice = await appendsNothing(() => withKeyLines(draft(), key, key));
      expectProblem(twice, 400, PROBLEM_TYPES.badRequest, /Idempotency-Key is sent more than once/);
    });

    it('is refused the same on a body-less command, before the command runs', async () => {
      const callId = await draftedCall();
      const res = await appendsNothing(() => t.http.post(`/calls/${callId}/publish`).set(bearer(manager)).set('Idempotency-Key', ''));
      expectProblem(res, 400, PROBLEM_TYPES.badRequest, /Idempotency-Key is empty/);
      const joined = await appendsNothing(() => withKeyLines(t.http.post(`/calls/${callId}/publish`).set(bearer(manager)), 'k1', 'k2'));
      expectProblem(joined, 400, PROBLEM_TYPES.badRequest, /Idempotency-Key is sent more than once/);
    });

    it('a single key, commas included, is still taken and replayed; the length rule stands', async () => {
      const key = `batch-7, item ${randomUUID()}`;
      const first = await draft().set('Idempotency-Key', key).expect(201);
      const retry = await appendsNothing(() => draft().set('Idempotency-Key', key));
      expect({ status: retry.status, body: retry.body }).toEqual({ status: 201, body: first.body });
      const long = await appendsNothing(() => draft().set('Idempotency-Key', 'k'.repeat(256)));
      expectProblem(long, 400, PROBLEM_TYPES.badRequest, /longer than 255 characters/);
    });

    it('reads ignore the key, empty or twice', async () => {
      await t.http.get('/calls').set(bearer(manager)).set('Idempotency-Key', '').expect(200);
      await withKeyLines(t.http.get('/calls').set(bearer(manager)), 'a', 'b').expect(200);
    });
  });

  describe('bodies that are not valid UTF-8', () => {
    it.each([
      ['a lone 0xFF byte', [0xff]],
      ['a continuation byte without a lead', [0x80]],
      ['an overlong encoding of "/"', [0xc0, 0xaf]],
      ['a sequence cut short', [0xe2, 0x82]],
      ['an encoded UTF-16 surrogate (CESU-8)', [0xed, 0xa0, 0x80]],
    ])('a JSON body with %s is refused with 400, not stored with U+FFFD', async (_, bytes) => {
      const body = jsonWithBytes(draftCallBody({ title: 'Small grants MARK', criteria: SINGLE_CRITERION }), 'MARK', bytes);
      const res = await appendsNothing(() => sendBytes(t.http.post('/calls').set(bearer(manager)), 'application/json', body));
      expectProblem(res, 400, PROBLEM_TYPES.malformedRequest, /not valid UTF-8/);
    });

    it('with charset=utf-8 spelled out, and in a form body, too', async () => {
      const body = jsonWithBytes(draftCallBody({ title: 'Small grants MARK', criteria: SINGLE_CRITERION }), 'MARK', [0xff]);
      const res = await appendsNothing(() => sendBytes(t.http.post('/calls').set(bearer(manager)), 'application/json; charset=UTF-8', body));
      expectProblem(res, 400, PROBLEM_TYPES.malformedRequest, /not valid UTF-8/);
      const callId = await draftedCall();
      const form = Buffer.concat([Buffer.from('reason='), Buffer.from([0xff, 0xfe])]);
      const refused = await appendsNothing(() => sendBytes(t.http.post(`/calls/${callId}/cancel`).set(bearer(manager)), 'application/x-www-form-urlencoded', form));
      expectProblem(refused, 400, PROBLEM_TYPES.malformedRequest, /not valid UTF-8/);
    });

    it('valid UTF-8 beyond ASCII is taken as sent', async () => {
      const title = 'Réseaux de la société civile — شبكات 🌍';
      const body = Buffer.from(JSON.stringify(draftCallBody({ title, criteria: SINGLE_CRITERION })), 'utf8');
      const { body: created } = await sendBytes(t.http.post('/calls').set(bearer(manager)), 'application/json', body).expect(201);
      const [drafted] = await streamEvents(t, `call-${created.id}`);
      expect((drafted.data as { title?: unknown }).title).toBe(title);
    });
  });

  describe('a body sent to a route that takes none', () => {
    it.each([
      ['a JSON object with fields', 'application/json', '{"reason":"ignored if taken"}'],
      ['a JSON array', 'application/json', '[]'],
      ['a form', 'application/x-www-form-urlencoded', 'reason=ignored'],
      ['plain text', 'text/plain', 'publish it please'],
    ])('a command refuses %s with 400, and nothing is appended', async (_, contentType, body) => {
      const callId = await draftedCall();
      const res = await appendsNothing(() => t.http.post(`/calls/${callId}/publish`).set(bearer(manager)).set('Content-Type', contentType).send(body));
      expectProblem(res, 400, PROBLEM_TYPES.badRequest, /takes no request body/);
    });

    it.each([
      ['no body', undefined, undefined],
      ['an empty JSON body', 'application/json', ''],
      ['{}', 'application/json', '{}'],
      ['{ } with spaces and a line end', 'application/json', ' { }\n'],
    ])('a command still takes %s', async (_, contentType, body) => {
      const callId = await draftedCall();
      let req = t.http.post(`/calls/${callId}/publish`).set(bearer(manager));
      if (contentType !== undefined) req = req.set('Content-Type', contentType);
      const res = body === undefined ? await req : await req.send(body);
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { id: callId, version: 1 } });
    });

    it('a read and a DELETE refuse a body too; a read still takes {}', async () => {
      const callId = await draftedCall();
      expectProblem(await t.http.get('/calls').set(bearer(manager)).send({ status: 'open' }), 400, PROBLEM_TYPES.badRequest, /takes no request body/);
      expectProblem(await t.http.get(`/calls/${callId}`).set(bearer(manager)).set('Content-Type', 'text/plain').send('x'), 400, PROBLEM_TYPES.badRequest, /takes no request body/);
      await t.http.get('/calls').set(bearer(manager)).send({}).expect(200);
      const res = await appendsNothing(() => t.http.delete(`/proposals/${randomUUID()}/partners/${randomUUID()}`).set(bearer(applicant)).send({ reason: 'no longer partners' }));
      expectProblem(res, 400, PROBLEM_TYPES.badRequest, /takes no request body/);
    });

    it('routes that read their body themselves (a multipart upload) are not affected', async () => {
      // No such proposal: the upload's own answer (404), not a refusal of its body.
      const res = await t.http
        .post(`/proposals/${randomUUID()}/documents`)
        .set(bearer(applicant))
        .attach('file', Buffer.from('%PDF-1.4\n'), { filename: 'statutes.pdf', contentType: 'application/pdf' });
      expectProblem(res, 404, PROBLEM_TYPES.notFound, /./);
    });
  });

  describe('a query string sent to a route that takes none', () => {
    it('a read refuses a parameter it would ignore; an empty query says nothing', async () => {
      const callId = await draftedCall();
      // (No worker here, so no read model: the route's own answer is 404.)
      const ranking = await t.http.get(`/calls/${callId}/ranking`).set(bearer(manager));
      expect(ranking.status).toBe(404);
      expectProblem(await t.http.get(`/calls/${callId}/ranking`).query({ limit: 0 }).set(bearer(manager)), 400, PROBLEM_TYPES.badRequest, /takes no query parameters/);
      await t.http.get(`/calls/${callId}/ranking?`).set(bearer(manager)).expect(ranking.status);
      // A route that takes a query still takes its own, and refuses others field by field.
      await t.http.get(`/calls/${callId}`).query({ asOf: new Date(Date.parse(NOW) + 60_000).toISOString() }).set(bearer(manager)).expect(200);
      expectProblem(await t.http.get(`/calls/${callId}`).query({ limit: 5 }).set(bearer(manager)), 400, PROBLEM_TYPES.validation, /./);
    });

    it('a command refuses one with 400, and nothing is appended', async () => {
      const callId = await draftedCall();
      const res = await appendsNothing(() => t.http.post(`/calls/${callId}/publish`).query({ force: 'true' }).set(bearer(manager)));
      expectProblem(res, 400, PROBLEM_TYPES.badRequest, /takes no query parameters/);
      await t.http.post(`/calls/${callId}/publish`).set(bearer(manager)).expect(200);
    });
  });

  describe('a method the path does not have', () => {
    it.each([
      ['PUT', '/organisations/:id', 'GET, HEAD, PATCH'],
      ['DELETE', '/calls', 'GET, HEAD, POST'],
      ['PATCH', '/calls/:id/publish', 'POST'],
      ['GET', '/calls/:id/publish', 'POST'],
      ['POST', '/calls/:id', 'GET, HEAD'],
    ])('%s %s is 405 with Allow: %s', async (method, path, allow) => {
      const url = path.replace(':id', randomUUID());
      const res = await appendsNothing(() => t.http[method.toLowerCase() as 'put'](url).set(bearer(manager)));
      expectProblem(res, 405, PROBLEM_TYPES.other, new RegExp(`${method} is not allowed on ${url.replace(/[/]/g, '\\/')}`));
      expect(res.body.title).toBe('Method Not Allowed');
      expect(res.headers.allow).toBe(allow);
    });

    it('an id in upper case is routed as in lower case (http/uuid-case.ts), for the 405 too', async () => {
      const res = await t.http.put(`/calls/${randomUUID().toUpperCase()}`).set(bearer(manager));
      expect({ status: res.status, allow: res.headers.allow }).toEqual({ status: 405, allow: 'GET, HEAD' });
    });

    it('a path that does not exist at all is still 404, with any method', async () => {
      for (const res of [await t.http.get('/nowhere').set(bearer(manager)), await t.http.put('/calls/x/y/z').set(bearer(manager))]) {
        expectProblem(res, 404, PROBLEM_TYPES.notFound, /Cannot (GET|PUT) \//);
        expect(res.headers.allow).toBeUndefined();
      }
    });

    it('a route that exists but finds nothing is still its own 404', async () => {
      const res = await t.http.get(`/calls/${randomUUID()}`).set(bearer(manager));
      expectProblem(res, 404, PROBLEM_TYPES.notFound, /./);
      expect(res.headers.allow).toBeUndefined();
    });
  });
});
