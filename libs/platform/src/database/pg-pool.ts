import type { Pool, QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * The pg pool under a TypeORM PostgreSQL data source, for hot reads that skip the query builder and
 * entity hydration: a named (prepared) statement on a pooled connection, mapped by hand. Shares the
 * data source's connections and limits (size, acquire timeout), so an outage surfaces as the same pg
 * errors the exception filter answers 503 for.
 */
export function pgPoolOf(dataSource: DataSource): Pool {
  const master = (dataSource.driver as { master?: Pool }).master;
  if (dataSource.options.type !== 'postgres' || !master) throw new Error('pgPoolOf: not a connected PostgreSQL data source');
  return master;
}

/**
 * Rows of one statement: on the manager's own connection when it is bound to one (a transaction, e.g.
 * an as-of replay into temporary tables that shadow the live ones), else as a named prepared statement
 * on the pool.
 */
export async function queryRows<R extends QueryResultRow>(manager: EntityManager, statement: { name: string; text: string; values: unknown[] }): Promise<R[]> {
  if (manager.queryRunner) return (await manager.query(statement.text, statement.values)) as R[];
  return (await pgPoolOf(manager.connection).query<R>(statement)).rows;
}
