import type { EntityManager } from 'typeorm';

/** Double-quotes an SQL identifier. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The schema a projection is rebuilt into: `rebuild_<name>`, lower case, letters, digits and underscores only. */
export function shadowSchemaOf(projection: string): string {
  return `rebuild_${projection.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

/** Where a swap keeps the tables it replaced, until the next swap of the same projection. */
export const previousSchemaOf = (projection: string) => `${shadowSchemaOf(projection)}_previous`;

/** Bookkeeping of a rebuild, in its shadow schema: where it is in the log, committed with each batch. */
export const REBUILD_STATE_TABLE = 'rebuild_state';

export interface RebuildState {
  position: string | null;
  eventsApplied: number;
  startedAt: Date;
}

export async function readRebuildState(manager: EntityManager, schema: string): Promise<RebuildState | undefined> {
  const exists: { found: boolean }[] = await manager.query(`SELECT to_regclass($1) IS NOT NULL AS found`, [`${quoteIdent(schema)}.${REBUILD_STATE_TABLE}`]);
  if (!exists[0]?.found) return undefined;
  const rows: { position: string | null; events_applied: string; started_at: Date }[] = await manager.query(
    `SELECT position, events_applied, started_at FROM ${quoteIdent(schema)}.${REBUILD_STATE_TABLE} WHERE id = 1`,
  );
  const row = rows[0];
  return row && { position: row.position, eventsApplied: Number(row.events_applied), startedAt: row.started_at };
}

/**
 * Creates the shadow schema in one transaction (so a crash leaves either nothing or a complete
 * start): an empty copy of each live table with the same columns, defaults, check and primary-key
 * / unique constraints under the same names, and the rebuild's own position. Secondary indexes come
 * later (`createSecondaryIndexes`): building them once at the end is faster than maintaining them
 * row by row, and they carry the live names so that a swap leaves the schema exactly as migrated.
 */
export async function createShadowSchema(manager: EntityManager, schema: string, tables: readonly string[]): Promise<void> {
  const s = quoteIdent(schema);
  await manager.query(`CREATE SCHEMA ${s}`);
  for (const table of tables) {
    const t = quoteIdent(table);
    await manager.query(`CREATE TABLE ${s}.${t} (LIKE public.${t} INCLUDING ALL EXCLUDING INDEXES)`);
    const constraints: { name: string; definition: string }[] = await manager.query(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x') ORDER BY conname`,
      [`public.${t}`],
    );
    for (const constraint of constraints) {
      await manager.query(`ALTER TABLE ${s}.${t} ADD CONSTRAINT ${quoteIdent(constraint.name)} ${constraint.definition}`);
    }
    // Unique indexes that back no constraint may be ON CONFLICT targets of a projection: needed from the start.
    for (const index of await secondaryIndexes(manager, table)) if (index.unique) await createIndexLike(manager, schema, table, index.definition);
  }
  await manager.query(
    `CREATE TABLE ${s}.${REBUILD_STATE_TABLE} (
       id int PRIMARY KEY CHECK (id = 1), position text, events_applied bigint NOT NULL DEFAULT 0,
       started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`,
  );
  await manager.query(`INSERT INTO ${s}.${REBUILD_STATE_TABLE} (id) VALUES (1)`);
}

/** Builds the live tables' remaining indexes on the shadow tables, under the same names (idempotent). */
export async function createSecondaryIndexes(manager: EntityManager, schema: string, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    for (const index of await secondaryIndexes(manager, table)) if (!index.unique) await createIndexLike(manager, schema, table, index.definition);
    await manager.query(`ANALYZE ${quoteIdent(schema)}.${quoteIdent(table)}`);
  }
}

async function secondaryIndexes(manager: EntityManager, table: string): Promise<{ unique: boolean; definition: string }[]> {
  return manager.query(
    `SELECT i.indisunique AS unique, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
      WHERE i.indrelid = $1::regclass
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
      ORDER BY i.indexrelid`,
    [`public.${quoteIdent(table)}`],
  );
}

async function createIndexLike(manager: EntityManager, schema: string, table: string, definition: string): Promise<void> {
  // pg_get_indexdef: CREATE [UNIQUE] INDEX name ON [ONLY] public.table USING ...; the index lands in its table's schema.
  const statement = definition
    .replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ')
    .replace(/ ON (ONLY )?\S+ USING /, ` ON ${quoteIdent(schema)}.${quoteIdent(table)} USING `);
  if (statement === definition) throw new Error(`Cannot copy index definition of ${table}: ${definition}`);
  await manager.query(statement);
}

/**
 * Puts the rebuilt tables live in the caller's transaction: the live tables move to the
 * `_previous` schema (kept for inspection or a manual rollback until the next swap), the rebuilt
 * ones to `public`, and the live checkpoint becomes the rebuild's position, so the worker carries
 * on from exactly where the rebuild stopped.
 */
export async function swapShadowSchema(manager: EntityManager, projection: string, tables: readonly string[], position: string | null): Promise<void> {
  const shadow = quoteIdent(shadowSchemaOf(projection));
  const previous = quoteIdent(previousSchemaOf(projection));
  await manager.query(`DROP SCHEMA IF EXISTS ${previous} CASCADE`);
  await manager.query(`CREATE SCHEMA ${previous}`);
  for (const table of tables) {
    const t = quoteIdent(table);
    await manager.query(`ALTER TABLE public.${t} SET SCHEMA ${previous}`);
    await manager.query(`ALTER TABLE ${shadow}.${t} SET SCHEMA public`);
  }
  // The caller holds the consumer's lease (ProjectionRebuild.swap): no live worker writes meanwhile.
  await manager.query(
    `INSERT INTO public.log_consumers (name, position, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
    [projection, position],
  );
  await manager.query(`DROP SCHEMA ${shadow} CASCADE`);
}
