import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PROJECTIONS } from './projection/projection';
import { createProjections, READ_MODEL_ENTITIES, READ_MODEL_QUERIES } from './registry';

@Module({
  imports: [TypeOrmModule.forFeature(READ_MODEL_ENTITIES as never)],
  providers: [...READ_MODEL_QUERIES, { provide: PROJECTIONS, useFactory: createProjections }],
  exports: [...READ_MODEL_QUERIES, PROJECTIONS],
})
export class ReadModelsModule {}
