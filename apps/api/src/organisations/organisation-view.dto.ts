import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { OrganisationView } from '@app/read-models/organisations/organisation-view.entity';
import { type ContactPerson, DUE_DILIGENCE_OUTCOMES, LEGAL_STATUSES, PUBLICATION_CONSENTS } from '@app/domain/organisation';
import { ContactPersonDto } from './organisation.dto';

export class DueDiligenceViewDto {
  @ApiProperty({ enum: DUE_DILIGENCE_OUTCOMES }) outcome: string;
  @ApiProperty() notes: string;
  @ApiProperty({ description: 'Who recorded it' }) checkedBy: string;
  @ApiProperty() recordedAt: string;
}

export class OrganisationViewDto {
  @ApiProperty({ example: '6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c' }) id: string;
  @ApiProperty({ example: 'Bidoun Rights Collective' }) name: string;
  @ApiProperty({ example: 'LB' }) country: string;
  @ApiProperty({ enum: LEGAL_STATUSES }) legalStatus: string;
  @ApiProperty({ type: [String], example: ['stateless-people'] }) focusGroups: string[];
  @ApiPropertyOptional({ type: ContactPersonDto, nullable: true, description: '`null` once erased (crypto-shredded): see personalDataErased' })
  contactPerson: ContactPersonDto | null;
  @ApiProperty({ description: 'The contact person recorded last has been erased (its key destroyed)' }) personalDataErased: boolean;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'When personal data was last erased' }) personalDataErasedAt: string | null;
  @ApiProperty({ type: [String] }) memberUserIds: string[];
  @ApiProperty({ enum: PUBLICATION_CONSENTS, example: 'withheld', description: 'Whether partner systems see its name (`public`) or a pseudonym (`withheld`, the default)' })
  publicationConsent: string;
  @ApiPropertyOptional({ type: DueDiligenceViewDto, nullable: true, description: 'The latest due diligence outcome; null until checked' })
  dueDiligence: DueDiligenceViewDto | null;
  @ApiProperty() registeredAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty({ description: 'Stream version this view reflects' }) version: number;
}

export class OrganisationListDto {
  @ApiProperty({ type: [OrganisationViewDto] }) items: OrganisationViewDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

/**
 * The answer for one row. `contactPerson`: the row's sealed contact as opened for this answer (see
 * OrganisationViews) — `null` when its key is destroyed, which reads as erased at once, before the
 * projection has applied the erasure (`personalDataErasedAt` comes from the row, so it may follow later).
 */
export function toOrganisationViewDto(org: OrganisationView, contactPerson: ContactPerson | null): OrganisationViewDto {
  return {
    id: org.id,
    name: org.name,
    country: org.country,
    legalStatus: org.legalStatus,
    focusGroups: org.focusGroups,
    contactPerson: contactPerson && contactPersonDto(contactPerson),
    personalDataErased: org.personalDataErased || (org.contactPerson !== null && contactPerson === null),
    personalDataErasedAt: org.personalDataErasedAt ? org.personalDataErasedAt.toISOString() : null,
    memberUserIds: org.memberUserIds,
    publicationConsent: org.publicationConsent,
    dueDiligence:
      org.dueDiligenceOutcome === null || org.dueDiligenceRecordedAt === null
        ? null
        : { outcome: org.dueDiligenceOutcome, notes: org.dueDiligenceNotes ?? '', checkedBy: org.dueDiligenceCheckedBy ?? '', recordedAt: org.dueDiligenceRecordedAt.toISOString() },
    registeredAt: org.registeredAt.toISOString(),
    updatedAt: org.updatedAt.toISOString(),
    version: org.version,
  };
}

function contactPersonDto({ name, email, phone }: ContactPerson): ContactPersonDto {
  return { name, email, ...(phone === undefined || phone === null ? {} : { phone }) };
}
