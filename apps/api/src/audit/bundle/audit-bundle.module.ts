import { Module } from '@nestjs/common';
import { auditVerificationKeyFromEnv } from '@app/application/audit/audit-signing-key';
import { AUDIT_BUNDLE_KEY, AuditBundleController } from './audit-bundle.controller';

/** GET /audit/streams/:streamId/bundle and /audit/calls/:callId/bundle. Needs the global EVENT_STORE, CLOCK and TypeORM's DataSource. */
@Module({
  controllers: [AuditBundleController],
  providers: [{ provide: AUDIT_BUNDLE_KEY, useFactory: () => auditVerificationKeyFromEnv() }],
})
export class AuditBundleModule {}
