import { eventStoreMigrations } from '@app/event-store';
import { AsOfSnapshots1764000900000 } from '@app/grants/application/audit/as-of/as-of-snapshots.migration';
import { AuditSeals1764000250000 } from '@app/grants/application/audit/audit-seals.migration';
import { PersonalDataKeys1764000150000 } from '@app/grants/application/personal-data/personal-data-keys.migration';
import { IdempotencyAnswers1764001100000 } from '@app/platform/idempotency/idempotency-answers.migration';
import { IdempotencyKeys1764000100000 } from '@app/platform/idempotency/idempotency.migration';
import { LogConsumers1764001000000 } from '@app/log-consumers/log-consumers.migration';
import type { DataSourceOptions } from 'typeorm';
import { ReadModels1764000200000 } from './migrations/read-models.migration';
import { READ_MODEL_ENTITIES, READ_MODEL_MIGRATIONS } from './registry';

/** Migrations of the app's own tables that are not read models (e.g. personal-data keys), in order. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const PLATFORM_MIGRATIONS: Function[] = [IdempotencyKeys1764000100000, PersonalDataKeys1764000150000, AuditSeals1764000250000, AsOfSnapshots1764000900000];

export interface PoolSettings {
  /** Connections in this pool at most (DB_POOL_SIZE). */
  size?: number;
  /** How long a caller waits for a free connection before an error (DB_POOL_ACQUIRE_TIMEOUT_MS). */
  acquireTimeoutMs?: number;
}

/**
 * One database holds the embedded event store, the read models and the API's own tables. The pool
 * is bounded and so is the wait for one of its connections: exhaustion is an error that callers
 * retry (log consumers) or answer 503 for (HTTP), never a hang.
 */
export function dataSourceOptions(url: string, pool: PoolSettings = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    poolSize: pool.size ?? 10,
    extra: { connectionTimeoutMillis: pool.acquireTimeoutMs ?? 5_000, idleTimeoutMillis: 30_000 },
    entities: READ_MODEL_ENTITIES,
    migrations: [...eventStoreMigrations, ...PLATFORM_MIGRATIONS, ReadModels1764000200000, ...READ_MODEL_MIGRATIONS, LogConsumers1764001000000, IdempotencyAnswers1764001100000],
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  };
}
