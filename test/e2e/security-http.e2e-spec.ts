/**
 * HTTP hardening (apps/api/src/security/http-hardening.ts): helmet headers and a CSP under which
 * Swagger UI at /docs still works offline, no X-Powered-By, Cache-Control: no-store on every
 * authenticated answer, and CORS off by default, an allow-list by configuration.
 */
import { SecurityModule } from '../../apps/api/src/security/security.module';
import { createTestApp, type TestApp } from '../support/app';
import { callBody } from './grants-support';

const ALLOWED_ORIGIN = 'https://partner-portal.example';

/** The CSP header as a map of directive → sources. */
function directives(header: string): Map<string, string[]> {
  return new Map(
    header
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

describe('HTTP hardening: headers, CSP, caching, CORS', () => {
  let t: TestApp;
  let manager: string;

  beforeAll(async () => {
    t = await createTestApp({ runWorker: false, imports: [SecurityModule], config: { corsAllowedOrigins: [ALLOWED_ORIGIN] } });
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('sends the hardening headers and no X-Powered-By, on answers and on problems alike', async () => {
    for (const res of [await t.http.get('/calls').set('Authorization', `Bearer ${manager}`), await t.http.get('/calls'), await t.http.get('/nowhere')]) {
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      // An API answer is never a document to run or frame: its policy forbids everything.
      const csp = directives(res.headers['content-security-policy']);
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      // helmet's headers for HTML documents only are left off answers no browser renders.
      for (const pageOnly of ['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-xss-protection']) {
        expect(res.headers[pageOnly]).toBeUndefined();
      }
    }
  });

  it("gives Swagger UI's page helmet's headers and the page policy", async () => {
    const page = await t.http.get('/docs').expect(200);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
    const csp = directives(page.headers['content-security-policy']);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
  });

  it('keeps Swagger UI working offline: every script is served by the API itself, no inline script, no CDN', async () => {
    const page = await t.http.get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = directives(page.headers['content-security-policy']);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('script-src-attr')).toEqual(["'none'"]);
    // The page has a <style> block and style attributes: inline styles are needed, inline scripts are not.
    expect(page.text).toMatch(/<style>/);
    expect(csp.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(csp.get('img-src')).toEqual(["'self'", 'data:']);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.has('upgrade-insecure-requests')).toBe(false);

    const scripts = [...page.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const [, attributes, body] of scripts) {
      const src = /\bsrc="([^"]+)"/.exec(attributes)?.[1];
      expect(src).toBeDefined();
      expect(body.trim()).toBe('');
      expect(src).not.toMatch(/^(https?:)?\/\//); // same origin, relative to /docs
    }
    for (const [, href] of page.text.matchAll(/<link\b[^>]*href="([^"]+)"/g)) expect(href).not.toMatch(/^(https?:)?\/\//);
    expect(page.text).not.toMatch(/\son[a-z]+="/i); // no inline event handlers (script-src-attr 'none')

    const sources = scripts.map(([, attributes]) => /\bsrc="([^"]+)"/.exec(attributes)![1]);
    expect(sources.map((src) => src.split('/').pop())).toEqual(expect.arrayContaining(['swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-ui-init.js']));
    for (const src of sources) {
      const script = await t.http.get(new URL(src, 'http://api.test/docs').pathname).expect(200);
      expect(script.headers['content-type']).toMatch(/javascript/);
    }
    const init = await t.http.get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('SwaggerUIBundle');
    // The document it loads comes from the API too (connect-src 'self').
    await t.http.get('/docs-json').expect(200);
    await t.http.get('/docs/swagger-ui.css').expect(200);
  });

  it('answers authenticated requests with Cache-Control: no-store, problems included', async () => {
    const ok = await t.http.get('/calls').set('Authorization', `Bearer ${manager}`).expect(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    const created = await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send(callBody()).expect(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const invalid = await t.http.post('/calls').set('Authorization', `Bearer ${manager}`).send({}).expect(400);
    expect(invalid.headers['cache-control']).toBe('no-store');
    const refused = await t.http.get('/calls').set('Authorization', 'Bearer not-a-token').expect(401);
    expect(refused.headers['cache-control']).toBe('no-store');
  });

  it('answers a preflight from an allowed origin with what the browser needs, and reads carry the origin', async () => {
    const preflight = await t.http
      .options('/calls')
      .set('Origin', ALLOWED_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']?.toLowerCase()).toEqual(expect.stringContaining('authorization'));
    expect(preflight.headers['access-control-allow-headers']?.toLowerCase()).toEqual(expect.stringContaining('idempotency-key'));
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    expect(preflight.headers['access-control-max-age']).toBe('600');

    const read = await t.http.get('/calls').set('Origin', ALLOWED_ORIGIN).set('Authorization', `Bearer ${manager}`).expect(200);
    expect(read.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    expect(read.headers['access-control-expose-headers']).toContain('Retry-After');
    expect(read.headers.vary).toMatch(/Origin/);
  });

  it('gives an origin that is not listed no CORS header', async () => {
    const preflight = await t.http.options('/calls').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await t.http.get('/calls').set('Origin', 'https://evil.example').set('Authorization', `Bearer ${manager}`).expect(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('HTTP hardening: CORS is off by default', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ runWorker: false });
  });

  afterAll(async () => {
    await t.close();
  });

  it('sends no CORS header to any origin', async () => {
    expect(t.config.corsAllowedOrigins).toEqual([]);
    const preflight = await t.http.options('/calls').set('Origin', ALLOWED_ORIGIN).set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
    const token = await t.token({ role: 'grant-manager' });
    const read = await t.http.get('/calls').set('Origin', ALLOWED_ORIGIN).set('Authorization', `Bearer ${token}`).expect(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});
