import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, type SelectQueryBuilder } from 'typeorm';
import { EXPORT_PAGE_SIZE, keysetPages, type ListPage, type ListSource, offsetPage } from '../lists/list-pages';
import { applyListSearch, type ListNames, listNames, type ListSearch } from '../lists/list-search';
import { GrantView } from './grant-view.entity';

export interface GrantListFilter {
  statuses?: string[];
  /**
   * `YYYY-MM-DD`, today by the caller's clock: `overdue: true` keeps grants owing a report due
   * before that day, `overdue: false` the others.
   */
  overdue?: { on: string; value: boolean };
  /** Only the grants of this grantee (applicants see their own). */
  granteeOrganisationId?: string;
  callId?: string;
  /** Text search (the grant's title is its proposal's) and filters by country and organisation, within what the caller may read. */
  search?: ListSearch;
  limit: number;
  offset: number;
}

/** A page of the list with the names beside its ids. */
export type GrantListPage = ListPage<GrantView>;

/** Reads the `grants` read model; never loads the event stream. */
@Injectable()
export class GrantsQuery {
  constructor(@InjectRepository(GrantView) private readonly grants: Repository<GrantView>) {}

  list(filter: GrantListFilter): Promise<GrantListPage & { total: number }> {
    return offsetPage(this.source(filter), filter.limit, filter.offset);
  }

  /** Every grant the filter matches (from `offset`, at most `limit` when given), in the list's order, in keyset pages. */
  pages(filter: Omit<GrantListFilter, 'limit' | 'offset'> & { limit?: number; offset?: number }, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<GrantListPage> {
    return keysetPages(this.source(filter), filter, pageSize);
  }

  byId(id: string): Promise<GrantView | null> {
    return this.grants.findOneBy({ id });
  }

  /** Newest award first: awarded_at never changes, so it is also the exports' keyset. */
  private source(filter: Omit<GrantListFilter, 'limit' | 'offset'>): ListSource<GrantView> {
    return { query: () => this.listQuery(filter), names: (items) => this.names(items), key: { table: 'grants', alias: 'g', column: 'awarded_at' } };
  }

  /** The list's query, filtered (list-pages orders it), or null when nothing can match. */
  private listQuery(filter: Omit<GrantListFilter, 'limit' | 'offset'>): SelectQueryBuilder<GrantView> | null {
    if (filter.statuses?.length === 0) return null;
    const query = this.grants.createQueryBuilder('g');
    if (filter.statuses) query.andWhere('g.status IN (:...statuses)', { statuses: filter.statuses });
    if (filter.granteeOrganisationId) query.andWhere('g.grantee_organisation_id = :grantee', { grantee: filter.granteeOrganisationId });
    if (filter.callId) query.andWhere('g.call_id = :callId', { callId: filter.callId });
    if (filter.overdue?.value === true) query.andWhere('g.next_report_owed < :today', { today: filter.overdue.on });
    if (filter.overdue?.value === false) query.andWhere('(g.next_report_owed IS NULL OR g.next_report_owed >= :today)', { today: filter.overdue.on });
    if (filter.search) applyListSearch(query, filter.search, {
      lead: 'g.grantee_organisation_id',
      partners: 'g.partner_organisation_ids',
      idCast: '',
      titleMatches: "EXISTS (SELECT 1 FROM proposals t WHERE t.id = g.proposal_id AND t.title ILIKE :listQ ESCAPE '\\')",
    });
    return query;
  }

  /** The grantee's and the partners' names, the call's title and the grant's title (its proposal's). */
  private names(items: readonly GrantView[]): Promise<ListNames> {
    return listNames(this.grants.manager, {
      organisationIds: items.flatMap((g) => [g.granteeOrganisationId, ...g.partnerOrganisationIds]),
      callIds: items.map((g) => g.callId),
      proposalIds: items.map((g) => g.proposalId),
    });
  }
}
