import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { publicEventCatalogue } from '@app/application/public-events';
import { Roles } from '@app/platform';
import { ApiProblemResponses } from '../../http/problem';

export class CatalogueVersionDto {
  @ApiProperty({ example: 1 }) version: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema (draft 2020-12) of the whole public event, with an example' })
  schema: Record<string, unknown>;
}

export class CatalogueEntryDto {
  @ApiProperty({ example: 'grant.awarded' }) type: string;
  @ApiProperty({ description: 'The version the feed, the stream and webhooks emit today', example: 1 }) currentVersion: number;
  @ApiProperty() description: string;
  @ApiProperty({ type: [CatalogueVersionDto] }) versions: CatalogueVersionDto[];
}

export class CatalogueDto {
  @ApiProperty({ type: [CatalogueEntryDto] }) events: CatalogueEntryDto[];
}

@ApiTags('partners')
@ApiBearerAuth()
@Controller('events')
export class CatalogueController {
  @Get('catalogue')
  @Roles('partner', 'admin', 'grant-manager', 'auditor')
  @ApiOperation({ summary: 'The public event types with their versioned JSON Schemas (the contract of the feed, the stream and webhooks)' })
  @ApiOkResponse({ type: CatalogueDto })
  @ApiProblemResponses(401, 403)
  catalogue(): CatalogueDto {
    return { events: publicEventCatalogue() };
  }
}
