import type { EntityManager } from 'typeorm';

/** Checkpoints live next to the read models so that a row change and its checkpoint commit together. */
export async function loadCheckpoint(manager: EntityManager, projection: string): Promise<string | undefined> {
  const rows: { position: string }[] = await manager.query('SELECT position FROM projection_checkpoints WHERE name = $1', [projection]);
  return rows[0]?.position;
}

export async function saveCheckpoint(tx: EntityManager, projection: string, position: string): Promise<void> {
  await tx.query(
    `INSERT INTO projection_checkpoints (name, position, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
    [projection, position],
  );
}
