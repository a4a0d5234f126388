import type { QueryRunner } from 'typeorm';

/**
 * A migration step for a read model whose existing rows cannot be brought to a new shape in SQL:
 * its tables emptied (TRUNCATE: a new, empty file; the old one goes at commit), its projection's
 * checkpoint back to the start of the log, and any rebuild schemas made with the old columns
 * dropped. The worker then refills the tables from the log.
 */
export async function emptyReadModelForRebuild(runner: QueryRunner, projection: string, tables: readonly string[]): Promise<void> {
  await runner.query(`TRUNCATE ${tables.join(', ')}`);
  await runner.query(`UPDATE log_consumers SET position = NULL, updated_at = now() WHERE name = $1`, [projection]);
  await runner.query(`DROP SCHEMA IF EXISTS rebuild_${projection} CASCADE`);
  await runner.query(`DROP SCHEMA IF EXISTS rebuild_${projection}_previous CASCADE`);
}
