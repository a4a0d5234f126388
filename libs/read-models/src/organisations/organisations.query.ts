import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { PublicationConsent } from '@app/domain/organisation';
import { type FindOptionsWhere, In, Repository } from 'typeorm';
import { queryRows } from '@app/platform/database/pg-pool';
import type { SealedPersonalField } from '@app/personal-data/sealed-personal-field';
import { OrganisationView } from './organisation-view.entity';

/** The `organisations` row as pg returns it (timestamptz, jsonb and text[] parsed). */
interface OrganisationRow {
  id: string;
  name: string;
  country: string;
  legal_status: string;
  focus_groups: string[];
  contact_person: SealedPersonalField | null;
  member_user_ids: string[];
  publication_consent: PublicationConsent;
  consent_withdrawals: Date[];
  due_diligence_outcome: string | null;
  due_diligence_notes: string | null;
  due_diligence_checked_by: string | null;
  due_diligence_recorded_at: Date | null;
  personal_data_erased: boolean;
  personal_data_erased_at: Date | null;
  registered_at: Date;
  updated_at: Date;
  version: number;
}

const ORGANISATION_BY_ID = {
  name: 'grant_ledger_organisation_by_id',
  text: `SELECT id, name, country, legal_status, focus_groups, contact_person, member_user_ids, publication_consent, consent_withdrawals, due_diligence_outcome,
           due_diligence_notes, due_diligence_checked_by, due_diligence_recorded_at, personal_data_erased, personal_data_erased_at,
           registered_at, updated_at, version
         FROM organisations WHERE id = $1`,
};

/** The entity's own mapping (organisation-view.entity.ts), by hand. */
function toOrganisationView(row: OrganisationRow): OrganisationView {
  return {
    id: row.id,
    name: row.name,
    country: row.country,
    legalStatus: row.legal_status,
    focusGroups: row.focus_groups,
    contactPerson: row.contact_person,
    memberUserIds: row.member_user_ids,
    publicationConsent: row.publication_consent,
    consentWithdrawals: row.consent_withdrawals,
    dueDiligenceOutcome: row.due_diligence_outcome,
    dueDiligenceNotes: row.due_diligence_notes,
    dueDiligenceCheckedBy: row.due_diligence_checked_by,
    dueDiligenceRecordedAt: row.due_diligence_recorded_at,
    personalDataErased: row.personal_data_erased,
    personalDataErasedAt: row.personal_data_erased_at,
    registeredAt: row.registered_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

/** What the public mapping may know of an organisation: its name, and whether it may be shown. */
export interface OrganisationPublication {
  id: string;
  name: string;
  publicationConsent: PublicationConsent;
  /** When it withdrew consent, oldest first (the pseudonym of grants awarded after each is a new one). */
  consentWithdrawals: Date[];
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

  /** One organisation by id: a prepared statement mapped by hand, as CallsQuery.byId (inside a transaction, that transaction's tables). */
  async byId(id: string): Promise<OrganisationView | null> {
    const [row] = await queryRows<OrganisationRow>(this.organisations.manager, { ...ORGANISATION_BY_ID, values: [id] });
    return row ? toOrganisationView(row) : null;
  }

  /**
   * Names and publication consent of some organisations, in one query (for a batch of public events
   * or an export). An organisation the read model does not know yet is simply absent: callers withhold it.
   */
  async publication(ids: readonly string[]): Promise<OrganisationPublication[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    return this.organisations.find({ select: { id: true, name: true, publicationConsent: true, consentWithdrawals: true }, where: { id: In(unique) } });
  }
}
