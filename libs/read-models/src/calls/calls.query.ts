import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, type FindOptionsWhere, Repository } from 'typeorm';
import { CallView } from './call-view.entity';

export interface CallListFilter {
  statuses?: string[];
  limit: number;
  offset: number;
}

/** Reads the `calls` read model; never loads the event stream. */
@Injectable()
export class CallsQuery {
  constructor(@InjectRepository(CallView) private readonly calls: Repository<CallView>) {}

  async list(filter: CallListFilter): Promise<{ items: CallView[]; total: number }> {
    if (filter.statuses?.length === 0) return { items: [], total: 0 };
    const where: FindOptionsWhere<CallView> = filter.statuses ? { status: In(filter.statuses) } : {};
    const [items, total] = await this.calls.findAndCount({ where, order: { createdAt: 'DESC', id: 'ASC' }, take: filter.limit, skip: filter.offset });
    return { items, total };
  }

  byId(id: string): Promise<CallView | null> {
    return this.calls.findOneBy({ id });
  }
}
