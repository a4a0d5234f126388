import { eventStoreMigrations } from '@app/event-store';
import { PersonalDataKeys1764000150000 } from '@app/personal-data/personal-data-keys.migration';
import { IdempotencyAnswers1764001100000 } from '@app/platform/idempotency/idempotency-answers.migration';
import { IdempotencyAnswersWithoutSecrets1764001600000 } from '@app/platform/idempotency/idempotency-answers-without-secrets.migration';
import { GuardedClient } from '@app/platform/database/pg-pool';
import { IdempotencyKeys1764000100000 } from '@app/platform/idempotency/idempotency.migration';
import { LogConsumers1764001000000 } from '@app/log-consumers/log-consumers.migration';
import { types } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { ReadModels1764000200000 } from './migrations/read-models.migration';
import { READ_MODEL_ENTITIES, READ_MODEL_MIGRATIONS } from './registry';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type MigrationList = Function[];

/**
 * The migrations of every table at or below this library: the embedded event store, idempotency
 * answers, personal-data keys, log-consumer checkpoints and the read models. The apps add their own
 * (the application's audit tables, see @app/application/database-options) and pass the whole list.
 */
export const READ_SIDE_MIGRATIONS: MigrationList = [
  ...eventStoreMigrations,
  IdempotencyKeys1764000100000,
  PersonalDataKeys1764000150000,
  ReadModels1764000200000,
  ...READ_MODEL_MIGRATIONS,
  LogConsumers1764001000000,
  IdempotencyAnswers1764001100000,
  IdempotencyAnswersWithoutSecrets1764001600000,
];

export interface PoolSettings {
  /** The schema's migrations, run at start (TypeORM orders them by their timestamps); default READ_SIDE_MIGRATIONS. */
  migrations?: MigrationList;
  /** Connections in this pool at most (DB_POOL_SIZE). */
  size?: number;
  /** How long a caller waits for a free connection before an error (DB_POOL_ACQUIRE_TIMEOUT_MS). */
  acquireTimeoutMs?: number;
}

const DATE_OID = 1082;

/**
 * A `date` as ISO 8601 text, as the read models were given it (`grants`' due dates and period), not
 * a JavaScript `Date`: the driver's parser builds one at local midnight and maps a year below 100
 * into the 1900s, so the year PostgreSQL calls 1 BC (ISO's year 0000, written so by the grants
 * projection's `pgDate`) read `0000-03-01` for `0000-02-29`. A year BC is given in ISO's
 * astronomical numbering (1 BC is 0000).
 */
export function isoDay(text: string): string {
  const bc = /^(\d+)(-\d\d-\d\d) BC$/.exec(text);
  if (bc === null) return text;
  const year = Number(bc[1]) - 1;
  return `${year === 0 ? '' : '-'}${String(year).padStart(4, '0')}${bc[2]}`;
}

const readModelTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === DATE_OID ? isoDay : types.getTypeParser(oid, format as 'text'))) as typeof types.getTypeParser,
};

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
    extra: { Client: GuardedClient, types: readModelTypes, connectionTimeoutMillis: pool.acquireTimeoutMs ?? 5_000, idleTimeoutMillis: 30_000 },
    entities: READ_MODEL_ENTITIES,
    migrations: pool.migrations ?? READ_SIDE_MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  };
}
