import type { EntityManager } from 'typeorm';

/** A consumer's checkpoint in `log_consumers` (see @app/log-consumers), for rebuilds and tests. */
export async function loadCheckpoint(manager: EntityManager, consumer: string): Promise<string | undefined> {
  const rows: { position: string | null }[] = await manager.query('SELECT position FROM log_consumers WHERE name = $1', [consumer]);
  return rows[0]?.position ?? undefined;
}
