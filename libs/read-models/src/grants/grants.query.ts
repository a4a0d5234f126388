import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
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
  limit: number;
  offset: number;
}

/** Reads the `grants` read model; never loads the event stream. */
@Injectable()
export class GrantsQuery {
  constructor(@InjectRepository(GrantView) private readonly grants: Repository<GrantView>) {}

  async list(filter: GrantListFilter): Promise<{ items: GrantView[]; total: number }> {
    if (filter.statuses?.length === 0) return { items: [], total: 0 };
    const query = this.grants.createQueryBuilder('g');
    if (filter.statuses) query.andWhere('g.status IN (:...statuses)', { statuses: filter.statuses });
    if (filter.granteeOrganisationId) query.andWhere('g.grantee_organisation_id = :grantee', { grantee: filter.granteeOrganisationId });
    if (filter.callId) query.andWhere('g.call_id = :callId', { callId: filter.callId });
    if (filter.overdue?.value === true) query.andWhere('g.next_report_owed < :today', { today: filter.overdue.on });
    if (filter.overdue?.value === false) query.andWhere('(g.next_report_owed IS NULL OR g.next_report_owed >= :today)', { today: filter.overdue.on });
    const [items, total] = await query.orderBy('g.awarded_at', 'DESC').addOrderBy('g.id', 'ASC').take(filter.limit).skip(filter.offset).getManyAndCount();
    return { items, total };
  }

  byId(id: string): Promise<GrantView | null> {
    return this.grants.findOneBy({ id });
  }
}
