import { Module } from '@nestjs/common';
import { auditVerificationKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { AUDIT_VERIFICATION_KEY, AuditVerifyController } from './audit-verify.controller';

/** GET /audit/verify. Needs the global EVENT_STORE and TypeORM's DataSource (audit_seals). */
@Module({
  controllers: [AuditVerifyController],
  providers: [{ provide: AUDIT_VERIFICATION_KEY, useFactory: () => auditVerificationKeyFromEnv() }],
})
export class AuditVerifyModule {}
