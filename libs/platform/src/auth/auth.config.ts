/** How bearer tokens are verified (and, for local use, signed). */
export interface AuthConfig {
  /** HS256 shared secret. Used when no jwksUrl is set. */
  jwtSecret?: string;
  /** A JWKS endpoint; when set, tokens must be RS256 or ES256 signed by one of its keys. */
  jwksUrl?: string;
  issuer: string;
  audience: string;
}

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/** For local development and tests only; production must set JWT_SECRET or JWT_JWKS_URL. */
export const DEFAULT_DEV_JWT_SECRET = 'grant-ledger-local-dev-secret-change-me';
export const DEFAULT_JWT_ISSUER = 'grant-ledger';
export const DEFAULT_JWT_AUDIENCE = 'grant-ledger-api';

/**
 * Reads JWT_SECRET, JWT_JWKS_URL, JWT_ISSUER and JWT_AUDIENCE. Shared by the server and
 * scripts/token.ts so a locally printed token is accepted by a locally started server.
 * Refuses to fall back to the development secret when NODE_ENV is 'production'.
 */
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const jwksUrl = nonEmpty(env.JWT_JWKS_URL);
  const secret = nonEmpty(env.JWT_SECRET);
  if (!secret && !jwksUrl && env.NODE_ENV === 'production') {
    throw new Error('JWT_SECRET or JWT_JWKS_URL must be set in production');
  }
  return {
    jwtSecret: secret ?? (jwksUrl ? undefined : DEFAULT_DEV_JWT_SECRET),
    jwksUrl,
    issuer: nonEmpty(env.JWT_ISSUER) ?? DEFAULT_JWT_ISSUER,
    audience: nonEmpty(env.JWT_AUDIENCE) ?? DEFAULT_JWT_AUDIENCE,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== '' ? value : undefined;
}
