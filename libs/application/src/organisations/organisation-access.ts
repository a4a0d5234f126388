import { ForbiddenException } from '@nestjs/common';
import { UUID_PATTERN } from '@app/platform/ids';
import type { ListedOrganisation, OrganisationNameScope } from '@app/read-models/lists/list-search';
import { WITHHELD_ORGANISATION_NAME } from '../public-events/withheld-organisations';

/**
 * Who may register, change and see organisations. Role rules of the programme, not business rules
 * of the organisation, so they live here, next to its commands, in the style of
 * proposals/proposal-access.ts:
 * - admins and grant managers register any organisation and change any; they alone set member users;
 * - an applicant registers the organisation its token names (becoming its only member), changes
 *   only that one and sees only that one; another organisation is "not found" to them;
 * - auditors see every organisation and change none (the routes refuse them).
 */
export interface OrganisationActor {
  id: string;
  role: string;
  organisationId?: string;
}

export function isProgrammeTeam(actor: OrganisationActor): boolean {
  return actor.role === 'admin' || actor.role === 'grant-manager';
}

/** The organisation an applicant's token names (lower case), the only one it may register, change or see. */
export function applicantOrganisation(actor: OrganisationActor): string {
  if (!actor.organisationId || !UUID_PATTERN.test(actor.organisationId)) {
    throw new ForbiddenException('An applicant token must name an organisation id (UUID) in its org claim');
  }
  return actor.organisationId.toLowerCase();
}

export function maySeeOrganisation(actor: OrganisationActor, organisationId: string): boolean {
  return actor.role !== 'applicant' || actor.organisationId?.toLowerCase() === organisationId.toLowerCase();
}

/** Throws unless the actor may register an organisation with these member users (undefined: not given). */
export function authorizeRegistration(actor: OrganisationActor, memberUserIds: readonly string[] | undefined): void {
  if (isProgrammeTeam(actor)) return;
  applicantOrganisation(actor);
  if (memberUserIds !== undefined) throw new ForbiddenException('Only the programme team sets member users');
}

/** Throws unless the actor may change this organisation's profile (member users: programme team only). */
export function authorizeProfileChange(actor: OrganisationActor, organisationId: string, memberUserIds: readonly string[] | undefined): void {
  if (isProgrammeTeam(actor)) return;
  if (applicantOrganisation(actor) !== organisationId.toLowerCase()) throw new ForbiddenException('Applicants may change only their own organisation');
  if (memberUserIds !== undefined) throw new ForbiddenException('Only the programme team changes member users');
}

/**
 * Whose organisation names (and countries) the actor reads in the proposal and grant lists: the
 * programme team and auditors every organisation's; anyone else (applicants, reviewers) only its own
 * organisation's and those of organisations that chose to be public. This is the publication rule of
 * partner systems (public-events/withheld-organisations.ts), not a wider one: an applicant reads no
 * other organisation on GET /organisations/:id, and a reviewer none.
 */
export function organisationNameScope(actor: OrganisationActor): OrganisationNameScope {
  if (isProgrammeTeam(actor) || actor.role === 'auditor') return { kind: 'all' };
  return actor.role === 'applicant' && actor.organisationId ? { kind: 'own-or-public', organisationId: actor.organisationId } : { kind: 'own-or-public' };
}

/** An organisation as a list shows it beside its id. */
export interface ListedOrganisationName {
  /** null: the read model does not know the organisation (yet). */
  name: string | null;
  country: string | null;
}

/**
 * The name and country the scope may read, from the organisations a list page looked up (by
 * lower-case id); a withheld organisation (not public, not the caller's own,
 * or not known yet) is shown as partner systems see it: "Withheld recipient", without a country.
 */
export function listedOrganisationName(scope: OrganisationNameScope, organisationId: string, organisations: ReadonlyMap<string, ListedOrganisation>): ListedOrganisationName {
  const known = organisations.get(organisationId.toLowerCase());
  if (scope.kind === 'all') return { name: known?.name ?? null, country: known?.country ?? null };
  const own = scope.organisationId !== undefined && scope.organisationId.toLowerCase() === organisationId.toLowerCase();
  if (known && (own || known.publicationConsent === 'public')) return { name: known.name, country: known.country };
  return { name: WITHHELD_ORGANISATION_NAME, country: null };
}
