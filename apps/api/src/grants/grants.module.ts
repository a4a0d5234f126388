import { Module } from '@nestjs/common';
import { GRANT_DOCUMENT_HANDLERS } from '@app/application/documents/grant-documents';
import { DocumentsModule } from '@app/application/documents/documents.module';
import { GRANT_COMMAND_HANDLERS } from '@app/application/grants/grant-commands';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { GrantDocumentsController } from './grant-documents.controller';
import { GrantFinanceController } from './grant-finance.controller';
import { GrantsController } from './grants.controller';

/** HTTP routes, command handlers and queries of the grants area. */
@Module({
  imports: [ReadModelsModule, DocumentsModule],
  controllers: [GrantsController, GrantDocumentsController, GrantFinanceController],
  providers: [...GRANT_COMMAND_HANDLERS, ...GRANT_DOCUMENT_HANDLERS],
})
export class GrantsModule {}
