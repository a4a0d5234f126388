import type { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { UUID_PATTERN } from '@app/platform/ids';
import type { PublicationConsent } from '@app/domain/organisation';

/**
 * Whose organisation names and countries a list may show, search and filter on: every
 * organisation's (the programme team, auditors), or only the viewer's own organisation's and those
 * of organisations that chose to be public (everyone else). The application decides which from the
 * caller (organisation-access.ts, `organisationNameScope`), and shows the others as withheld; the
 * SQL below applies the same rule, so a search or a filter never matches on a withheld name or
 * country the caller could not read.
 */
export type OrganisationNameScope = { kind: 'all' } | { kind: 'own-or-public'; organisationId?: string };

/** Text search and filters shared by the proposal and the grant lists. */
export interface ListSearch {
  /** Case-insensitive substring of the title or of an organisation's name (lead/grantee or partner). */
  q?: string;
  /** ISO 3166-1 alpha-2 of the lead (proposals) or grantee (grants) organisation. */
  country?: string;
  /** The lead/grantee or a partner (accepted partner, for proposals). */
  organisationId?: string;
  names: OrganisationNameScope;
}

/** How a list's rows name their organisations and title, in SQL over the row's alias. */
export interface ListColumns {
  /** The lead (grantee) organisation id column. */
  lead: string;
  /** The partner organisation ids array column. */
  partners: string;
  /** `''` when the id columns are uuid like organisations.id, `'::text'` when they are text. */
  idCast: '' | '::text';
  /** A boolean SQL expression: the row's title matches `:listQ`. */
  titleMatches: string;
}

/** A LIKE pattern matching `text` anywhere, its own wildcards (% _) and the escape character taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** SQL for "the caller may read this organisation's name" over organisations alias `o`. */
function nameVisible(scope: OrganisationNameScope): string {
  if (scope.kind === 'all') return 'TRUE';
  const ownOrganisation = scope.organisationId ? ' OR o.id::text = :listOwnOrganisation' : '';
  return `(o.publication_consent = 'public'${ownOrganisation})`;
}

/**
 * Adds the search and the filters to a list query. Organisations are matched by an uncorrelated
 * sub-select (computed once), so the lead column's b-tree index and the partner array's GIN index
 * (`&&`) do the joining; `ILIKE` with escaped wildcards searches (a sequential scan of the filtered
 * rows: lists are thousands of rows, not millions).
 */
export function applyListSearch<T extends ObjectLiteral>(query: SelectQueryBuilder<T>, search: ListSearch, columns: ListColumns): void {
  const { lead, partners, idCast } = columns;
  const visible = nameVisible(search.names);
  if (search.names.kind === 'own-or-public' && search.names.organisationId) {
    query.setParameter('listOwnOrganisation', search.names.organisationId.toLowerCase());
  }
  if (search.organisationId) {
    query.andWhere(`(${lead} = :listOrganisation OR :listOrganisation = ANY(${partners}))`, { listOrganisation: search.organisationId.toLowerCase() });
  }
  if (search.country) {
    query.andWhere(`${lead} IN (SELECT o.id${idCast} FROM organisations o WHERE o.country = :listCountry AND ${visible})`, { listCountry: search.country });
  }
  const text = search.q?.trim();
  if (text) {
    const named = `SELECT o.id${idCast} FROM organisations o WHERE o.name ILIKE :listQ ESCAPE '\\' AND ${visible}`;
    query.andWhere(`(${columns.titleMatches} OR ${lead} IN (${named}) OR ${partners} && ARRAY(${named}))`, { listQ: containsPattern(text) });
  }
}

/** What a list shows beside the ids of a page of rows (no contact person: no personal data). */
export interface ListedOrganisation {
  id: string;
  name: string;
  country: string;
  publicationConsent: PublicationConsent;
}

export interface ListNames {
  organisations: ReadonlyMap<string, ListedOrganisation>;
  callTitles: ReadonlyMap<string, string>;
  /** Grants only: the proposal's title is the grant's. */
  proposalTitles: ReadonlyMap<string, string>;
}

const uuids = (ids: Iterable<string>): string[] => [...new Set([...ids].map((id) => id.toLowerCase()))].filter((id) => UUID_PATTERN.test(id));

/**
 * The names beside the ids of one page, read when the page is read (never copied into the rows):
 * a renamed organisation or call shows its new name at once, and a rebuild has nothing to restore.
 * One statement by primary keys, whatever the page size, on the caller's connection (an as-of
 * read's transaction reads its own tables), without the query builder's per-query cost.
 */
export async function listNames(
  manager: EntityManager,
  ids: { organisationIds: Iterable<string>; callIds: Iterable<string>; proposalIds?: Iterable<string> },
): Promise<ListNames> {
  const organisationIds = uuids(ids.organisationIds);
  const callIds = uuids(ids.callIds);
  const proposalIds = uuids(ids.proposalIds ?? []);
  const rows: NameRow[] =
    organisationIds.length + callIds.length + proposalIds.length === 0
      ? []
      : await manager.query(
          `SELECT 'o' AS kind, id::text AS id, name, country::text AS country, publication_consent FROM organisations WHERE id = ANY ($1::uuid[])
           UNION ALL SELECT 'c', id::text, title, NULL, NULL FROM calls WHERE id = ANY ($2::uuid[])
           UNION ALL SELECT 'p', id::text, title, NULL, NULL FROM proposals WHERE id = ANY ($3::uuid[])`,
          [organisationIds, callIds, proposalIds],
        );
  const organisations = new Map<string, ListedOrganisation>();
  const callTitles = new Map<string, string>();
  const proposalTitles = new Map<string, string>();
  for (const row of rows) {
    if (row.kind === 'o') organisations.set(row.id, { id: row.id, name: row.name, country: row.country as string, publicationConsent: row.publication_consent as PublicationConsent });
    else if (row.kind === 'c') callTitles.set(row.id, row.name);
    else proposalTitles.set(row.id, row.name);
  }
  return { organisations, callTitles, proposalTitles };
}

interface NameRow {
  kind: 'o' | 'c' | 'p';
  id: string;
  name: string;
  country: string | null;
  publication_consent: string | null;
}
