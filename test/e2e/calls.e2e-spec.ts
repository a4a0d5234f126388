import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventCount as logEventCount, streamEvents } from '../support/log';
import { draftCallBody } from '../support/call-fixtures';

const NOW = '2027-01-10T09:00:00Z';

const draftBody = draftCallBody;

describe('calls over HTTP', () => {
  let t: TestApp;
  let manager: string;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
  });

  afterAll(async () => {
    await t.close();
  });

  const eventCount = () => logEventCount(t);
  const viewAt = (id: string, version: number) =>
    eventually(async () => {
      const res = await t.http.get(`/calls/${id}`).set('Authorization', `Bearer ${manager}`);
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    }, 1000);

  it('drafts, publishes, extends and closes a call, each state visible in GET /calls/:id within a second', async () => {
    const drafted = await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(draftBody()).expect(201);
    expect(drafted.body).toEqual({ id: expect.any(String), version: 0 });
    const id = drafted.body.id;
    expect((await viewAt(id, 0)).status).toBe('draft');

    const published = await t.http.post(`/calls/${id}/publish`).set('Authorization', `Bearer ${manager}`).expect(200);
    expect(published.body.version).toBe(1);
    expect((await viewAt(id, 1)).status).toBe('published');

    await t.http
      .post(`/calls/${id}/deadline-extensions`)
      .set('Authorization', `Bearer ${manager}`)
      .send({ newClosesAt: '2027-04-15T23:59:59Z', reason: 'Connectivity cut in Gaza' })
      .expect(200);
    const extended = await viewAt(id, 2);
    expect(extended.closesAt).toBe('2027-04-15T23:59:59.000Z');
    expect(extended.deadlineExtensions).toEqual([
      expect.objectContaining({ previousClosesAt: '2027-03-31T23:59:59Z', newClosesAt: '2027-04-15T23:59:59Z', reason: 'Connectivity cut in Gaza' }),
    ]);

    t.clock.set('2027-04-16T00:00:00Z');
    await t.http.post(`/calls/${id}/close`).set('Authorization', `Bearer ${manager}`).send({}).expect(200);
    const closed = await viewAt(id, 3);
    expect(closed).toMatchObject({ status: 'closed', closedAt: '2027-04-16T00:00:00.000Z', version: 3 });
    t.clock.set(NOW);

    const stored = await streamEvents(t, `call-${id}`);
    expect(stored.map((e) => e.type)).toEqual(['CallDrafted', 'CallPublished', 'CallDeadlineExtended', 'CallClosed']);
    expect(stored.map((e) => e.streamVersion)).toEqual([0, 1, 2, 3]);
    for (const event of stored) {
      expect(event.metadata).toMatchObject({ actorId: 'alice', actorRole: 'grant-manager', correlationId: expect.any(String), causationId: expect.any(String), recordedAt: expect.any(String) });
    }
  });

  it('answers invalid input with 400 problem+json and appends nothing', async () => {
    const before = await eventCount();
    const res = await t.http
      .post('/calls')
      .set('Authorization', `Bearer ${manager}`)
      .send(draftBody({ budgetMinor: 12.5, currency: 'euro', surprise: true }))
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, type: expect.stringContaining('validation') });
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['budgetMinor', 'currency', 'surprise']);
    expect(await eventCount()).toBe(before);
  });

  it('answers a broken rule with 422 and the rule code, appending nothing', async () => {
    const before = await eventCount();
    const res = await t.http
      .post('/calls')
      .set('Authorization', `Bearer ${manager}`)
      .send(draftBody({ criteria: [{ id: 'relevance', name: 'Relevance', weight: 60, maxScore: 10 }] }))
      .expect(422);
    expect(res.body.rule).toBe('call.criteria.weights.invalid');
    expect(await eventCount()).toBe(before);
  });

  it('answers malformed JSON with 400, an unknown call with 404, a second publish with 409', async () => {
    await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).set('Content-Type', 'application/json').send('{"programme":').expect(400);
    await t.http.post('/calls/7d9b0a3e-1f0c-4f38-9c55-1b0e6f3c2a11/publish').set('Authorization', `Bearer ${manager}`).expect(404);
    await t.http.post('/calls/not-a-uuid/publish').set('Authorization', `Bearer ${manager}`).expect(400);
    const { body } = await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(draftBody()).expect(201);
    await t.http.post(`/calls/${body.id}/publish`).set('Authorization', `Bearer ${manager}`).expect(200);
    const again = await t.http.post(`/calls/${body.id}/publish`).set('Authorization', `Bearer ${manager}`).expect(409);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('refuses a stale If-Match with 409 and the actual version', async () => {
    const { body } = await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(draftBody()).expect(201);
    await t.http.post(`/calls/${body.id}/publish`).set('Authorization', `Bearer ${manager}`).set('If-Match', '"0"').expect(200);
    const stale = await t.http
      .post(`/calls/${body.id}/cancel`)
      .set('Authorization', `Bearer ${manager}`)
      .set('If-Match', '"0"')
      .send({ reason: 'Donor withdrew' })
      .expect(409);
    expect(stale.body).toMatchObject({ actualVersion: 1 });
    await t.http.post(`/calls/${body.id}/cancel`).set('Authorization', `Bearer ${manager}`).set('If-Match', 'nonsense').send({ reason: 'x' }).expect(400);
  });

  it('replays the first answer for a retried Idempotency-Key and appends nothing new', async () => {
    const before = await eventCount();
    const first = await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).set('Idempotency-Key', 'draft-42').send(draftBody()).expect(201);
    const retry = await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).set('Idempotency-Key', 'draft-42').send(draftBody()).expect(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await eventCount()).toBe(before + 1);
    await t.http
      .post('/calls')
      .set('Authorization', `Bearer ${manager}`)
      .set('Idempotency-Key', 'draft-42')
      .send(draftBody({ title: 'Another call' }))
      .expect(422);
    expect(await eventCount()).toBe(before + 1);
  });

  it('authenticates every route but /health and lets only the programme team act', async () => {
    await t.http.get('/health').expect(200);
    await t.http.get('/calls').expect(401);
    await t.http.get('/calls').set('Authorization', 'Bearer not-a-token').expect(401);
    for (const role of ['applicant', 'reviewer', 'auditor', 'partner'] as const) {
      const token = await t.token({ role, organisationId: role === 'applicant' ? '3f0c2a11-7d9b-4f38-9c55-1b0e6f3c0a3e' : undefined });
      await t.http.post('/calls').set('Authorization', `Bearer ${token}`).send(draftBody()).expect(403);
    }
  });

  it('hides drafts from applicants and shows them published calls', async () => {
    const { body: draft } = await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(draftBody({ title: 'Still a draft' })).expect(201);
    const { body: open } = await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(draftBody({ title: 'Open call' })).expect(201);
    await t.http.post(`/calls/${open.id}/publish`).set('Authorization', `Bearer ${manager}`).expect(200);
    await viewAt(open.id, 1);
    const applicant = await t.token({ role: 'applicant', organisationId: '3f0c2a11-7d9b-4f38-9c55-1b0e6f3c0a3e' });
    await t.http.get(`/calls/${draft.id}`).set('Authorization', `Bearer ${applicant}`).expect(404);
    await t.http.get(`/calls/${open.id}`).set('Authorization', `Bearer ${applicant}`).expect(200);
    const list = await t.http.get('/calls').set('Authorization', `Bearer ${applicant}`).expect(200);
    expect(list.body.items.every((c: { status: string }) => c.status === 'published' || c.status === 'closed')).toBe(true);
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(open.id);
  });

  it('serves OpenAPI with every command body documented with an example', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    const op = res.body.paths['/calls'].post;
    expect(op.requestBody).toBeDefined();
    expect(op.responses['400'].content['application/problem+json']).toBeDefined();
    const schema = res.body.components.schemas.DraftCallDto;
    for (const [name, prop] of Object.entries<{ example?: unknown }>(schema.properties)) {
      expect({ name, hasExample: prop.example !== undefined }).toEqual({ name, hasExample: true });
    }
  });
});
