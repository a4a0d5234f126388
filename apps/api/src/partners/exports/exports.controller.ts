import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '@app/platform';
import { ApiProblemResponses } from '../../http/problem';
import { APP_CONFIG, type AppConfig, publicUrl } from '@app/platform/config/app-config';
import type { ThreeSixtyGivingPackage } from './three-sixty-giving';
import { ThreeSixtyGivingExport } from './three-sixty-giving.service';

@ApiTags('partners')
@ApiBearerAuth()
@Controller('exports')
export class ExportsController {
  constructor(
    private readonly threeSixtyGiving: ThreeSixtyGivingExport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('360giving')
  @Roles('partner', 'admin', 'grant-manager', 'auditor')
  @ApiOperation({
    summary: 'Awarded grants as a 360Giving grant package (schema 1.4); recipients withheld unless they chose to be public',
    description:
      'Amounts in major units (decimal) of each grant\'s currency. A withheld recipient appears as "Withheld recipient" with a stable pseudonymous id, ' +
      'and its grant\'s title and description are generated from the call (nothing the applicant wrote). A public recipient appears by name. ' +
      'A terminated or closed grant carries `actualDates` (titled "Terminated" or "Closed") and the amount actually paid in `amountDisbursed`. ' +
      'Before the first award the answer is 204 No Content: a 360Giving package must hold at least one grant.',
  })
  @ApiOkResponse({ description: '360Giving package: `{ version, grants: [...] }`, at least one grant', schema: { type: 'object', additionalProperties: true } })
  @ApiNoContentResponse({ description: 'No grant has been awarded yet: there is nothing to publish (an empty package would not be valid 360Giving data)' })
  @ApiProblemResponses(401, 403)
  async export(@Res({ passthrough: true }) response: Response): Promise<ThreeSixtyGivingPackage | undefined> {
    // The published dataSource comes from PUBLIC_BASE_URL, never from the request: a forged Host or
    // X-Forwarded-Host would otherwise end up in open data that others republish.
    const exported = await this.threeSixtyGiving.build(publicUrl(this.config, 'exports/360giving'));
    if (exported === null) {
      response.status(HttpStatus.NO_CONTENT);
      return undefined;
    }
    return exported;
  }
}
