import type { EntityManager } from 'typeorm';
import { quoteIdent } from './shadow-schema';

/** One row that differs between the live and the rebuilt table. Values are never reported: they may be personal data. */
export interface RowDifference {
  table: string;
  /** Primary-key columns and values of the row. */
  key: Record<string, unknown>;
  kind: 'missing-in-live' | 'missing-in-rebuild' | 'different';
  /** The columns whose values differ (every column for a missing row). */
  columns: string[];
}

export interface TableComparison {
  table: string;
  liveRows: number;
  rebuiltRows: number;
  differences: RowDifference[];
}

/**
 * Compares a live table with its rebuilt copy, row by row on the primary key and column by column
 * (IS DISTINCT FROM: NULLs compare equal, jsonb by value). Every column takes part: projections
 * derive every column, timestamps included, from the events (recorded time or event data), never
 * from the clock of the moment they run, so nothing may legitimately differ. Run it inside one
 * REPEATABLE READ transaction to compare a single snapshot of both.
 */
export async function compareTables(manager: EntityManager, liveSchema: string, rebuiltSchema: string, table: string): Promise<TableComparison> {
  const columns: { name: string }[] = await manager.query(
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [liveSchema, table],
  );
  const keys: { name: string }[] = await manager.query(
    `SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [`${quoteIdent(liveSchema)}.${quoteIdent(table)}`],
  );
  if (keys.length === 0) throw new Error(`Table ${table} has no primary key: rows cannot be matched`);
  const live = `${quoteIdent(liveSchema)}.${quoteIdent(table)}`;
  const rebuilt = `${quoteIdent(rebuiltSchema)}.${quoteIdent(table)}`;
  const q = (name: string) => quoteIdent(name);
  const differs = columns.map((c) => `l.${q(c.name)} IS DISTINCT FROM r.${q(c.name)}`);
  const firstKey = q(keys[0].name);
  const rows: { key: Record<string, unknown>; missing_in_live: boolean; missing_in_rebuild: boolean; columns: string[] }[] = await manager.query(
    `SELECT jsonb_build_object(${keys.map((k) => `'${k.name.replace(/'/g, "''")}', coalesce(l.${q(k.name)}, r.${q(k.name)})`).join(', ')}) AS key,
            l.${firstKey} IS NULL AS missing_in_live,
            r.${firstKey} IS NULL AS missing_in_rebuild,
            array_remove(ARRAY[${columns.map((c, i) => `CASE WHEN ${differs[i]} THEN '${c.name.replace(/'/g, "''")}' END`).join(', ')}]::text[], NULL) AS columns
       FROM ${live} l
       FULL JOIN ${rebuilt} r ON ${keys.map((k) => `l.${q(k.name)} = r.${q(k.name)}`).join(' AND ')}
      WHERE l.${firstKey} IS NULL OR r.${firstKey} IS NULL OR ${differs.join(' OR ')}
      ORDER BY ${keys.map((k) => `coalesce(l.${q(k.name)}, r.${q(k.name)})`).join(', ')}`,
  );
  const counts: { live: string; rebuilt: string }[] = await manager.query(`SELECT (SELECT count(*) FROM ${live}) AS live, (SELECT count(*) FROM ${rebuilt}) AS rebuilt`);
  return {
    table,
    liveRows: Number(counts[0].live),
    rebuiltRows: Number(counts[0].rebuilt),
    differences: rows.map((row) => ({
      table,
      key: row.key,
      kind: row.missing_in_live ? 'missing-in-live' : row.missing_in_rebuild ? 'missing-in-rebuild' : 'different',
      columns: row.columns,
    })),
  };
}
