import { Injectable } from '@nestjs/common';
import { PersonalDataPolicy } from '@app/application/personal-data';
import { PersonalDataKeyring, SealedPersonalData } from '@app/personal-data';
import { type ContactPerson, organisationStreamName } from '@app/domain/organisation';
import type { OrganisationView } from '@app/read-models/organisations/organisation-view.entity';
import { type OrganisationViewDto, toOrganisationViewDto } from './organisation-view.dto';

/**
 * Turns organisation rows — live, or replayed as of an instant — into answers, opening each row's
 * sealed contact person in memory with its organisation's live key. The keys are read from the key
 * store for every answer (one query for a whole page), so an erasure shows in the very next answer
 * of every process, whether or not the projection has applied it.
 */
@Injectable()
export class OrganisationViews {
  private readonly sealed: SealedPersonalData;

  constructor(
    keyring: PersonalDataKeyring,
    private readonly policy: PersonalDataPolicy,
  ) {
    this.sealed = new SealedPersonalData(keyring);
  }

  async one(row: OrganisationView): Promise<OrganisationViewDto> {
    const [view] = await this.many([row]);
    return view;
  }

  async many(rows: readonly OrganisationView[]): Promise<OrganisationViewDto[]> {
    const sealed = rows.flatMap((row) =>
      row.contactPerson ? [{ id: row.id, request: { subject: this.policy.subjectOf(organisationStreamName(row.id)), field: row.contactPerson } }] : [],
    );
    const opened = await this.sealed.open(sealed.map(({ request }) => request));
    const contacts = new Map(sealed.map(({ id }, i) => [id, opened[i] as ContactPerson | null]));
    return rows.map((row) => toOrganisationViewDto(row, contacts.get(row.id) ?? null));
  }
}
