import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@app/platform';
import { ApiProblemResponses } from '../../http/problem';
import { AuditVerifications } from './audit-verifications';
import { AuditVerifyReportDto } from './audit-verify-report.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit/verify')
export class AuditVerifyController {
  constructor(private readonly verifications: AuditVerifications) {}

  @Get()
  @Roles('auditor', 'admin')
  @ApiOperation({
    summary: 'Recompute every stream hash chain and every signed seal of the global log',
    description:
      'Reads the whole log (in pages) and reports the first broken link: an altered, deleted, inserted or reordered event, ' +
      'or a seal whose hash or signature no longer holds. 200 in both cases: `ok` says which. The answer publishes the public key seals are checked with. ' +
      'One check runs at a time: a request made while one runs is answered with its report. The log is read and hashed in reader threads (AUDIT_VERIFY_THREADS; `readerThreads` says how many), ' +
      'so the API keeps answering other requests meanwhile. 503 with Retry-After when the database is unreachable or the server shuts down during the check.',
  })
  @ApiOkResponse({ type: AuditVerifyReportDto })
  @ApiProblemResponses(401, 403, 503)
  verify(): Promise<AuditVerifyReportDto> {
    return this.verifications.verify();
  }
}
