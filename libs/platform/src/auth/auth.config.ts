import {
  type ConfigurationProblem,
  ConfigurationError,
  estimatedSecretBits,
  isDevelopmentOrTest,
  nonEmpty,
  STRONG_SECRET_BITS,
} from '../config/environment';

/** How bearer tokens are verified (and, for local use, signed). */
export interface AuthConfig {
  /** HS256 shared secret. Used when no jwksUrl is set. */
  jwtSecret?: string;
  /** A JWKS endpoint; when set, tokens must be RS256 or ES256 signed by one of its keys. */
  jwksUrl?: string;
  issuer: string;
  audience: string;
  /** The longest lifetime (exp − iat) a token may have; longer ones are refused. Default 24 h. */
  maxTokenLifetimeSeconds?: number;
  /** How far clocks may disagree: an `iat` further in the future is refused. Default 60 s. */
  clockSkewSeconds?: number;
}

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/** For local development and tests only; production must set JWT_SECRET or JWT_JWKS_URL. */
export const DEFAULT_DEV_JWT_SECRET = 'grant-ledger-local-dev-secret-change-me';
export const DEFAULT_JWT_ISSUER = 'grant-ledger';
export const DEFAULT_JWT_AUDIENCE = 'grant-ledger-api';
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

/**
 * JWT secrets anyone can read in this repository (the development default, the compose file's
 * placeholder): production refuses them whatever their strength.
 */
export const PUBLICLY_KNOWN_JWT_SECRETS: readonly string[] = [DEFAULT_DEV_JWT_SECRET, 'local-compose-only-jwt-secret-change-me'];

/**
 * Reads JWT_SECRET, JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE, JWT_MAX_LIFETIME_SECONDS and
 * JWT_CLOCK_SKEW_SECONDS. Shared by the server and scripts/token.ts so a locally printed token is
 * accepted by a locally started server.
 *
 * Unless NODE_ENV is exactly `development` or `test`, refuses (ConfigurationError naming the
 * variable) a missing secret, a publicly known one, an HS256 secret of less than 32 random bytes,
 * and a JWKS URL that is not https.
 */
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const production = !isDevelopmentOrTest(env);
  const problems: ConfigurationProblem[] = [];
  const jwksUrl = nonEmpty(env.JWT_JWKS_URL);
  const secret = nonEmpty(env.JWT_SECRET);

  if (jwksUrl) {
    let url: URL | undefined;
    try {
      url = new URL(jwksUrl);
    } catch {
      problems.push({ variable: 'JWT_JWKS_URL', problem: 'is not an absolute URL' });
    }
    if (url && production && url.protocol !== 'https:') {
      problems.push({ variable: 'JWT_JWKS_URL', problem: 'must be an https URL in production (keys fetched over http can be replaced on the way)' });
    }
  } else if (production) {
    // The error never quotes the value: it is a secret.
    if (!secret) {
      problems.push({ variable: 'JWT_SECRET', problem: 'must be set in production (or JWT_JWKS_URL): e.g. `openssl rand -base64 32`' });
    } else if (PUBLICLY_KNOWN_JWT_SECRETS.includes(secret)) {
      problems.push({ variable: 'JWT_SECRET', problem: 'is a development default published in this repository; set a secret of your own' });
    } else if (estimatedSecretBits(secret) < STRONG_SECRET_BITS) {
      problems.push({ variable: 'JWT_SECRET', problem: 'is too weak: an HS256 secret needs at least 32 random bytes, e.g. `openssl rand -base64 32`' });
    }
  }

  const maxTokenLifetimeSeconds = seconds(env, 'JWT_MAX_LIFETIME_SECONDS', DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, 1, problems);
  const clockSkewSeconds = seconds(env, 'JWT_CLOCK_SKEW_SECONDS', DEFAULT_CLOCK_SKEW_SECONDS, 0, problems);
  if (problems.length) throw new ConfigurationError(problems, production);

  return {
    jwtSecret: jwksUrl ? undefined : (secret ?? DEFAULT_DEV_JWT_SECRET),
    jwksUrl,
    issuer: nonEmpty(env.JWT_ISSUER) ?? DEFAULT_JWT_ISSUER,
    audience: nonEmpty(env.JWT_AUDIENCE) ?? DEFAULT_JWT_AUDIENCE,
    maxTokenLifetimeSeconds,
    clockSkewSeconds,
  };
}

function seconds(env: NodeJS.ProcessEnv, variable: string, fallback: number, min: number, problems: ConfigurationProblem[]): number {
  const value = nonEmpty(env[variable]);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    problems.push({ variable, problem: `must be a whole number of seconds >= ${min}` });
    return fallback;
  }
  return parsed;
}
