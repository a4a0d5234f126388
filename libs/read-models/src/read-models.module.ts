import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CallsProjection } from './calls/calls.projection';
import { CallsQuery } from './calls/calls.query';
import { READ_MODEL_ENTITIES } from './data-source-options';
import { PROJECTIONS } from './projection/projection';

@Module({
  imports: [TypeOrmModule.forFeature(READ_MODEL_ENTITIES)],
  providers: [CallsQuery, { provide: PROJECTIONS, useFactory: () => [new CallsProjection()] }],
  exports: [CallsQuery, PROJECTIONS],
})
export class ReadModelsModule {}
