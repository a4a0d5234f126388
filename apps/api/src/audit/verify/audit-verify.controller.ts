import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@app/event-store';
import { typeormAuditDb } from '@app/application/audit/audit-db';
import type { AuditVerificationKey } from '@app/application/audit/audit-signing-key';
import { verifyAuditLog } from '@app/application/audit/verify';
import { Roles } from '@app/platform';
import { ApiProblemResponses } from '../../http/problem';
import { DataSource } from 'typeorm';
import { AuditVerifyReportDto } from './audit-verify-report.dto';

export const AUDIT_VERIFICATION_KEY = Symbol('AUDIT_VERIFICATION_KEY');

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit/verify')
export class AuditVerifyController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly dataSource: DataSource,
    @Inject(AUDIT_VERIFICATION_KEY) private readonly key: AuditVerificationKey,
  ) {}

  @Get()
  @Roles('auditor', 'admin')
  @ApiOperation({
    summary: 'Recompute every stream hash chain and every signed seal of the global log',
    description:
      'Reads the whole log (in pages) and reports the first broken link: an altered, deleted, inserted or reordered event, ' +
      'or a seal whose hash or signature no longer holds. 200 in both cases: `ok` says which. The answer publishes the public key seals are checked with.',
  })
  @ApiOkResponse({ type: AuditVerifyReportDto })
  @ApiProblemResponses(401, 403)
  verify(): Promise<AuditVerifyReportDto> {
    return verifyAuditLog({ store: this.store, db: typeormAuditDb(this.dataSource), key: this.key });
  }
}
