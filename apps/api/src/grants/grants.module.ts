import { Module } from '@nestjs/common';
import { ReadModelsModule } from '@app/read-models/read-models.module';

/** HTTP routes, command handlers and queries of the grants area. */
@Module({
  imports: [ReadModelsModule],
  controllers: [],
  providers: [],
})
export class GrantsModule {}
