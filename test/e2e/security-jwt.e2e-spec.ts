import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { authConfigFromEnv, TokenVerifier } from '@app/platform';
import { PROBLEM_TYPES } from '../../apps/api/src/http/problem';
import { createTestApp, type TestApp } from '../support/app';
import { eventCount } from '../support/log';
import { draftCallBody, SINGLE_CRITERION } from '../support/call-fixtures';

/*
 * JWT attacks over HTTP against the real app. Unsigned tokens, a wrong key, an expired token, a wrong
 * issuer or audience, an unknown role, lifetimes and a future `iat` are covered through HTTP by
 * libs/platform/src/auth/*.spec.ts; what they leave out is here: a tampered payload or header, `alg`
 * case games, algorithm substitution (HS512 with the right secret, RS256/ES256 against a shared-secret
 * server), the HS/RS confusion (the server's RSA public key used as an HMAC secret) and an embedded
 * `jwk` header against a JWKS-configured server, and a token that is not yet valid (`nbf`).
 * Each is sent to a query and to a command: 401 problem+json, and nothing appended.
 */

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

const draftCall = () => draftCallBody({ criteria: SINGLE_CRITERION });

async function expectRefused(t: TestApp, token: string): Promise<void> {
  for (const res of [
    await t.http.get('/calls').set('Authorization', `Bearer ${token}`),
    await t.http.post('/calls').set('Authorization', `Bearer ${token}`).send(draftCall()),
  ]) {
    expect({ status: res.status, type: res.body.type }).toEqual({ status: 401, type: PROBLEM_TYPES.unauthenticated });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  }
}

describe('JWT attacks against a shared-secret (HS256) server', () => {
  let t: TestApp;
  let valid: string;
  let eventsBefore: number;
  const auth = authConfigFromEnv({});
  const secret = new TextEncoder().encode(auth.jwtSecret);
  const claims = { role: 'applicant', org: '5b4f2a11-7d9b-4f38-9c55-1b0e6f3c0a3e' };
  const signed = (alg: string, key: Parameters<SignJWT['sign']>[0], extra: (jwt: SignJWT) => SignJWT = (jwt) => jwt) =>
    extra(new SignJWT(claims).setProtectedHeader({ alg }).setSubject('mallory').setIssuer(auth.issuer).setAudience(auth.audience).setIssuedAt().setExpirationTime('5m')).sign(key);

  beforeAll(async () => {
    t = await createTestApp({ runWorker: false });
    valid = await t.token({ role: 'grant-manager', id: 'alice' });
    eventsBefore = await eventCount(t);
  });

  afterAll(async () => {
    expect(await eventCount(t)).toBe(eventsBefore);
    await t.close();
  });

  it('accepts the untampered token (the attacks below start from it)', async () => {
    await t.http.get('/calls').set('Authorization', `Bearer ${valid}`).expect(200);
  });

  it('refuses a tampered payload: role raised to admin, subject changed, expiry extended', async () => {
    const [header, payload, signature] = valid.split('.');
    const claimsOf = decode(payload);
    for (const change of [{ role: 'admin' }, { sub: 'someone-else' }, { exp: Number(claimsOf.exp) + 3600 }, { org: 'another-org' }]) {
      await expectRefused(t, `${header}.${encode({ ...claimsOf, ...change })}.${signature}`);
    }
  });

  it('refuses a tampered header: alg none or HS512 over the original signature, or no signature at all', async () => {
    const [, payload, signature] = valid.split('.');
    for (const alg of ['none', 'None', 'NONE', 'nOnE', 'HS512']) {
      await expectRefused(t, `${encode({ alg, typ: 'JWT' })}.${payload}.${signature}`);
      await expectRefused(t, `${encode({ alg, typ: 'JWT' })}.${payload}.`);
    }
    const [header] = valid.split('.');
    await expectRefused(t, `${header}.${payload}.`);
    await expectRefused(t, `${header}.${payload}`);
  });

  it('refuses algorithm substitution: HS384 and HS512 with the right secret', async () => {
    await expectRefused(t, await signed('HS384', secret));
    await expectRefused(t, await signed('HS512', secret));
  });

  it('refuses RS256 and ES256 tokens signed by an attacker\'s own key', async () => {
    const rsa = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    await expectRefused(t, await signed('RS256', rsa.privateKey));
    await expectRefused(t, await signed('ES256', ec.privateKey));
  });

  it('refuses a token that is not yet valid (nbf in an hour)', async () => {
    await expectRefused(t, await signed('HS256', secret, (jwt) => jwt.setNotBefore('1h')));
  });
});

