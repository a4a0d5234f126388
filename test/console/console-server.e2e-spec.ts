/**
 * What the API adds for the web console: the page and its bundle served offline with their cache
 * headers and strict policy, the name search, and the evidence bundle over HTTP (the same files as
 * `npm run audit:export`, checked here with the offline verifier it ships).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestApp, eventually, type TestApp } from '../support/app';

const CALL = {
  programme: 'Civic Space and Minority Rights Programme 2027',
  title: 'Small grants for 100% grassroots networks',
  description: 'Networks of grassroots organisations in Lebanon, Palestine, Morocco and Tunisia.',
  currency: 'EUR',
  budgetMinor: 20_000_000,
  minAwardMinor: 500_000,
  maxAwardMinor: 8_000_000,
  eligibleCountries: ['LB', 'PS', 'MA', 'TN'],
  minPartners: 2,
  criteria: [{ id: 'relevance', name: 'Relevance', weight: 100, maxScore: 10 }],
  reviewsRequired: 1,
  opensAt: '2027-01-15T00:00:00Z',
  closesAt: '2027-03-31T23:59:59Z',
};

describe('console: page, search and evidence bundle', () => {
  let t: TestApp;
  let consoleDir: string;
  let workDir: string;
  let callId: string;
  const bearer = async (role: 'auditor' | 'grant-manager' | 'reviewer' | 'admin') => ({ Authorization: `Bearer ${await t.token({ role, id: `console-${role}` })}` });

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'console-dist-'));
    workDir = mkdtempSync(join(tmpdir(), 'console-bundle-'));
    mkdirSync(join(consoleDir, 'assets'));
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/console/assets/index-abc123.js"></script>');
    writeFileSync(join(consoleDir, 'assets', 'index-abc123.js'), 'console.log("bundle")');
    writeFileSync(join(consoleDir, 'secret.txt'), 'outside assets/');
    process.env.CONSOLE_DIR = consoleDir;
    t = await createTestApp();
    const res = await t.http.post('/calls').set(await bearer('grant-manager')).send(CALL).expect(201);
    callId = res.body.id;
    await t.http.post(`/calls/${callId}/publish`).set(await bearer('grant-manager')).expect(200);
    // The search reads the read model, which follows the log: wait until it shows the publication.
    const manager = await bearer('grant-manager');
    await eventually(async () => ((await t.http.get(`/calls/${callId}`).set(manager)).body.status === 'published' ? true : undefined));
  });

  afterAll(async () => {
    delete process.env.CONSOLE_DIR;
    await t?.close();
    rmSync(consoleDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it('serves the page revalidated every time, under a policy that allows only its own bundle', async () => {
    const page = await t.http.get('/console').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    const policy = page.headers['content-security-policy'];
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(page.text).toContain('/console/assets/index-abc123.js');
    await t.http.get('/console/').expect(200);
    // The identity provider's answer comes back as a query; the page takes any (the API routes take none they do not know).
    await t.http.get('/console/?code=abc&state=xyz').expect(200);
    const root = await t.http.get('/').expect(302);
    expect(root.headers.location).toBe('/console/');
  });

  it('serves hashed assets as immutable for a year, and nothing outside assets/', async () => {
    const asset = await t.http.get('/console/assets/index-abc123.js').expect(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    await t.http.get('/console/assets/missing.js').expect(404);
    await t.http.get('/console/assets/..%2Fsecret.txt').expect(404);
    await t.http.get('/console/assets/..%2Findex.html').expect(404);
  });

  it('tells the page no OIDC provider is configured', async () => {
    const config = await t.http.get('/console/config.json').expect(200);
    // The page shows amounts in the currency's ISO 4217 minor units, which Intl's display digits do not always match.
    expect(config.body).toEqual({ oidc: null, currencyMinorUnits: expect.objectContaining({ EUR: 2, LBP: 2, IQD: 3, TND: 3, JPY: 0 }) });
  });

  it('finds a call by part of its title, any case, with LIKE wildcards taken literally', async () => {
    const found = await t.http.get('/search').query({ q: 'GRASSROOTS' }).set(await bearer('auditor')).expect(200);
    expect(found.body.items).toEqual([expect.objectContaining({ kind: 'call', id: callId, streamId: `call-${callId}`, status: 'published', callId, proposalId: null })]);
    expect((await t.http.get('/search').query({ q: '100%' }).set(await bearer('grant-manager')).expect(200)).body.items).toHaveLength(1);
    expect((await t.http.get('/search').query({ q: '1%0' }).set(await bearer('auditor')).expect(200)).body.items).toEqual([]);
    await t.http.get('/search').query({ q: 'grassroots' }).set(await bearer('reviewer')).expect(403);
    await t.http.get('/search').query({ q: 'grassroots' }).expect(401);
  });

  it('answers an auditor the call bundle as a tar that the offline verifier accepts', async () => {
    const res = await t.http
      .get(`/audit/calls/${callId}/bundle`)
      .set(await bearer('auditor'))
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toBe('application/x-tar');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="call-${callId}-with-proposals-and-grants.tar"`);
    writeFileSync(join(workDir, 'bundle.tar'), res.body as Buffer);
    execFileSync('tar', ['-xmf', join(workDir, 'bundle.tar'), '-C', workDir]);
    const name = `call-${callId}-with-proposals-and-grants.jsonl`;
    expect(readdirSync(workDir).sort()).toEqual(['bundle.tar', name, `${name}.manifest.json`, 'verify-bundle.js'].sort());
    const events = readFileSync(join(workDir, name), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(events.map((event) => event.type)).toEqual(['CallDrafted', 'CallPublished']);
    const manifest = JSON.parse(readFileSync(join(workDir, `${name}.manifest.json`), 'utf8')) as { subject: unknown; events: { count: number } };
    expect(manifest.subject).toEqual({ call: callId });
    expect(manifest.events.count).toBe(2);
    const verified = spawnSync(process.execPath, [join(workDir, 'verify-bundle.js'), join(workDir, name)], { encoding: 'utf8' });
    expect({ status: verified.status, stderr: verified.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    // Tampering shows: the verifier refuses a bundle whose events were altered.
    writeFileSync(join(workDir, name), readFileSync(join(workDir, name), 'utf8').replace('Small grants', 'Large grants'));
    expect(spawnSync(process.execPath, [join(workDir, 'verify-bundle.js'), join(workDir, name)]).status).not.toBe(0);
  });

  it('gives a stream bundle to auditors only, and 404 for a stream with no events', async () => {
    await t.http.get(`/audit/streams/call-${callId}/bundle`).set(await bearer('auditor')).expect(200).expect('Content-Type', 'application/x-tar');
    await t.http.get(`/audit/streams/call-${callId}/bundle`).set(await bearer('grant-manager')).expect(403);
    await t.http.get(`/audit/calls/${callId}/bundle`).set(await bearer('admin')).expect(403);
    await t.http.get('/audit/streams/proposal-6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c/bundle').set(await bearer('auditor')).expect(404);
    await t.http.get('/audit/streams/not-a-stream/bundle').set(await bearer('auditor')).expect(400);
    // It takes no query: a parameter it would ignore is refused.
    const refused = await t.http.get(`/audit/calls/${callId}/bundle`).query({ x: 1 }).set(await bearer('auditor')).expect(400);
    expect(refused.body.detail).toMatch(/takes no query parameters/);
  });
});
