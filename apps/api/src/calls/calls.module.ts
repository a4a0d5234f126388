import { Module } from '@nestjs/common';
import { ExecuteCallCommandHandler } from '@app/application/calls/call-commands';
import { ReadModelsModule } from '@app/read-models/read-models.module';
import { CallsController } from './calls.controller';

@Module({
  imports: [ReadModelsModule],
  controllers: [CallsController],
  providers: [ExecuteCallCommandHandler],
})
export class CallsModule {}
