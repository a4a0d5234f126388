import { Module } from '@nestjs/common';
import { GRANT_COMMAND_HANDLERS } from '@app/application/grants/grant-commands';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { GrantsController } from './grants.controller';

/** HTTP routes, command handlers and queries of the grants area. */
@Module({
  imports: [ReadModelsModule],
  controllers: [GrantsController],
  providers: [...GRANT_COMMAND_HANDLERS],
})
export class GrantsModule {}