describe('JWT attacks against a JWKS-configured (RS256) server', () => {
  let t: TestApp;
  let jwksServer: Server;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let publicJwk: JWK;
  let eventsBefore: number;
  const issuer = 'https://idp.example';
  const audience = 'grant-ledger-api';
  const claims = { role: 'grant-manager' };
  const build = (header: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader(header as { alg: string }).setSubject('mallory').setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime('5m');

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    publicJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((_request, response) => {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    t = await createTestApp({ runWorker: false, overrides: [{ provide: TokenVerifier, useValue: new TokenVerifier({ jwksUrl, issuer, audience }) }] });
    eventsBefore = await eventCount(t);
  });

  afterAll(async () => {
    expect(await eventCount(t)).toBe(eventsBefore);
    await t.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it('accepts an RS256 token from the identity provider\'s key (the attacks below imitate it)', async () => {
    const token = await build({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey);
    await t.http.get('/calls').set('Authorization', `Bearer ${token}`).expect(200);
  });

  it('refuses the HS/RS confusion: HS256 keyed with the server\'s own RSA public key (PEM, JWK, modulus)', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    for (const secret of [pem, pem.trim(), JSON.stringify(publicJwk), String(publicJwk.n)]) {
      await expectRefused(t, await build({ alg: 'HS256', kid: 'rsa-1' }).sign(new TextEncoder().encode(secret)));
    }
  });

  it('refuses a token carrying its own key in the header (embedded jwk) or pointing at one (jku)', async () => {
    const attacker = await generateKeyPair('RS256', { extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    await expectRefused(t, await build({ alg: 'RS256', jwk: attackerJwk }).sign(attacker.privateKey));
    await expectRefused(t, await build({ alg: 'RS256', kid: 'rsa-1', jwk: attackerJwk }).sign(attacker.privateKey));
    await expectRefused(t, await build({ alg: 'RS256', kid: 'rsa-1', jku: 'http://127.0.0.1:1/attacker-jwks.json' }).sign(attacker.privateKey));
  });

  it('refuses alg none and a token that is not yet valid', async () => {
    const payload = encode({ sub: 'mallory', role: 'admin', iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 300 });
    await expectRefused(t, `${encode({ alg: 'none' })}.${payload}.`);
    await expectRefused(t, await build({ alg: 'RS256', kid: 'rsa-1' }).setNotBefore('1h').sign(rsa.privateKey));
  });
});

describe('an identity provider whose key set cannot be had', () => {
  let t: TestApp;
  let jwksServer: Server;
  let mode: 'ok' | '500' | 'not-json' | 'drop' = '500';
  const issuer = 'https://idp.example';
  const audience = 'grant-ledger-api';
  let token: string;

  beforeAll(async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    jwksServer = createServer((request, response) => {
      if (mode === 'drop') return request.socket.destroy();
      if (mode === '500') return void response.writeHead(500).end('Internal Server Error');
      response.setHeader('Content-Type', 'application/json');
      response.end(mode === 'not-json' ? '{not json' : JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    t = await createTestApp({ runWorker: false, overrides: [{ provide: TokenVerifier, useValue: new TokenVerifier({ jwksUrl, issuer, audience }) }] });
    token = await new SignJWT({ role: 'grant-manager' }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setSubject('gina').setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime('5m').sign(rsa.privateKey);
  });

  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it('answers 503 with Retry-After, never 401 or 500, and does not count it against the caller; a valid token passes once the set is back', async () => {
    const before = await eventCount(t);
    for (const broken of ['500', 'not-json', 'drop'] as const) {
      mode = broken;
      for (const res of [await t.http.get('/calls').set('Authorization', `Bearer ${token}`), await t.http.post('/calls').set('Authorization', `Bearer ${token}`).send(draftCall())]) {
        expect({ mode: broken, status: res.status, type: res.body.type, retryAfter: res.headers['retry-after'] !== undefined }).toEqual({
          mode: broken,
          status: 503,
          type: PROBLEM_TYPES.serviceUnavailable,
          retryAfter: true,
        });
        expect(res.headers['www-authenticate']).toBeUndefined();
      }
    }
    // More requests than the failed-authentication limit allows from one address: none is a failure.
    mode = '500';
    const statuses = new Set<number>();
    for (let i = 0; i < 110; i++) statuses.add((await t.http.get('/calls').set('Authorization', `Bearer ${token}`)).status);
    expect([...statuses]).toEqual([503]);
    mode = 'ok';
    await t.http.get('/calls').set('Authorization', `Bearer ${token}`).expect(200);
    expect(await eventCount(t)).toBe(before);
  });
});
