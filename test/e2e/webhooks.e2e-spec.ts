/** Webhook subscriptions over HTTP: who may do what, the secret shown once, SSRF refusals. */
import { createWebhooksTestApp } from '../support/webhooks-app';
import type { TestApp } from '../support/app';

describe('webhook subscriptions', () => {
  let t: TestApp;
  let partnerA: string;
  let partnerB: string;
  let admin: string;
  const hook = 'http://127.0.0.1:9/hooks';

  beforeAll(async () => {
    // No worker: these tests are about the subscription API; the receiver is never called.
    t = await createWebhooksTestApp({ runWorker: false });
    partnerA = await t.token({ role: 'partner', id: 'partner-a' });
    partnerB = await t.token({ role: 'partner', id: 'partner-b' });
    admin = await t.token({ role: 'admin', id: 'admin-1' });
  });

  afterAll(async () => {
    await t.close();
  });

  const subscribe = (token: string, body: Record<string, unknown>) => t.http.post('/webhooks/subscriptions').set('Authorization', `Bearer ${token}`).send(body);

  it('returns a Standard Webhooks secret once, and never again nor in plain text in the database', async () => {
    const created = await subscribe(partnerA, { url: hook, eventTypes: ['grant.awarded', 'call.published'], description: 'Donor reporting' }).expect(201);
    expect(created.body).toMatchObject({ url: hook, eventTypes: ['grant.awarded', 'call.published'], description: 'Donor reporting', ownerId: 'partner-a' });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(created.body.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const fetched = await t.http.get(`/webhooks/subscriptions/${created.body.id}`).set('Authorization', `Bearer ${partnerA}`).expect(200);
    expect(fetched.body).not.toHaveProperty('secret');
    const listed = await t.http.get('/webhooks/subscriptions').set('Authorization', `Bearer ${partnerA}`).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);

    const { Client } = await import('pg');
    const client = new Client({ connectionString: t.db.url });
    await client.connect();
    const { rows } = await client.query('SELECT * FROM webhook_subscriptions WHERE id = $1', [created.body.id]);
    await client.end();
    expect(JSON.stringify(rows)).not.toContain(created.body.secret.slice(6));
  });

  it('lets a partner see and manage only its own subscriptions: others get 404', async () => {
    const mine = (await subscribe(partnerA, { url: hook, eventTypes: ['grant.closed'] }).expect(201)).body;
    const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

    await t.http.get(`/webhooks/subscriptions/${mine.id}`).set(auth(partnerB)).expect(404);
    await t.http.get(`/webhooks/subscriptions/${mine.id}/deliveries`).set(auth(partnerB)).expect(404);
    await t.http.delete(`/webhooks/subscriptions/${mine.id}`).set(auth(partnerB)).expect(404);
    const listedByB = await t.http.get('/webhooks/subscriptions').set(auth(partnerB)).expect(200);
    expect(listedByB.body.items.map((s: { id: string }) => s.id)).not.toContain(mine.id);

    const listedByAdmin = await t.http.get('/webhooks/subscriptions').set(auth(admin)).expect(200);
    expect(listedByAdmin.body.items.map((s: { id: string }) => s.id)).toContain(mine.id);
    const deliveries = await t.http.get(`/webhooks/subscriptions/${mine.id}/deliveries`).set(auth(partnerA)).expect(200);
    expect(deliveries.body).toEqual({ items: [], total: 0, limit: 50, offset: 0 });

    await t.http.delete(`/webhooks/subscriptions/${mine.id}`).set(auth(partnerA)).expect(204);
    await t.http.get(`/webhooks/subscriptions/${mine.id}`).set(auth(partnerA)).expect(404);
  });

  it('refuses roles other than partner and admin to subscribe (applicant 403), and auditors may only read', async () => {
    const applicant = await t.token({ role: 'applicant', id: 'app-1', organisationId: '3f0c3b7e-2a55-4d0a-9a51-6a1c2b3d4e5f' });
    const manager = await t.token({ role: 'grant-manager', id: 'gm-1' });
    const auditor = await t.token({ role: 'auditor', id: 'aud-1' });
    await subscribe(applicant, { url: hook, eventTypes: ['grant.awarded'] }).expect(403);
    await subscribe(manager, { url: hook, eventTypes: ['grant.awarded'] }).expect(403);
    await subscribe(auditor, { url: hook, eventTypes: ['grant.awarded'] }).expect(403);
    await t.http.get('/webhooks/subscriptions').set('Authorization', `Bearer ${applicant}`).expect(403);
    await t.http.get('/webhooks/subscriptions').set('Authorization', `Bearer ${auditor}`).expect(200);
    await t.http.get('/webhooks/subscriptions').expect(401);
  });

  it('refuses an Idempotency-Key, which it cannot honour, rather than create a subscription on every retry', async () => {
    const partner = await t.token({ role: 'partner', id: 'partner-retrying' });
    const send = () =>
      t.http.post('/webhooks/subscriptions').set('Authorization', `Bearer ${partner}`).set('Idempotency-Key', 'subscribe-once').send({ url: hook, eventTypes: ['grant.awarded'] });
    for (const res of [await send(), await send()]) {
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.detail).toMatch(/takes no Idempotency-Key/);
    }
    expect((await t.http.get('/webhooks/subscriptions').set('Authorization', `Bearer ${partner}`).expect(200)).body.items).toEqual([]);
    // Without the key it subscribes; reads and the routes that take a key are unaffected.
    await t.http.post('/webhooks/subscriptions').set('Authorization', `Bearer ${partner}`).send({ url: hook, eventTypes: ['grant.awarded'] }).expect(201);
    await t.http.get('/webhooks/subscriptions').set('Authorization', `Bearer ${partner}`).set('Idempotency-Key', 'on-a-read').expect(200);
  });

  it('refuses unknown event types with a 400 problem', async () => {
    const res = await subscribe(partnerA, { url: hook, eventTypes: ['ProposalSubmitted'] }).expect(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors[0].field).toBe('eventTypes');
  });
});

describe('SSRF: webhook URLs that point inside our network are refused unless allowed by config', () => {
  let t: TestApp;
  let partner: string;

  beforeAll(async () => {
    t = await createWebhooksTestApp({ runWorker: false, webhooks: { allowedHosts: [] } });
    partner = await t.token({ role: 'partner', id: 'partner-ssrf' });
  });

  afterAll(async () => {
    await t.close();
  });

  it.each([
    'http://127.0.0.1:8080/hooks',
    'http://localhost:8080/hooks',
    'http://[::1]/hooks',
    'http://10.0.0.7/hooks',
    'http://172.20.1.1/hooks',
    'http://192.168.0.10/hooks',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd12:3456::1]/hooks',
    'http://0.0.0.0/hooks',
    'ftp://partner.example.org/hooks',
    'file:///etc/passwd',
  ])('refuses %s with a 400 problem', async (url) => {
    const res = await t.http.post('/webhooks/subscriptions').set('Authorization', `Bearer ${partner}`).send({ url, eventTypes: ['grant.awarded'] }).expect(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'url' })]);
  });
});
