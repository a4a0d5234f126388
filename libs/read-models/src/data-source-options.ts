import { eventStoreMigrations } from '@app/event-store';
import { IdempotencyKeys1764000100000 } from '@app/platform/idempotency/idempotency.migration';
import type { DataSourceOptions } from 'typeorm';
import { CallView } from './calls/call-view.entity';
import { ReadModels1764000200000 } from './migrations/read-models.migration';

export const READ_MODEL_ENTITIES = [CallView];

/** One database holds the embedded event store, the read models and the API's own tables. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: READ_MODEL_ENTITIES,
    migrations: [...eventStoreMigrations, IdempotencyKeys1764000100000, ReadModels1764000200000],
    migrationsRun: true,
    // Migrations run one after another in their own transactions; a second process starting at the
    // same time waits on TypeORM's lock rather than racing.
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  };
}
