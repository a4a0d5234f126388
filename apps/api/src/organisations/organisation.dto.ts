import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsEmail, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { IsOmittable } from '../http/validation';
import { DUE_DILIGENCE_OUTCOMES, LEGAL_STATUSES, PUBLICATION_CONSENTS } from '@app/domain/organisation';

// Every example is fictional: the organisations, people and addresses do not exist.

const PUBLICATION_CONSENT_DOC =
  'Whether partner systems (feed, webhooks, 360Giving export) may show this organisation\'s name and id. ' +
  '`withheld` (the default, safest for groups at risk if named): it appears as "Withheld recipient" under a pseudonym. ' +
  '`public`: it appears by name. Decided by the organisation (or the programme team for it). A change applies to payloads built ' +
  'from then on (feed pages, new webhook deliveries, exports); what partners already received cannot be recalled. ' +
  'A withdrawal (public, then withheld) gives the grants awarded after it a new pseudonym: a partner that saw the name beside the old one ' +
  'recognises the earlier grants, not the later ones. An organisation at risk if named is safest `withheld` from the start.';

export class ContactPersonDto {
  @ApiProperty({ example: 'Rima Haddad', description: 'Personal data: encrypted in the log, erasable' }) @IsString() @IsNotEmpty() @MaxLength(200)
  name: string;
  @ApiProperty({ example: 'rima.haddad@bidoun-rights.example.org' }) @IsEmail({}, { message: 'email must be an email address' }) @MaxLength(320)
  email: string;
  @ApiPropertyOptional({ example: '+961 1 555 010' })
  @IsOptional() @IsString() @Matches(/^\+?[0-9 ()./-]{3,40}$/, { message: 'phone must be digits, spaces and + ( ) . / - only' })
  phone?: string;
}

export class RegisterOrganisationDto {
  @ApiProperty({ example: 'Bidoun Rights Collective' }) @IsString() @IsNotEmpty() @MaxLength(200)
  name: string;
  @ApiProperty({ example: 'LB', description: 'ISO 3166-1 alpha-2' }) @IsString() @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as LB' })
  country: string;
  @ApiProperty({ enum: LEGAL_STATUSES, example: 'unregistered-group', description: 'Many groups cannot register legally; that is not a defect' })
  @IsIn(LEGAL_STATUSES)
  legalStatus: (typeof LEGAL_STATUSES)[number];
  @ApiProperty({ example: ['stateless-people', 'nationality-rights'], description: 'The groups it works with' })
  @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(100, { each: true })
  focusGroups: string[];
  @ApiProperty({ type: ContactPersonDto }) @IsObject() @ValidateNested() @Type(() => ContactPersonDto)
  contactPerson: ContactPersonDto;
  @ApiPropertyOptional({
    example: ['applicant-rima'],
    description:
      "The programme's record of the applicant users (token subjects) who act for it; who may act is decided by the token's `org` claim, which the identity provider vouches for, not by this list. Programme team only: an applicant registering its own organisation becomes its only member.",
  })
  @IsOptional() @IsArray() @ArrayMaxSize(200) @IsString({ each: true }) @MaxLength(200, { each: true })
  memberUserIds?: string[];
  @ApiPropertyOptional({ enum: PUBLICATION_CONSENTS, default: 'withheld', example: 'withheld', description: PUBLICATION_CONSENT_DOC })
  @IsOptional() @IsIn(PUBLICATION_CONSENTS)
  publicationConsent?: (typeof PUBLICATION_CONSENTS)[number];
}

/** Any subset of the profile; only fields that change are recorded. */
export class UpdateOrganisationDto {
  @ApiPropertyOptional({ example: 'Bidoun Rights Collective (Beirut)' }) @IsOmittable() @IsString() @IsNotEmpty() @MaxLength(200)
  name?: string;
  @ApiPropertyOptional({ example: 'LB' }) @IsOmittable() @IsString() @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as LB' })
  country?: string;
  @ApiPropertyOptional({ enum: LEGAL_STATUSES, example: 'registered-association' }) @IsOmittable() @IsIn(LEGAL_STATUSES)
  legalStatus?: (typeof LEGAL_STATUSES)[number];
  @ApiPropertyOptional({ example: ['stateless-people', 'nationality-rights', 'civil-registration'] })
  @IsOmittable() @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) @MaxLength(100, { each: true })
  focusGroups?: string[];
  @ApiPropertyOptional({ type: ContactPersonDto, example: { name: 'Karim Mansour', email: 'karim.mansour@bidoun-rights.example.org', phone: '+961 1 555 011' } })
  @IsOmittable() @IsObject() @ValidateNested() @Type(() => ContactPersonDto)
  contactPerson?: ContactPersonDto;
  @ApiPropertyOptional({ example: ['applicant-rima', 'applicant-karim'], description: "Programme team only. A record: who may act for the organisation is decided by the token's `org` claim" })
  @IsOmittable() @IsArray() @ArrayMaxSize(200) @IsString({ each: true }) @MaxLength(200, { each: true })
  memberUserIds?: string[];
  @ApiPropertyOptional({ enum: PUBLICATION_CONSENTS, example: 'public', description: PUBLICATION_CONSENT_DOC })
  @IsOmittable() @IsIn(PUBLICATION_CONSENTS)
  publicationConsent?: (typeof PUBLICATION_CONSENTS)[number];
}

export class RecordDueDiligenceDto {
  @ApiProperty({ enum: DUE_DILIGENCE_OUTCOMES, example: 'conditional' }) @IsIn(DUE_DILIGENCE_OUTCOMES)
  outcome: (typeof DUE_DILIGENCE_OUTCOMES)[number];
  @ApiProperty({ example: 'Fiscal sponsor agreement seen; bank account to be opened through the sponsor before the first tranche' })
  @IsString() @MaxLength(5000)
  notes: string;
}

export class EraseOrganisationPersonalDataDto {
  @ApiProperty({ example: 'Data subject request received by email on 2027-02-03 (ticket DSR-0042)', description: 'Recorded in the log; write no personal data here' })
  @IsString() @IsNotEmpty() @MaxLength(2000)
  reason: string;
}

export class ListOrganisationsQuery {
  @ApiPropertyOptional({ example: 'LB', description: 'ISO 3166-1 alpha-2' }) @IsOptional() @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as LB' })
  country?: string;
  @ApiPropertyOptional({ example: 50, description: '1..200' }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200)
  limit?: number;
  /** Bounded so that a huge value is a 400 here rather than an out-of-range error from Postgres. */
  @ApiPropertyOptional({ example: 0, description: '0..1000000' }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  offset?: number;
}
