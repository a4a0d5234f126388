import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type FindOptionsWhere, Repository } from 'typeorm';
import { OrganisationView } from './organisation-view.entity';

export interface OrganisationListFilter {
  country?: string;
  limit: number;
  offset: number;
}

/** Reads the `organisations` read model; never loads the event stream. */
@Injectable()
export class OrganisationsQuery {
  constructor(@InjectRepository(OrganisationView) private readonly organisations: Repository<OrganisationView>) {}

  async list(filter: OrganisationListFilter): Promise<{ items: OrganisationView[]; total: number }> {
    const where: FindOptionsWhere<OrganisationView> = filter.country ? { country: filter.country } : {};
    const [items, total] = await this.organisations.findAndCount({ where, order: { name: 'ASC', id: 'ASC' }, take: filter.limit, skip: filter.offset });
    return { items, total };
  }

  byId(id: string): Promise<OrganisationView | null> {
    return this.organisations.findOneBy({ id });
  }
}
