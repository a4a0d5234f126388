import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
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

/**
 * The identity provider's key set could not be had — its URL refused, timed out, dropped the
 * connection, or answered something other than a key set (a 500, HTML, invalid JSON) — so no token
 * can be checked: an outage of a service the request needs (HTTP 503 with Retry-After), not the
 * caller's fault (not a 401, and not counted against the caller's address as a failed sign-in).
 */
export class KeySetUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The identity provider\'s key set is unavailable', { cause });
    this.name = new.target.name;
  }
}

type VerificationKey = { kind: 'secret'; secret: Uint8Array; algorithms: string[] } | { kind: 'jwks'; jwks: JWTVerifyGetKey; algorithms: string[] };

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
      this.key = { kind: 'jwks', jwks: keySetOrOutage(createRemoteJWKSet(new URL(config.jwksUrl))), algorithms: ['RS256', 'ES256'] };
    } else if (config.jwtSecret) {
      this.key = { kind: 'secret', secret: new TextEncoder().encode(config.jwtSecret), algorithms: ['HS256'] };
    } else {
      throw new Error('AuthConfig needs a jwtSecret or a jwksUrl');
    }
  }

  /** Throws InvalidTokenError for any untrustworthy token, KeySetUnavailableError when the key set cannot be had; other errors pass through. */
  async verify(token: string): Promise<Actor> {
    const options = {
      issuer: this.config.issuer,
      audience: this.config.audience,
      algorithms: this.key.algorithms,
      requiredClaims: ['exp', 'sub'],
      // Clocks disagree by this much at most: a token from an identity provider whose clock runs
      // ahead is valid here from its `nbf` less the skew, as an `iat` ahead is (checkLifetime).
      // jose applies the tolerance to `exp` as well; checkLifetime holds `exp` to the second.
      clockTolerance: this.config.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
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
    // jose has checked that exp is present and a number (and not past by more than the skew), and that iat is a number when present.
    const expiresAt = exp as number;
    // Expiry is not softened by the skew: a token stops at its `exp` (the verified-token cache and a
    // feed stream's end go by it), and a clock behind only shortens what the provider granted.
    if (expiresAt <= now) throw new InvalidTokenError('expired', 'The token has expired');
    if (iat !== undefined && iat > now + skew) throw new InvalidTokenError('claims', 'The token is issued in the future');
    const lifetime = expiresAt - (iat ?? now);
    if (lifetime > maxLifetime || expiresAt - now > maxLifetime + skew) {
      throw new InvalidTokenError('claims', `The token lives longer than the ${maxLifetime} s allowed`);
    }
  }
}

function toInvalidToken(error: unknown): unknown {
  if (error instanceof KeySetUnavailableError) return error;
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('expired', 'The token has expired');
  if (error instanceof errors.JOSEError) return new InvalidTokenError('invalid', 'The token is not valid');
  return error;
}

/**
 * The remote key set, with its failures told apart: a token whose `kid` or algorithm matches no key
 * of a set that was had is the token's fault (jose's JWKSNoMatchingKey, JWKSMultipleMatchingKeys,
 * JOSENotSupported: 401); anything else on the way to the set (a timeout, a refused or dropped
 * connection, `fetch failed`, a non-200 answer, a body that is not a key set) is the key set's
 * (KeySetUnavailableError: 503). jose reports a non-200 answer and unparseable JSON as a plain
 * JOSEError, which read as an invalid token (401) and counted against the caller until 2026-12-07.
 */
function keySetOrOutage(jwks: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys || error instanceof errors.JOSENotSupported) throw error;
      throw new KeySetUnavailableError(error);
    }
  };
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
