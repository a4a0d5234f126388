import type { EntityManager } from 'typeorm';

/**
 * Writes a batch's folded rows in one statement: each row (a JSON object naming every column by its
 * SQL name) is inserted, or replaces the stored row when it carries a higher `version` — so a batch
 * redone after a crash, or a row a rebuild already wrote, is never moved backwards.
 */
export async function upsertNewerRows(tx: EntityManager, table: string, columns: readonly string[], rows: readonly object[]): Promise<void> {
  if (rows.length === 0) return;
  const updates = columns
    .filter((column) => column !== 'id')
    .map((column) => `${column} = EXCLUDED.${column}`)
    .join(', ');
  await tx.query(
    `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
     ON CONFLICT (id) DO UPDATE SET ${updates}
     WHERE ${table}.version < EXCLUDED.version`,
    [JSON.stringify(rows)],
  );
}
