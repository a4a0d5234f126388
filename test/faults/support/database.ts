/** The test's own view of the database: a small pool, and the read-model visibility check. */
import { Pool } from 'pg';

export function testPool(databaseUrl: string): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 3_000, query_timeout: 30_000 });
  pool.on('error', () => undefined); // idle clients dropped by a restart: the next query reconnects
  return pool;
}

/** Retries a query while the database is unreachable (e.g. just after a restart), up to `timeoutMs`. */
export async function queryWithRetry<T extends object>(pool: Pool, text: string, values: unknown[] = [], timeoutMs = 30_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await pool.query<T>(text, values)).rows;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

export interface VisibilityResult {
  /** Acknowledged changes the `calls` read model did not show (id, acknowledged version, version seen or null). */
  missing: { id: string; acknowledged: number; seen: number | null }[];
  /** When the last of them became visible, from the start of the wait (or the whole wait when some never did). */
  ms: number;
}

/**
 * Polls the `calls` table directly until every acknowledged (id, version) shows at least that
 * version, or `timeoutMs` passes.
 */
export async function waitUntilCallsVisible(pool: Pool, acknowledged: ReadonlyMap<string, number>, timeoutMs: number): Promise<VisibilityResult> {
  const started = Date.now();
  const pending = new Map(acknowledged);
  const seen = new Map<string, number>();
  for (;;) {
    const ids = [...pending.keys()];
    for (let i = 0; i < ids.length; i += 5_000) {
      const chunk = ids.slice(i, i + 5_000);
      try {
        const { rows } = await pool.query<{ id: string; version: number }>('SELECT id::text AS id, version FROM calls WHERE id = ANY ($1::uuid[])', [chunk]);
        for (const row of rows) {
          seen.set(row.id, row.version);
          if (row.version >= (pending.get(row.id) ?? Infinity)) pending.delete(row.id);
        }
      } catch {
        /* database unreachable for a moment: try again on the next round */
      }
    }
    if (pending.size === 0) return { missing: [], ms: Date.now() - started };
    if (Date.now() - started >= timeoutMs) {
      return { missing: [...pending].map(([id, version]) => ({ id, acknowledged: version, seen: seen.get(id) ?? null })), ms: Date.now() - started };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
