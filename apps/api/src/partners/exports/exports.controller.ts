import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblemResponses, Roles } from '@app/platform';
import type { ThreeSixtyGivingPackage } from './three-sixty-giving';
import { ThreeSixtyGivingExport } from './three-sixty-giving.service';

@ApiTags('partners')
@ApiBearerAuth()
@Controller('exports')
export class ExportsController {
  constructor(private readonly threeSixtyGiving: ThreeSixtyGivingExport) {}

  @Get('360giving')
  @Roles('partner', 'admin', 'grant-manager', 'auditor')
  @ApiOperation({
    summary: 'Awarded grants as a 360Giving grant package (schema 1.4); recipients withheld unless they chose to be public',
    description:
      'Amounts in major units (decimal) of each grant\'s currency. A withheld recipient appears as "Withheld recipient" with a stable pseudonymous id, ' +
      'and its grant\'s title and description are generated from the call (nothing the applicant wrote). A public recipient appears by name.',
  })
  @ApiOkResponse({ description: '360Giving package: `{ version, grants: [...] }`', schema: { type: 'object', additionalProperties: true } })
  @ApiProblemResponses(401, 403)
  export(@Req() request: Request): Promise<ThreeSixtyGivingPackage> {
    return this.threeSixtyGiving.build(`${request.protocol}://${request.get('host') ?? 'localhost'}${request.originalUrl.split('?')[0]}`);
  }
}
