import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, Repository, type SelectQueryBuilder } from 'typeorm';
import { EXPORT_PAGE_SIZE, keysetPages, type ListPage, type ListSource, offsetPage } from '../lists/list-pages';
import { applyListSearch, type ListNames, listNames, type ListSearch } from '../lists/list-search';
import { ProposalView, ReviewerAssignmentView } from './proposal-view.entity';

/** Which proposals a caller may list: all of them, those an organisation is in, or those assigned to a reviewer. */
export type ProposalScope = { kind: 'all' } | { kind: 'organisation'; organisationId: string } | { kind: 'reviewer'; reviewerId: string } | { kind: 'none' };

export interface ProposalListFilter {
  scope: ProposalScope;
  callId?: string;
  status?: string;
  /** Text search and filters by country and organisation, within what the caller may read. */
  search?: ListSearch;
  limit: number;
  offset: number;
}

/** A page of the list with the names beside its ids. */
export type ProposalListPage = ListPage<ProposalView>;

export interface RankedProposal {
  rank: number;
  proposal: ProposalView;
}

export interface ReviewerQueueItem {
  assignment: ReviewerAssignmentView;
  proposal: ProposalView;
}

/** Reads the proposals read models; never loads the event stream. */
@Injectable()
export class ProposalsQuery {
  constructor(
    @InjectRepository(ProposalView) private readonly proposals: Repository<ProposalView>,
    @InjectRepository(ReviewerAssignmentView) private readonly assignments: Repository<ReviewerAssignmentView>,
  ) {}

  list(filter: ProposalListFilter): Promise<ProposalListPage & { total: number }> {
    return offsetPage(this.source(filter), filter.limit, filter.offset);
  }

