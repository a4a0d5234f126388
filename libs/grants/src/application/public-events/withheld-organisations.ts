import { createHmac } from 'node:crypto';
import type { PublicMappingContext, PublicOrganisation } from './public-events';

/** What a withheld organisation is called in every public payload and export. */
export const WITHHELD_ORGANISATION_NAME = 'Withheld recipient';

/**
 * A stable pseudonym for an organisation: HMAC-SHA256 of its id under a server secret, so the same
 * organisation gets the same public id everywhere (feed, webhooks, 360Giving) while nobody without
 * the secret can map it back or confirm a guess (internal ids are not secret, so a plain hash would
 * be reversible by trying them).
 */
export function organisationPseudonym(organisationId: string, secret: string): string {
  return createHmac('sha256', secret).update(`organisation:${organisationId}`).digest('hex').slice(0, 32);
}

/**
 * Every organisation is withheld: the organisation stream records no consent to publication yet,
 * and many grantees (unregistered groups, minority and LGBTQI+ rights groups) are at risk if named.
 * When consent is recorded, this context takes the consenting organisations' public names per batch.
 */
export function withheldOrganisationsContext(secret: string): PublicMappingContext {
  const cache = new Map<string, PublicOrganisation>();
  return {
    organisation(organisationId) {
      let known = cache.get(organisationId);
      if (!known) {
        known = { id: `withheld-${organisationPseudonym(organisationId, secret)}`, name: WITHHELD_ORGANISATION_NAME, withheld: true };
        cache.set(organisationId, known);
      }
      return known;
    },
  };
}

/** FOR LOCAL DEVELOPMENT AND TESTS ONLY — NOT A SECRET. Used when PUBLIC_PSEUDONYM_SECRET is unset outside production. */
export const DEV_ONLY_PSEUDONYM_SECRET = 'grant-ledger-DEV-ONLY-public-pseudonyms';

/**
 * PUBLIC_PSEUDONYM_SECRET: at least 32 characters (e.g. `openssl rand -base64 32`). Changing it
 * changes every withheld organisation's public id. Refuses to start in production without one.
 */
export function pseudonymSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.PUBLIC_PSEUDONYM_SECRET?.trim();
  if (!value) {
    if (env.NODE_ENV === 'production') throw new Error('PUBLIC_PSEUDONYM_SECRET must be set in production (at least 32 random characters)');
    return DEV_ONLY_PSEUDONYM_SECRET;
  }
  // The error never quotes the value: it is a secret.
  if (value.length < 32) throw new Error('PUBLIC_PSEUDONYM_SECRET must be at least 32 characters long');
  return value;
}
