import { type DynamicModule, Module } from '@nestjs/common';
import { auditVerificationKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { AuditVerifyController } from './audit-verify.controller';
import { AUDIT_VERIFICATION_KEY, AUDIT_VERIFY_OPTIONS, AuditVerifications, type AuditVerifyOptions } from './audit-verifications';

/** GET /audit/verify. Needs the global EVENT_STORE and TypeORM's DataSource (audit_seals). */
@Module({})
export class AuditVerifyModule {
  static forRoot(options: AuditVerifyOptions = {}): DynamicModule {
    return {
      module: AuditVerifyModule,
      controllers: [AuditVerifyController],
      providers: [{ provide: AUDIT_VERIFICATION_KEY, useFactory: () => auditVerificationKeyFromEnv() }, { provide: AUDIT_VERIFY_OPTIONS, useValue: options }, AuditVerifications],
    };
  }
}
