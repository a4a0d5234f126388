import { SignJWT } from 'jose';
import type { AuthConfig } from './auth.config';
import { isRole, ROLES, type Actor } from './roles';

/**
 * Signs an HS256 token for an actor: used by scripts/token.ts for local use and by tests.
 * ttl is a jose duration relative to now ('8h', '15m'; '-1m' gives an already expired token).
 */
export async function signToken(
  actor: Actor,
  config: Pick<AuthConfig, 'jwtSecret' | 'issuer' | 'audience'>,
  ttl: string = '1h',
): Promise<string> {
  if (!config.jwtSecret) throw new Error('signToken needs a jwtSecret');
  if (!isRole(actor.role)) throw new Error(`Unknown role "${String(actor.role)}"; expected one of: ${ROLES.join(', ')}`);
  const claims: Record<string, string> = { role: actor.role };
  if (actor.organisationId !== undefined) claims.org = actor.organisationId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(actor.id)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(config.jwtSecret));
}
