import type { Pool } from 'pg';

/**
 * The little SQL the audit code needs, so it runs on a TypeORM DataSource (the worker, the API) as
 * well as on a plain pg Pool (the CLI scripts).
 */
export interface AuditDb {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export function poolAuditDb(pool: Pool): AuditDb {
  return {
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      const result = await pool.query(sql, params);
      return result.rows as T[];
    },
  };
}

/** TypeORM's DataSource and EntityManager both fit: `query` returns the rows of a SELECT or RETURNING. */
export function typeormAuditDb(source: { query(sql: string, params?: unknown[]): Promise<unknown> }): AuditDb {
  return { query: async <T>(sql: string, params: unknown[] = []) => (await source.query(sql, params)) as T[] };
}
