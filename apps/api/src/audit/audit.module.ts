import { Global, Module } from '@nestjs/common';
import { AsOfReadModels, AsOfReplay } from '@app/application/audit/as-of';
import { DecisionDossiers } from '@app/application/audit/dossier';
import { AuditHistory } from '@app/application/audit/history';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { AuditController } from './audit.controller';

/**
 * Audit routes (history, log, decision dossiers), and the as-of reads the GET-by-id routes of
 * calls, organisations, proposals and grants use for `?asOf=` (global, so those feature modules
 * need no change to inject AsOfReadModels).
 */
@Global()
@Module({
  imports: [ReadModelsModule],
  controllers: [AuditController],
  providers: [AsOfReplay, AsOfReadModels, AuditHistory, DecisionDossiers],
  exports: [AsOfReadModels],
})
export class AuditModule {}
