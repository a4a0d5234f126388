import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditSigningKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { DEV_ONLY_PSEUDONYM_SECRET } from '@app/application/public-events/withheld-organisations';
import { authConfigFromEnv, DEFAULT_DEV_JWT_SECRET } from '../auth/auth.config';
import { auditKeyId, ConfigurationError, DEV_ONLY_PII_MASTER_KEY, loadConfig, PUBLICLY_KNOWN_SECRETS, publicUrl } from './app-config';
import { estimatedSecretBits, isDevelopmentOrTest } from './environment';

const ed25519Pkcs8 = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');

/** A production environment with every secret strong and of its own. */
function goodProduction(): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('base64'),
    PII_MASTER_KEY: randomBytes(32).toString('base64'),
    AUDIT_SIGNING_KEY: ed25519Pkcs8(),
    PUBLIC_PSEUDONYM_SECRET: randomBytes(32).toString('base64'),
    PUBLIC_BASE_URL: 'https://grants.example.org',
    DATABASE_URL: 'postgres://grant_ledger:secret@db.internal:5432/grant_ledger',
  };
}

/** The variables a refused configuration names (the error lists every problem at once). */
function refusedVariables(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).problems.map((problem) => problem.variable);
  }
  throw new Error('the configuration was accepted');
}

const SECRETS = ['JWT_SECRET', 'PII_MASTER_KEY', 'AUDIT_SIGNING_KEY', 'PUBLIC_PSEUDONYM_SECRET'];

/** The development audit key as audit-signing-key.ts derives it from a public string, set explicitly. */
const DEV_AUDIT_SIGNING_KEY = Buffer.concat([
  Buffer.from('302e020100300506032b657004220420', 'hex'),
  createHash('sha256').update('grant-ledger-DEV-ONLY-audit-signing-key', 'utf8').digest(),
]).toString('base64');

describe('configuration schema: which rules apply', () => {
  it('relaxes the rules only when NODE_ENV is exactly development or test', () => {
    expect(isDevelopmentOrTest({ NODE_ENV: 'development' })).toBe(true);
    expect(isDevelopmentOrTest({ NODE_ENV: 'test' })).toBe(true);
    for (const nodeEnv of [undefined, '', 'production', 'Production', 'prod', 'PRODUCTION', 'staging', 'Development', 'dev', ' development']) {
      expect(isDevelopmentOrTest({ NODE_ENV: nodeEnv })).toBe(false);
    }
  });

  it('takes the process NODE_ENV when a partial environment says nothing of it', () => {
    expect(process.env.NODE_ENV).toBe('test'); // Jest's
    expect(isDevelopmentOrTest({ LOG_LEVEL: 'silent' })).toBe(true);
    expect(loadConfig({ LOG_LEVEL: 'silent' }).piiMasterKey).toBe(DEV_ONLY_PII_MASTER_KEY);
  });

  it('starts with development defaults for every secret in development and test', () => {
    for (const NODE_ENV of ['development', 'test']) {
      const config = loadConfig({ NODE_ENV });
      expect(config.piiMasterKey).toBe(DEV_ONLY_PII_MASTER_KEY);
      expect(config.publicBaseUrl).toBe('http://localhost:3000');
      expect(authConfigFromEnv({ NODE_ENV }).jwtSecret).toBe(DEFAULT_DEV_JWT_SECRET);
    }
  });
});

