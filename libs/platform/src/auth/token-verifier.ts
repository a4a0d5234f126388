import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthConfig } from './auth.config';
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
    return actorFromClaims(payload);
  }
}

function toInvalidToken(error: unknown): unknown {
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('expired', 'The token has expired');
  // The key set could not be fetched: a server-side problem, not the caller's token.
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return error;
  if (error instanceof errors.JOSEError) return new InvalidTokenError('invalid', 'The token is not valid');
  return error;
}

function actorFromClaims(payload: JWTPayload): Actor {
  const { sub, role, org } = payload;
  if (typeof sub !== 'string' || sub === '') throw new InvalidTokenError('claims', 'The token has no subject');
  if (!isRole(role)) throw new InvalidTokenError('claims', 'The token has no known role');
  if (org !== undefined && (typeof org !== 'string' || org === '')) {
    throw new InvalidTokenError('claims', 'The token has a malformed organisation');
  }
  if (role === 'applicant' && org === undefined) {
    throw new InvalidTokenError('claims', 'An applicant token must name its organisation');
  }
  return org === undefined ? { id: sub, role } : { id: sub, role, organisationId: org };
}
