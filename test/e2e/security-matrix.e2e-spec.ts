import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { allEvents } from '../support/log';
import { buildWorld, CALLERS, readmeAllows, type Caller, type Operation, type SecurityWorld } from './security-world';

/*
 * The role × endpoint matrix, generated from the OpenAPI document (GET /docs-json): every caller
 * (each role, callers holding a role but not the object, and no token) × every operation, with path
 * parameters filled by real ids in a state where the operation can succeed. Nothing may answer 2xx
 * that the README's role table forbids (encoded once, in security-world.ts), nothing may answer 5xx,
 * and no refused request may append an event.
 */

/** Operations no request can make succeed here, and why. Every other operation must succeed for someone allowed. */
const UNREACHABLE: Record<string, string> = {
  'POST /admin/consumers/{name}/retry': 'succeeds only for a stalled log consumer, and no input accepted over HTTP stalls one',
};

interface Outcome {
  operation: string;
  caller: Caller;
  status: number;
  allowed: boolean;
}

describe('security: role × endpoint matrix from the OpenAPI document', () => {
  let world: SecurityWorld;
  let port: number;
  const outcomes: Outcome[] = [];
  const refusedRequestIds = new Set<string>();
  let sequence = 0;

  beforeAll(async () => {
    world = await buildWorld();
    await new Promise<void>((resolve) => world.t.app.getHttpServer().listen(0, '127.0.0.1', resolve));
    port = (world.t.app.getHttpServer().address() as AddressInfo).port;
    // The world's worker catches up with its seeding first: GET /health/ready is 503 (with Retry-After)
    // while a consumer lags more than READY_MAX_LAG_SECONDS, which a world seeded on a loaded machine
    // can (it did once in CI, 2026-12-07: the only 5xx of the run). Never ready in two minutes is a failure.
    const readyBy = Date.now() + 120_000;
    for (;;) {
      const res = await world.t.http.get('/health/ready');
      if (res.status === 200) break;
      if (Date.now() > readyBy) throw new Error(`the world's worker never became ready: ${JSON.stringify(res.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Reads first (they change nothing); then commands, each on a target of its own.
    const operations = world.operations;
    const ordered = [...operations.filter((op) => op.method === 'GET'), ...operations.filter((op) => op.method !== 'GET')];
    for (const operation of ordered) {
      // Refused callers first, while the target is still in a state where the operation can succeed.
      const callers = [...CALLERS].sort((a, b) => Number(readmeAllows(a, operation)) - Number(readmeAllows(b, operation)));
      for (const caller of callers) {
        const { status, requestId } = await probe(operation, caller);
        if (status >= 400) refusedRequestIds.add(requestId);
        outcomes.push({ operation: operation.key, caller, status, allowed: readmeAllows(caller, operation) });
      }
    }
  }, 300_000);

  afterAll(async () => {
    await world?.close();
  });

  /** The status of one call; a stream (text/event-stream) is closed as soon as its status is known. */
  async function probe(operation: Operation, caller: Caller): Promise<{ status: number; requestId: string }> {
    const { path, body, upload } = world.requestFor(operation);
    const requestId = `matrix-${(sequence += 1)}`;
    const headers: Record<string, string> = { 'X-Request-Id': requestId };
    if (caller !== 'anonymous') headers.Authorization = `Bearer ${world.tokens[caller]}`;
    if (operation.streams) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path, method: operation.method, headers }, (res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        req.end();
      });
      return { status, requestId };
    }
    let req = world.t.http[operation.method.toLowerCase() as 'get'](path);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    const res = upload !== undefined ? await req.attach(upload.field, upload.bytes, { filename: upload.filename }) : body === undefined ? await req : await req.send(body);
    return { status: res.status, requestId };
  }

  it('walked every caller through every operation of the document', () => {
    expect(world.operations.length).toBeGreaterThanOrEqual(60);
    expect(outcomes.length).toBe(world.operations.length * CALLERS.length);
  });

  it('answers nothing 2xx that the README forbids', () => {
    const violations = outcomes.filter((o) => !o.allowed && o.status >= 200 && o.status < 300);
    expect(violations).toEqual([]);
    // Each forbidden call was refused as such: 401 without a token, 403 or 404 (not yours) with one.
    const oddRefusals = outcomes.filter((o) => !o.allowed && ![401, 403, 404].includes(o.status));
    expect(oddRefusals).toEqual([]);
  });

  it('answers no caller 5xx', () => {
    expect(outcomes.filter((o) => o.status >= 500)).toEqual([]);
  });

  it('reached every operation: an allowed caller succeeded on the very target the others were refused on', () => {
    const succeeded = new Set(outcomes.filter((o) => o.allowed && o.status >= 200 && o.status < 300).map((o) => o.operation));
    const never = world.operations.map((op) => op.key).filter((key) => !succeeded.has(key) && !(key in UNREACHABLE));
    expect(never).toEqual([]);
  });

  it('appended nothing for any refused request', async () => {
    const appended = (await allEvents(world.t)).filter(
      (event) => refusedRequestIds.has(String(event.metadata.causationId)) || refusedRequestIds.has(String(event.metadata.correlationId)),
    );
    expect(appended.map((event) => `${event.type} caused by ${String(event.metadata.causationId)}`)).toEqual([]);
    expect(refusedRequestIds.size).toBeGreaterThan(300);
  });

  it('lists only their own objects to an applicant of another organisation and to an unassigned reviewer', async () => {
    const list = async (caller: Caller, path: string) =>
      (await world.t.http.get(path).set('Authorization', `Bearer ${world.tokens[caller as Exclude<Caller, 'anonymous'>]}`).expect(200)).body.items as { id: string }[];
    const proposalsOfTheLead = (await list('applicant', '/proposals?limit=200')).map((p) => p.id);
    expect(proposalsOfTheLead.length).toBeGreaterThan(10);
    expect((await list('applicant-other', '/proposals?limit=200')).filter((p) => proposalsOfTheLead.includes(p.id))).toEqual([]);
    expect((await list('reviewer-unassigned', '/proposals?limit=200')).filter((p) => proposalsOfTheLead.includes(p.id))).toEqual([]);
    const grantsOfTheLead = (await list('applicant', '/grants?limit=200')).map((g) => g.id);
    expect(grantsOfTheLead.length).toBeGreaterThan(3);
    expect((await list('applicant-other', '/grants?limit=200')).filter((g) => grantsOfTheLead.includes(g.id))).toEqual([]);
    const subscriptionsOfThePartner = (await list('partner', '/webhooks/subscriptions')).map((s) => s.id);
    expect((await list('partner-other', '/webhooks/subscriptions')).filter((s) => subscriptionsOfThePartner.includes(s.id))).toEqual([]);
  });
});
