import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { PublicationConsent } from '@app/domain/organisation';
import { type FindOptionsWhere, In, Repository } from 'typeorm';
import { OrganisationView } from './organisation-view.entity';

/** What the public mapping may know of an organisation: its name, and whether it may be shown. */
export interface OrganisationPublication {
  id: string;
  name: string;
  publicationConsent: PublicationConsent;
}

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

  /**
   * Names and publication consent of some organisations, in one query (for a batch of public events
   * or an export). An organisation the read model does not know yet is simply absent: callers withhold it.
   */
  async publication(ids: readonly string[]): Promise<OrganisationPublication[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    return this.organisations.find({ select: { id: true, name: true, publicationConsent: true }, where: { id: In(unique) } });
  }
}
