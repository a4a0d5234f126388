import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { type AuthConfig, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from './auth.config';
import { isRole, type Actor } from './roles';

export type InvalidTokenReason = 'expired' | 'invalid' | 'claims';

/** The token cannot be trusted (bad signature, expired, wrong issuer/audience, bad claims): HTTP 401. */
export class InvalidTokenError extends Error {
  constructor(
    readonly reason: InvalidTokenReason,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

type VerificationKey =
  | { kind: 'secret'; secret: Uint8Array; algorithms: string[] }
  | { kind: 'jwks'; jwks: ReturnType<typeof createRemoteJWKSet>; algorithms: string[] };

/**
 * Turns a bearer token into an Actor. HS256 with a shared secret, or RS256/ES256 against
 * a remote JWKS when jwksUrl is set. Claims: sub = actor id, role ∈ ROLES, org = the
 * applicant's organisation (required for applicants).
 *
 * Lifetime: `exp` is required and a token may live at most maxTokenLifetimeSeconds (exp − iat, or
 * exp − now without iat), so a leaked long-lived token cannot outlast the policy; an `iat` beyond
 * the clock skew in the future is refused (a token minted ahead to stay valid for years).
 */
export class TokenVerifier {
  private readonly key: VerificationKey;

  constructor(private readonly config: AuthConfig) {
    if (config.jwksUrl) {
      this.key = { kind: 'jwks', jwks: createRemoteJWKSet(new URL(config.jwksUrl)), algorithms: ['RS256', 'ES256'] };
    } else if (config.jwtSecret) {
      this.key = { kind: 'secret', secret: new TextEncoder().encode(config.jwtSecret), algorithms: ['HS256'] };
    } else {
      throw new Error('AuthConfig needs a jwtSecret or a jwksUrl');
    }
  }

  /** Throws InvalidTokenError for any untrustworthy token; other errors (e.g. JWKS unreachable) pass through. */
  async verify(token: string): Promise<Actor> {
    const options = {
      issuer: this.config.issuer,
      audience: this.config.audience,
      algorithms: this.key.algorithms,
      requiredClaims: ['exp', 'sub'],
    };
    let payload: JWTPayload;
    try {
      payload =
        this.key.kind === 'jwks'
          ? (await jwtVerify(token, this.key.jwks, options)).payload
          : (await jwtVerify(token, this.key.secret, options)).payload;
    } catch (error) {
      throw toInvalidToken(error);
    }
    this.checkLifetime(payload);
    return actorFromClaims(payload);
  }

  private checkLifetime({ iat, exp }: JWTPayload): void {
    const maxLifetime = this.config.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    const skew = this.config.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
    const now = Math.floor(Date.now() / 1000);
    // jose has checked that exp is present, a number and not past, and that iat is a number when present.
    const expiresAt = exp as number;
    if (iat !== undefined && iat > now + skew) throw new InvalidTokenError('claims', 'The token is issued in the future');
    const lifetime = expiresAt - (iat ?? now);
    if (lifetime > maxLifetime || expiresAt - now > maxLifetime + skew) {
      throw new InvalidTokenError('claims', `The token lives longer than the ${maxLifetime} s allowed`);
    }
  }
}

function toInvalidToken(error: unknown): unknown {
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('expired', 'The token has expired');
  // The key set could not be fetched: a server-side problem, not the caller's token.
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return error;
  if (error instanceof errors.JOSEError) return new InvalidTokenError('invalid', 'The token is not valid');
  return error;
}

/** Organisation ids are UUIDs (any version); compared and stored lower-case. */
const ORGANISATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The longest subject recorded (an actor id in every event's metadata and in idempotency scopes). */
export const MAX_SUBJECT_LENGTH = 255;

/**
 * A subject the ledger can record as it is: not empty, at most MAX_SUBJECT_LENGTH characters, well
 * formed (no lone surrogate) and with no control or format character (U+0000 cannot be stored in
 * PostgreSQL's jsonb or text, and the others have no place in an identifier: a right-to-left
 * override, U+202E, in `gm` + U+202E + `live` showed the actor of events as `gmevil`).
 */
function isRecordableSubject(sub: unknown): sub is string {
  return typeof sub === 'string' && sub.length > 0 && sub.length <= MAX_SUBJECT_LENGTH && !LONE_SURROGATE.test(sub) && !/[\u0000-\u001f\u007f-\u009f]|\p{Cf}/u.test(sub);
}

/** A UTF-16 surrogate without its pair (String.prototype.isWellFormed, not in this TypeScript lib). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The actor a verified token names. Its claims are the identity provider's, but the ledger refuses
 * what it could not record or compare: a subject with control characters, or an organisation that
 * is not a UUID (which failed later as a 500 in a query, or matched nothing in one list and something
 * in another when upper-case), as an invalid token (401), before any route runs.
 */
function actorFromClaims(payload: JWTPayload): Actor {
  const { sub, role, org } = payload;
  if (typeof sub !== 'string' || sub === '') throw new InvalidTokenError('claims', 'The token has no subject');
  if (!isRecordableSubject(sub)) throw new InvalidTokenError('claims', 'The token has a malformed subject');
  if (!isRole(role)) throw new InvalidTokenError('claims', 'The token has no known role');
  if (org !== undefined && (typeof org !== 'string' || !ORGANISATION_ID.test(org))) {
    throw new InvalidTokenError('claims', 'The token has a malformed organisation');
  }
  if (role === 'applicant' && org === undefined) {
    throw new InvalidTokenError('claims', 'An applicant token must name its organisation');
  }
  return org === undefined ? { id: sub, role } : { id: sub, role, organisationId: org.toLowerCase() };
}
