import { createHmac } from 'node:crypto';
import type { PublicationConsent } from '@app/domain/organisation';
import type { PublicMappingContext, PublicOrganisation } from './public-events';

/** What a withheld organisation is called in every public payload and export. */
export const WITHHELD_ORGANISATION_NAME = 'Withheld recipient';

/**
 * An organisation's pseudonym: HMAC-SHA256 of its id under a server secret, so the same organisation
 * gets the same public id everywhere (feed, webhooks, 360Giving) while nobody without the secret can
 * map it back or confirm a guess (internal ids are not secret, so a plain hash would be reversible by
 * trying them). `epoch` counts the organisation's withdrawals of consent before the grant shown was
 * awarded: 0 (never withdrawn, the pseudonym it always had) or, after its n-th withdrawal, a new one
 * for the grants awarded from then on, which nobody has seen beside its name (see
 * publicOrganisationsContext).
 */
export function organisationPseudonym(organisationId: string, secret: string, epoch = 0): string {
  const name = epoch === 0 ? `organisation:${organisationId}` : `organisation:${organisationId}:withdrawn:${epoch}`;
  return createHmac('sha256', secret).update(name).digest('hex').slice(0, 32);
}

/** What the public mapping knows of an organisation from the organisations read model. */
export interface KnownOrganisation {
  id: string;
  name: string;
  publicationConsent: PublicationConsent;
  /** When it withdrew consent (from public back to withheld), oldest first: the organisation's own clock (the event's `updatedAt`). */
  consentWithdrawals?: readonly string[];
}

/** The withdrawals made at or before `at` (the grant's award); all of them without `at`. */
function epochAt(withdrawals: readonly string[], at: string | undefined): number {
  if (at === undefined) return withdrawals.length;
  const instant = Date.parse(at);
  return withdrawals.filter((withdrawn) => Date.parse(withdrawn) <= instant).length;
}

/**
 * How organisations appear in public payloads: with their real id and name when they chose to be
 * public ('public' publication consent), otherwise (the default, and for any organisation the read
 * model does not know yet) as "Withheld recipient" under a stable pseudonym. Many grantees
 * (unregistered groups, minority and LGBTQI+ rights groups) are at risk if named.
 *
 * Consent is read when a payload is built (feed page, SSE message, each webhook attempt, export),
 * not when the event happened: a later change of mind changes later payloads, but what partners
 * already received (a delivered webhook, a feed page they stored) cannot be recalled.
 *
 * A withdrawal of consent starts a new pseudonym for the grants awarded after it (`at`: the grant's
 * award): a partner that saw the organisation's name beside its old pseudonym (the same grant read
 * while it was public, and after) recognises the old one, never the new one, so later awards do not
 * point back to the organisation. Until 2026-12-07 the pseudonym never changed, and every later award
 * to an organisation that had once been public was recognisable by whoever had seen it then.
 */
export function publicOrganisationsContext(secret: string, known: Iterable<KnownOrganisation> = []): PublicMappingContext {
  const consenting = new Map<string, PublicOrganisation>();
  const withdrawals = new Map<string, readonly string[]>();
  for (const organisation of known) {
    if (organisation.publicationConsent === 'public') {
      consenting.set(organisation.id, { id: organisation.id, name: organisation.name, withheld: false });
    }
    if (organisation.consentWithdrawals?.length) withdrawals.set(organisation.id, organisation.consentWithdrawals);
  }
  const withheld = new Map<string, PublicOrganisation>();
  return {
    organisation(organisationId, at) {
      const published = consenting.get(organisationId);
      if (published) return published;
      const epoch = epochAt(withdrawals.get(organisationId) ?? [], at);
      const key = `${organisationId}:${epoch}`;
      let pseudonymous = withheld.get(key);
      if (!pseudonymous) {
        pseudonymous = { id: `withheld-${organisationPseudonym(organisationId, secret, epoch)}`, name: WITHHELD_ORGANISATION_NAME, withheld: true };
        withheld.set(key, pseudonymous);
      }
      return pseudonymous;
    },
  };
}

/** An organisation as a public payload shows it: `{ id, name, withheld }`, nothing else. */
export function isPublicOrganisation(value: unknown): value is PublicOrganisation {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const { id, name, withheld, ...rest } = value as Record<string, unknown>;
  return typeof id === 'string' && typeof name === 'string' && typeof withheld === 'boolean' && Object.keys(rest).length === 0;
}

/** A copy of a public payload with every organisation in it replaced by `show(organisation)`. */
export function replacePublicOrganisations(value: unknown, show: (organisation: PublicOrganisation) => PublicOrganisation): unknown {
  if (isPublicOrganisation(value)) return show(value);
  if (Array.isArray(value)) return value.map((item) => replacePublicOrganisations(item, show));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, nested]) => [key, replacePublicOrganisations(nested, show)]));
  }
  return value;
}

/** Every organisation withheld, whatever it chose: for callers that know no consent (tests, fallbacks). */
export function withheldOrganisationsContext(secret: string): PublicMappingContext {
  return publicOrganisationsContext(secret);
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
