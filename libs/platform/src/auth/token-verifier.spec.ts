import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import {
  authConfigFromEnv,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_DEV_JWT_SECRET,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  type AuthConfig,
} from './auth.config';
import { signToken } from './sign-token';
import { InvalidTokenError, KeySetUnavailableError, TokenVerifier } from './token-verifier';

const config: AuthConfig = { jwtSecret: 'verifier-spec-secret', issuer: 'grant-ledger', audience: 'grant-ledger-api' };

describe('signToken / TokenVerifier round trip (HS256)', () => {
  const verifier = new TokenVerifier(config);

  it('returns the actor that was signed', async () => {
    const token = await signToken({ id: 'alice', role: 'grant-manager' }, config, '8h');
    await expect(verifier.verify(token)).resolves.toEqual({ id: 'alice', role: 'grant-manager' });
  });

  it('carries an applicant organisation in the org claim', async () => {
    const organisationId = '7c9a3e12-0b7e-4a57-8f3d-1f0e2d3c4b5a';
    const token = await signToken({ id: 'amal', role: 'applicant', organisationId }, config);
    await expect(verifier.verify(token)).resolves.toEqual({ id: 'amal', role: 'applicant', organisationId });
  });

  it('refuses an organisation that is not a UUID, and reads an upper-case one lower-case', async () => {
    for (const org of ['not-a-uuid', 'org-1', '7c9a3e12-0b7e-4a57-8f3d-1f0e2d3c4b5a\u0000', ' 7c9a3e12-0b7e-4a57-8f3d-1f0e2d3c4b5a', '']) {
      const token = await new SignJWT({ role: 'applicant', org }).setProtectedHeader({ alg: 'HS256' }).setSubject('amal').setIssuer(config.issuer).setAudience(config.audience).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(config.jwtSecret));
      await expect(verifier.verify(token)).rejects.toMatchObject({ constructor: InvalidTokenError, reason: 'claims' });
    }
    const upper = await signToken({ id: 'amal', role: 'applicant', organisationId: '7C9A3E12-0B7E-4A57-8F3D-1F0E2D3C4B5A' }, config);
    await expect(verifier.verify(upper)).resolves.toEqual({ id: 'amal', role: 'applicant', organisationId: '7c9a3e12-0b7e-4a57-8f3d-1f0e2d3c4b5a' });
  });

  it('refuses a subject the ledger cannot record: a control or format character, a lone surrogate, over 255 characters', async () => {
    const sign = (sub: string) => new SignJWT({ role: 'grant-manager' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(config.issuer).setAudience(config.audience).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(config.jwtSecret));
    // Format characters: a right-to-left override (gm + U+202E + live shows as gmevil), an isolate, a zero-width joiner, a BOM.
    for (const sub of ['ali\u0000ce', 'ali\nce', 'ali\u007fce', 'ali\ud800ce', 'a'.repeat(256), 'gm\u202elive', 'gm\u2067x\u2069', 'ali\u200dce', '\ufeffalice']) {
      await expect(verifier.verify(await sign(sub))).rejects.toMatchObject({ constructor: InvalidTokenError, reason: 'claims' });
    }
    for (const sub of ['a'.repeat(255), 'auth0|5f1c2b', 'Amal Haddad-Nasser', 'عمل']) await expect(verifier.verify(await sign(sub))).resolves.toMatchObject({ id: sub });
  });

  it('reports an expired token as InvalidTokenError with reason expired', async () => {
    const token = await signToken({ id: 'alice', role: 'admin' }, config, '-1s');
    await expect(verifier.verify(token)).rejects.toMatchObject({ constructor: InvalidTokenError, reason: 'expired' });
  });

  it('rejects garbage as InvalidTokenError', async () => {
    await expect(verifier.verify('not.a.token')).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses to sign an unknown role', async () => {
    await expect(signToken({ id: 'x', role: 'wizard' as never }, config)).rejects.toThrow(/Unknown role/);
  });

  it('needs a secret or a JWKS URL', () => {
    expect(() => new TokenVerifier({ issuer: 'i', audience: 'a' })).toThrow();
  });
});