describe('configuration schema: production refuses to start on weak or missing secrets', () => {
  it('accepts a production configuration with strong secrets of its own', () => {
    const env = goodProduction();
    const config = loadConfig(env);
    expect(config.piiMasterKey).toBe(env.PII_MASTER_KEY);
    expect(config.publicBaseUrl).toBe('https://grants.example.org');
    expect(authConfigFromEnv(env).jwtSecret).toBe(env.JWT_SECRET);
  });

  it.each(['production', 'Production', 'prod', '', undefined])('with NODE_ENV=%p and no secrets, names every missing one', (nodeEnv) => {
    const refused = refusedVariables({ NODE_ENV: nodeEnv });
    expect(refused).toEqual(expect.arrayContaining([...SECRETS, 'PUBLIC_BASE_URL', 'DATABASE_URL']));
  });

  it('refuses to start the embedded PostgreSQL (no DATABASE_URL) in production: its password is published; development and test may', () => {
    const { DATABASE_URL: _url, ...withoutDatabase } = goodProduction();
    expect(refusedVariables(withoutDatabase)).toEqual(['DATABASE_URL']);
    expect(refusedVariables({ ...withoutDatabase, DATABASE_URL: '  ' })).toEqual(['DATABASE_URL']);
    for (const NODE_ENV of ['development', 'test']) expect(loadConfig({ NODE_ENV }).databaseUrl).toBeUndefined();
  });

  it('refuses the development defaults set explicitly, naming each variable', () => {
    const refused = refusedVariables({
      ...goodProduction(),
      JWT_SECRET: DEFAULT_DEV_JWT_SECRET,
      PII_MASTER_KEY: DEV_ONLY_PII_MASTER_KEY,
      AUDIT_SIGNING_KEY: DEV_AUDIT_SIGNING_KEY,
      PUBLIC_PSEUDONYM_SECRET: DEV_ONLY_PSEUDONYM_SECRET,
    });
    expect(refused.sort()).toEqual([...SECRETS].sort());
    expect(auditSigningKeyFromEnv({ NODE_ENV: 'test', AUDIT_SIGNING_KEY: DEV_AUDIT_SIGNING_KEY }).keyId).toBe(auditSigningKeyFromEnv({ NODE_ENV: 'test' }).keyId);
  });

  it('refuses the development audit key, whose private half is public', () => {
    const devKey = auditSigningKeyFromEnv({ NODE_ENV: 'test' });
    expect(PUBLICLY_KNOWN_SECRETS.AUDIT_KEY_IDS).toContain(devKey.keyId);
    expect(refusedVariables({ ...goodProduction(), AUDIT_SIGNING_KEY: undefined, AUDIT_PUBLIC_KEY: devKey.publicKeyPem, RUN_WORKER: 'false' })).toEqual(['AUDIT_PUBLIC_KEY']);
  });

  it("refuses docker/compose.yml's placeholders, which anyone can read", () => {
    const compose = readFileSync(join(__dirname, '../../../../docker/compose.yml'), 'utf8');
    const placeholders = Object.fromEntries([...compose.matchAll(/^\s+(\w+): \$\{\1:-([^}]+)\}/gm)].map((match) => [match[1], match[2]]));
    const secrets = SECRETS.filter((name) => placeholders[name] !== undefined);
    if (secrets.length === 0) return; // the compose file no longer ships placeholders
    const refused = refusedVariables({ ...goodProduction(), ...Object.fromEntries(secrets.map((name) => [name, placeholders[name]])) });
    expect(refused.sort()).toEqual(secrets.sort());
  });

  it('refuses a weak HS256 secret: under 32 random bytes', () => {
    for (const weak of ['x', 'secret', 'change-me-please-change-me-please', randomBytes(24).toString('base64'), randomBytes(31).toString('hex'), 'a'.repeat(200), 'ab'.repeat(64)]) {
      expect(refusedVariables({ ...goodProduction(), JWT_SECRET: weak })).toEqual(['JWT_SECRET']);
    }
    for (const strong of [randomBytes(32).toString('base64'), randomBytes(32).toString('hex'), randomBytes(32).toString('base64url'), randomBytes(48).toString('base64')]) {
      expect(() => loadConfig({ ...goodProduction(), JWT_SECRET: strong })).not.toThrow();
    }
  });

  it('does not apply the strength rules in development, so tests may use short secrets', () => {
    expect(authConfigFromEnv({ NODE_ENV: 'test', JWT_SECRET: 'x' }).jwtSecret).toBe('x');
  });

  it('refuses master keys that are not exactly 32 random bytes', () => {
    const notRandom = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    for (const bad of [randomBytes(16).toString('base64'), randomBytes(33).toString('base64'), Buffer.alloc(32).toString('base64'), notRandom, 'not base64!']) {
      expect(refusedVariables({ ...goodProduction(), PII_MASTER_KEY: bad })).toEqual(['PII_MASTER_KEY']);
    }
  });

  it('refuses a pseudonym secret under 32 characters, in development too', () => {
    expect(refusedVariables({ ...goodProduction(), PUBLIC_PSEUDONYM_SECRET: 'x'.repeat(31) })).toEqual(['PUBLIC_PSEUDONYM_SECRET']);
    expect(refusedVariables({ NODE_ENV: 'development', PUBLIC_PSEUDONYM_SECRET: 'short' })).toEqual(['PUBLIC_PSEUDONYM_SECRET']);
  });

  it('refuses an audit signing key that is not an Ed25519 private key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    expect(refusedVariables({ ...goodProduction(), AUDIT_SIGNING_KEY: rsa })).toEqual(['AUDIT_SIGNING_KEY']);
    expect(refusedVariables({ ...goodProduction(), AUDIT_SIGNING_KEY: 'not a key' })).toEqual(['AUDIT_SIGNING_KEY']);
  });

  it('lets an API replica that runs no worker hold only the audit public key', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const env = { ...goodProduction(), AUDIT_SIGNING_KEY: undefined, RUN_WORKER: 'false', AUDIT_PUBLIC_KEY: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
    expect(() => loadConfig(env)).not.toThrow();
    expect(refusedVariables({ ...env, RUN_WORKER: 'true' })).toEqual(['AUDIT_SIGNING_KEY']);
    expect(auditKeyId(publicKey)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('accepts a JWKS URL instead of a shared secret, over https only', () => {
    expect(() => loadConfig({ ...goodProduction(), JWT_SECRET: undefined, JWT_JWKS_URL: 'https://idp.example.org/jwks.json' })).not.toThrow();
    expect(refusedVariables({ ...goodProduction(), JWT_SECRET: undefined, JWT_JWKS_URL: 'http://idp.example.org/jwks.json' })).toEqual(['JWT_JWKS_URL']);
  });

  it('never quotes a secret in its message', () => {
    const secret = 'my-weak-but-recognisable-jwt-secret';
    expect(() => loadConfig({ ...goodProduction(), JWT_SECRET: secret })).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
    expect(() => loadConfig({ ...goodProduction(), JWT_SECRET: secret })).toThrow(/JWT_SECRET is too weak/);
  });
});

describe('configuration schema: public URL, CORS, proxies, limits', () => {
  it('needs an https PUBLIC_BASE_URL in production, normalised without a trailing slash', () => {
    expect(refusedVariables({ ...goodProduction(), PUBLIC_BASE_URL: 'http://grants.example.org' })).toEqual(['PUBLIC_BASE_URL']);
    expect(refusedVariables({ ...goodProduction(), PUBLIC_BASE_URL: 'https://grants.example.org/?x=1' })).toEqual(['PUBLIC_BASE_URL']);
    expect(loadConfig({ ...goodProduction(), PUBLIC_BASE_URL: 'https://example.org/grant-ledger/' }).publicBaseUrl).toBe('https://example.org/grant-ledger');
    expect(publicUrl({ publicBaseUrl: 'https://example.org/grant-ledger' }, '/exports/360giving')).toBe('https://example.org/grant-ledger/exports/360giving');
    expect(loadConfig({ NODE_ENV: 'test', PORT: '8080' }).publicBaseUrl).toBe('http://localhost:8080');
  });

  it('allows no CORS origin by default, and exact origins only', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).corsAllowedOrigins).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'test', CORS_ALLOWED_ORIGINS: 'https://app.example.org, http://localhost:5173' }).corsAllowedOrigins).toEqual([
      'https://app.example.org',
      'http://localhost:5173',
    ]);
    for (const bad of ['*', 'https://app.example.org/', 'app.example.org', 'https://*.example.org']) {
      expect(refusedVariables({ NODE_ENV: 'test', CORS_ALLOWED_ORIGINS: bad })).toEqual(['CORS_ALLOWED_ORIGINS']);
    }
  });

  it('trusts no proxy by default, and never every proxy', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).trustProxy).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test', TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ NODE_ENV: 'test', TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(refusedVariables({ NODE_ENV: 'test', TRUST_PROXY: 'true' })).toEqual(['TRUST_PROXY']);
  });

  it('has generous command limits and strict authentication-failure limits by default, configurable', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).throttle).toEqual({
      commandsLimit: 6_000,
      commandsWindowMs: 10_000,
      authFailuresLimit: 100,
      authFailuresWindowMs: 60_000,
      authFailuresBlockMs: 300_000,
    });
    expect(loadConfig({ NODE_ENV: 'test', THROTTLE_COMMANDS_LIMIT: '10', THROTTLE_AUTH_FAILURES_LIMIT: '0' }).throttle).toMatchObject({ commandsLimit: 10, authFailuresLimit: 0 });
    expect(refusedVariables({ NODE_ENV: 'test', THROTTLE_COMMANDS_WINDOW_MS: '0' })).toEqual(['THROTTLE_COMMANDS_WINDOW_MS']);
  });
});

describe('estimatedSecretBits', () => {
  it('counts 4 bits per hex digit and about 6 per base64 character; repetition counts as nothing', () => {
    expect(estimatedSecretBits(randomBytes(32).toString('hex'))).toBe(256);
    expect(estimatedSecretBits(randomBytes(32).toString('base64'))).toBeGreaterThanOrEqual(256);
    expect(estimatedSecretBits(randomBytes(16).toString('base64'))).toBeLessThan(256);
    expect(estimatedSecretBits('abababababababababababababababababababab')).toBe(0);
  });
});
