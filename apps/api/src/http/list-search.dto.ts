import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import type { ListSearch, OrganisationNameScope } from '@app/read-models/lists/list-search';

/** Longest `q` accepted: a title or a name, not a document. */
export const MAX_SEARCH_LENGTH = 200;

/** How a list describes an organisation's name beside its id. */
export const LIST_NAME_DESCRIPTION =
  'Its name as you may read it: your own organisation\'s, any organisation\'s for the programme team and auditors, otherwise only if it chose to be public ("Withheld recipient" if not); null if not registered (yet)';

/** Search and filters of the proposal and grant lists (JSON and CSV alike). */
export class ListSearchQuery {
  @ApiPropertyOptional({
    example: 'housing',
    maxLength: MAX_SEARCH_LENGTH,
    description:
      'Case-insensitive text search in the title and in the names of the lead (grantee) and partner organisations you may read; `%` and `_` are matched as themselves. Empty: no search.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SEARCH_LENGTH)
  q?: string;

  @ApiPropertyOptional({ example: 'LB', pattern: '^[A-Z]{2}$', description: "The lead (grantee) organisation's country, ISO 3166-1 alpha-2; a withheld organisation you may not read is never matched" })
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code such as LB' })
  country?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only where this organisation is the lead (grantee) or a partner' })
  @IsOptional()
  @IsUUID()
  organisationId?: string;
}

export function listSearchOf(query: ListSearchQuery, names: OrganisationNameScope): ListSearch {
  return { q: query.q, country: query.country, organisationId: query.organisationId, names };
}
