import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { authConfigFromEnv, DEFAULT_DEV_JWT_SECRET, DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER, type AuthConfig } from './auth.config';
import { signToken } from './sign-token';
import { InvalidTokenError, TokenVerifier } from './token-verifier';

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

describe('authConfigFromEnv', () => {
  it('falls back to the local development defaults', () => {
    expect(authConfigFromEnv({})).toEqual({
      jwtSecret: DEFAULT_DEV_JWT_SECRET,
      jwksUrl: undefined,
      issuer: DEFAULT_JWT_ISSUER,
      audience: DEFAULT_JWT_AUDIENCE,
    });
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

  it('rejects an HS256 token when a JWKS is configured', async () => {
    const token = await signToken({ id: 'mallory', role: 'admin' }, { ...config, issuer: 'https://idp.example' });
    await expect(new TokenVerifier(jwksConfig()).verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });
});