  /** Every row the filter matches (from `offset`, at most `limit` when given), in the list's order, in keyset pages. */
  pages(filter: Omit<ProposalListFilter, 'limit' | 'offset'> & { limit?: number; offset?: number }, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<ProposalListPage> {
    return keysetPages(this.source(filter), filter, pageSize);
  }

  /** Newest draft first: drafted_at never changes once drafted, so it is also the exports' keyset. */
  private source(filter: Omit<ProposalListFilter, 'limit' | 'offset'>): ListSource<ProposalView> {
    return { query: () => this.listQuery(filter), names: (items) => this.names(items), key: { table: 'proposals', alias: 'p', column: 'drafted_at' } };
  }

  /** The list's query, filtered (list-pages orders it), or null when the caller may see none. */
  private listQuery(filter: Omit<ProposalListFilter, 'limit' | 'offset'>): SelectQueryBuilder<ProposalView> | null {
    const { scope } = filter;
    if (scope.kind === 'none') return null;
    const query = this.proposals.createQueryBuilder('p');
    if (filter.callId) query.andWhere('p.callId = :callId', { callId: filter.callId });
    if (filter.status) query.andWhere('p.status = :status', { status: filter.status });
    if (scope.kind === 'organisation') {
      query.andWhere(
        new Brackets((q) => q.where('p.leadOrganisationId = :org', { org: scope.organisationId }).orWhere(':org = ANY(p.partnerOrganisationIds)')),
      );
    }
    // A reviewer lists what it is assigned to and not recused from (proposal-access.ts).
    if (scope.kind === 'reviewer') query.andWhere(':reviewer = ANY(p.assignedReviewerIds) AND NOT (:reviewer = ANY(p.recusedReviewerIds))', { reviewer: scope.reviewerId });
    if (filter.search) applyListSearch(query, filter.search, {
      lead: 'p.lead_organisation_id',
      partners: 'p.partner_organisation_ids',
      idCast: '::text',
      titleMatches: "p.title ILIKE :listQ ESCAPE '\\'",
    });
    return query;
  }

  /** Names of the lead and of every listed partner, and the call's title. */
  private names(items: readonly ProposalView[]): Promise<ListNames> {
    return listNames(this.proposals.manager, {
      organisationIds: items.flatMap((p) => [p.leadOrganisationId, ...p.partners.map((partner) => partner.organisationId)]),
      callIds: items.map((p) => p.callId),
    });
  }

  byId(id: string): Promise<ProposalView | null> {
    return this.proposals.findOneBy({ id });
  }

  /** Drafts that invite the organisation and await its answer (or its sign-off of changed terms), newest first. */
  async invitationsFor(organisationId: string): Promise<ProposalView[]> {
    // Drafts, and submitted proposals whose budget a clarification answer changed since this partner signed off.
    return this.proposals
      .createQueryBuilder('p')
      .where('p.partners @> :partner::jsonb', { partner: JSON.stringify([{ organisationId }]) })
      .andWhere(
        new Brackets((which) =>
          which.where(`p.status = 'draft'`).orWhere(
            // As the decider has it: terms other than those submitted need every partner's sign-off of the current ones
            // (partners of proposals submitted before sign-offs existed have none, and owe one only after such an answer).
            `p.status IN ('submitted', 'under-review', 'reserved')
             AND p.submitted_terms_version IS NOT NULL AND p.terms_version <> p.submitted_terms_version
             AND EXISTS (SELECT 1 FROM jsonb_array_elements(p.partners) AS e
                          WHERE e->>'organisationId' = :organisationId AND coalesce((e->>'acceptedTermsVersion')::int, 0) < p.terms_version)`,
            { organisationId },
          ),
        ),
      )
      .orderBy('p.draftedAt', 'DESC')
      .addOrderBy('p.id', 'ASC')
      .limit(200)
      .getMany();
  }

  /**
   * A call's proposals that have a consensus score, best first; equal scores share a rank (1, 2, 2, 4).
   * Withdrawn proposals are out of the competition and left out.
   */
  async ranking(callId: string): Promise<RankedProposal[]> {
    const items = await this.proposals
      .createQueryBuilder('p')
      .where('p.callId = :callId', { callId })
      .andWhere('p.consensusScore IS NOT NULL')
      .andWhere("p.status <> 'withdrawn'")
      .orderBy('p.consensusScore', 'DESC')
      .addOrderBy('p.submittedAt', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .getMany();
    let rank = 0;
    return items.map((proposal, i) => {
      if (i === 0 || proposal.consensusScore !== items[i - 1].consensusScore) rank = i + 1;
      return { rank, proposal };
    });
  }

  /**
   * The proposals assigned to a reviewer who may still judge them, oldest assignment first: not
   * those it was recused from, nor those of a network one of whose organisations (the lead or a
   * partner) now counts it among its member users — the decider refuses its review there (422
   * proposal.reviewer.affiliated, judged on the organisations as they are when it acts), so they are
   * no work of its own, whether or not its review is in (one recorded before still counts).
   */
  async reviewerQueue(reviewerId: string, filter: { pending?: boolean; limit: number; offset: number }): Promise<{ items: ReviewerQueueItem[]; total: number }> {
    // The reviewer's organisations by an uncorrelated sub-select (computed once), matched against the
    // proposal's lead column and partner array as the lists match organisations (lists/list-search.ts).
    const memberOf = 'SELECT o.id::text FROM organisations o WHERE :reviewerId = ANY (o.member_user_ids)';
    const query = this.assignments
      .createQueryBuilder('a')
      .where('a.reviewerId = :reviewerId', { reviewerId })
      .andWhere('a.recusedAt IS NULL')
      .andWhere(
        `(NOT EXISTS (SELECT 1 FROM proposals p WHERE p.id = a.proposal_id
           AND (p.lead_organisation_id IN (${memberOf}) OR p.partner_organisation_ids && ARRAY(${memberOf}))))`,
      );
    if (filter.pending === true) query.andWhere('a.reviewSubmittedAt IS NULL');
    if (filter.pending === false) query.andWhere('a.reviewSubmittedAt IS NOT NULL');
    const [assignments, total] = await query.orderBy('a.assignedAt', 'ASC').addOrderBy('a.proposalId', 'ASC').limit(filter.limit).offset(filter.offset).getManyAndCount();
    if (assignments.length === 0) return { items: [], total };
    const proposals = await this.proposals.createQueryBuilder('p').where('p.id IN (:...ids)', { ids: assignments.map((a) => a.proposalId) }).getMany();
    const byId = new Map(proposals.map((p) => [p.id, p]));
    const items = assignments.flatMap((assignment) => {
      const proposal = byId.get(assignment.proposalId);
      return proposal ? [{ assignment, proposal }] : [];
    });
    return { items, total };
  }
}