describe('TokenVerifier: token lifetime', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const HOUR = 3600;
  const sign = (claims: { iat?: number; exp?: number }, secret = config.jwtSecret!) => {
    const jwt = new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer(config.issuer).setAudience(config.audience);
    if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
    if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
    return jwt.sign(new TextEncoder().encode(secret));
  };
  const verifier = new TokenVerifier(config);

  it('accepts a token living exactly the longest lifetime (24 h by default)', async () => {
    expect(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS).toBe(24 * HOUR);
    const iat = now();
    await expect(verifier.verify(await sign({ iat, exp: iat + 24 * HOUR }))).resolves.toEqual({ id: 'alice', role: 'admin' });
  });

  it('refuses a token whose exp - iat exceeds the longest lifetime, even when issued long ago', async () => {
    const iat = now();
    await expect(verifier.verify(await sign({ iat, exp: iat + 24 * HOUR + 1 }))).rejects.toMatchObject({ constructor: InvalidTokenError, reason: 'claims' });
    // A 100-year token issued 10 years ago is still a 100-year token.
    const tenYearsAgo = iat - 10 * 365 * 24 * HOUR;
    await expect(verifier.verify(await sign({ iat: tenYearsAgo, exp: tenYearsAgo + 100 * 365 * 24 * HOUR }))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses a token without exp', async () => {
    await expect(verifier.verify(await sign({ iat: now() }))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('without iat, judges the time left: at most the longest lifetime (plus skew) from now', async () => {
    await expect(verifier.verify(await sign({ exp: now() + HOUR }))).resolves.toMatchObject({ id: 'alice' });
    await expect(verifier.verify(await sign({ exp: now() + 25 * HOUR }))).rejects.toMatchObject({ reason: 'claims' });
  });

  it('refuses an iat in the future beyond the clock skew, and tolerates one within it', async () => {
    expect(DEFAULT_CLOCK_SKEW_SECONDS).toBe(60);
    const tenYears = now() + 10 * 365 * 24 * HOUR;
    await expect(verifier.verify(await sign({ iat: tenYears, exp: tenYears + HOUR }))).rejects.toMatchObject({ constructor: InvalidTokenError, reason: 'claims' });
    const inTwoMinutes = now() + 120;
    await expect(verifier.verify(await sign({ iat: inTwoMinutes, exp: inTwoMinutes + HOUR }))).rejects.toMatchObject({ reason: 'claims' });
    const inThirtySeconds = now() + 30;
    await expect(verifier.verify(await sign({ iat: inThirtySeconds, exp: inThirtySeconds + HOUR }))).resolves.toMatchObject({ id: 'alice' });
  });

  it('judges nbf with the clock skew too (an identity provider whose clock runs ahead), never exp', async () => {
    const notBefore = (nbf: number, secret = config.jwtSecret!) =>
      new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer(config.issuer).setAudience(config.audience).setNotBefore(nbf).setExpirationTime(nbf + HOUR).sign(new TextEncoder().encode(secret));
    await expect(verifier.verify(await notBefore(now() + 30))).resolves.toMatchObject({ id: 'alice' });
    await expect(verifier.verify(await notBefore(now() + 120))).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifier.verify(await sign({ iat: now() - HOUR, exp: now() - 10 }))).rejects.toMatchObject({ constructor: InvalidTokenError, reason: 'expired' });
    await expect(verifier.verify(await sign({ iat: now() - HOUR, exp: now() - 120 }))).rejects.toMatchObject({ reason: 'expired' });
    const strict = new TokenVerifier({ ...config, clockSkewSeconds: 0 });
    await expect(strict.verify(await notBefore(now() + 30))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('takes the longest lifetime and the skew from the configuration', async () => {
    const strict = new TokenVerifier({ ...config, maxTokenLifetimeSeconds: 15 * 60, clockSkewSeconds: 0 });
    const iat = now();
    await expect(strict.verify(await sign({ iat, exp: iat + 15 * 60 }))).resolves.toMatchObject({ id: 'alice' });
    await expect(strict.verify(await sign({ iat, exp: iat + HOUR }))).rejects.toMatchObject({ reason: 'claims' });
    await expect(strict.verify(await sign({ iat: iat + 5, exp: iat + 60 }))).rejects.toMatchObject({ reason: 'claims' });
  });

  it('refuses an 8-day token printed by the token script', async () => {
    await expect(verifier.verify(await signToken({ id: 'alice', role: 'admin' }, config, '8d'))).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('authConfigFromEnv', () => {
  it('falls back to the local development defaults', () => {
    expect(authConfigFromEnv({})).toEqual({
      jwtSecret: DEFAULT_DEV_JWT_SECRET,
      jwksUrl: undefined,
      issuer: DEFAULT_JWT_ISSUER,
      audience: DEFAULT_JWT_AUDIENCE,
      maxTokenLifetimeSeconds: 24 * 60 * 60,
      clockSkewSeconds: 60,
    });
  });

  it('reads the longest token lifetime and the clock skew', () => {
    expect(authConfigFromEnv({ JWT_MAX_LIFETIME_SECONDS: '3600', JWT_CLOCK_SKEW_SECONDS: '5' })).toMatchObject({ maxTokenLifetimeSeconds: 3600, clockSkewSeconds: 5 });
    expect(() => authConfigFromEnv({ JWT_MAX_LIFETIME_SECONDS: '24h' })).toThrow(/JWT_MAX_LIFETIME_SECONDS/);
  });

  it('uses no shared secret when a JWKS URL is configured', () => {
    expect(authConfigFromEnv({ JWT_JWKS_URL: 'https://idp.example/jwks' }).jwtSecret).toBeUndefined();
  });

  it('refuses the development secret in production', () => {
    expect(() => authConfigFromEnv({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
  });
});

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

describe('TokenVerifier with a remote JWKS', () => {
  let server: Server;
  let jwksUrl: string;
  const jwks: { keys: JWK[] } = { keys: [] };
  let rsaPrivateKey: PrivateKey;
  let ecPrivateKey: PrivateKey;

  beforeAll(async () => {
    const rsa = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    rsaPrivateKey = rsa.privateKey;
    ecPrivateKey = ec.privateKey;
    jwks.keys.push({ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' });
    jwks.keys.push({ ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' });
    server = createServer((_request, response) => {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  const sign = (claims: Record<string, unknown>, alg: 'RS256' | 'ES256', kid: string, key: PrivateKey) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid })
      .setSubject('rita')
      .setIssuer('https://idp.example')
      .setAudience('grant-ledger-api')
      .setExpirationTime('5m')
      .sign(key);

  const jwksConfig = (): AuthConfig => ({ jwksUrl, issuer: 'https://idp.example', audience: 'grant-ledger-api' });

  it('verifies an RS256 token signed by a key in the set', async () => {
    const token = await sign({ role: 'reviewer' }, 'RS256', 'rsa-1', rsaPrivateKey);
    await expect(new TokenVerifier(jwksConfig()).verify(token)).resolves.toEqual({ id: 'rita', role: 'reviewer' });
  });

  it('verifies an ES256 token signed by a key in the set', async () => {
    const token = await sign({ role: 'reviewer' }, 'ES256', 'ec-1', ecPrivateKey);
    await expect(new TokenVerifier(jwksConfig()).verify(token)).resolves.toEqual({ id: 'rita', role: 'reviewer' });
  });

  it('rejects a token signed by a key outside the set', async () => {
    const stranger = await generateKeyPair('RS256');
    const token = await sign({ role: 'admin' }, 'RS256', 'rsa-1', stranger.privateKey);
    await expect(new TokenVerifier(jwksConfig()).verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('tells a key set it cannot have (an outage: KeySetUnavailableError) from a token no key of the set matches (401)', async () => {
    let mode = 'ok';
    const flaky = createServer((request, response) => {
      if (mode === 'drop') return request.socket.destroy();
      if (mode === '500') return void response.writeHead(500).end('Internal Server Error');
      response.setHeader('Content-Type', mode === 'html' ? 'text/html' : 'application/json');
      if (mode === 'html') return void response.end('<html>maintenance</html>');
      if (mode === 'not-json') return void response.end('{not json');
      if (mode === 'not-a-set') return void response.end('{"keys": 3}');
      response.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/jwks.json`;
    try {
      const token = await sign({ role: 'reviewer' }, 'RS256', 'rsa-1', rsaPrivateKey);
      for (const broken of ['500', 'html', 'not-json', 'not-a-set', 'drop']) {
        mode = broken;
        await expect(new TokenVerifier({ ...jwksConfig(), jwksUrl: url }).verify(token)).rejects.toBeInstanceOf(KeySetUnavailableError);
      }
      // Nothing listens any more on a port that was closed: refused.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      await expect(new TokenVerifier({ ...jwksConfig(), jwksUrl: closedUrl }).verify(token)).rejects.toBeInstanceOf(KeySetUnavailableError);
      // A set that was had, and a kid it does not hold: the token's fault.
      mode = 'ok';
      const verifier = new TokenVerifier({ ...jwksConfig(), jwksUrl: url });
      await expect(verifier.verify(token)).resolves.toEqual({ id: 'rita', role: 'reviewer' });
      await expect(verifier.verify(await sign({ role: 'reviewer' }, 'RS256', 'rsa-unknown', rsaPrivateKey))).rejects.toBeInstanceOf(InvalidTokenError);
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });

  it('rejects an HS256 token when a JWKS is configured', async () => {
    const token = await signToken({ id: 'mallory', role: 'admin' }, { ...config, issuer: 'https://idp.example' });
    await expect(new TokenVerifier(jwksConfig()).verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
