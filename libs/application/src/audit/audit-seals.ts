import type { AuditDb } from './audit-db';
import type { SealStatement } from './audit-signing-key';

export interface AuditSeal extends SealStatement {
  seq: number;
  signature: string;
}

interface SealRow {
  seq: string;
  position: string;
  event_count: string;
  chain_hash: string;
  key_id: string;
  signature: string;
  created_at: Date;
}

const UNDEFINED_TABLE = '42P01';
const COLUMNS = 'seq, position, event_count, chain_hash, key_id, signature, created_at';

/** Every seal in `seq` order. Seals are few (one per thousand events or so), so they fit in memory. */
export async function loadSeals(db: AuditDb): Promise<AuditSeal[]> {
  try {
    const rows = await db.query<SealRow>(`SELECT ${COLUMNS} FROM audit_seals ORDER BY seq`);
    return rows.map(toSeal);
  } catch (error) {
    // A database the audit migration never ran on has no seals yet.
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return [];
    throw error;
  }
}

export async function latestSeal(db: AuditDb): Promise<AuditSeal | undefined> {
  const rows = await db.query<SealRow>(`SELECT ${COLUMNS} FROM audit_seals ORDER BY event_count DESC LIMIT 1`);
  return rows[0] && toSeal(rows[0]);
}

/**
 * Stores a seal only if `previousCount` is still the latest sealed count: a second sealer that
 * raced this one finds its seal refused (and the unique event_count guards the same race).
 */
export async function insertSeal(db: AuditDb, seal: Omit<AuditSeal, 'seq'>, previousCount: number): Promise<AuditSeal | undefined> {
  const rows = await db.query<SealRow>(
    `INSERT INTO audit_seals (position, event_count, chain_hash, key_id, signature, created_at)
     SELECT $1, $2, $3, $4, $5, $6
      WHERE coalesce((SELECT max(event_count) FROM audit_seals), 0) = $7
     RETURNING ${COLUMNS}`,
    [seal.position, seal.eventCount, seal.chainHash, seal.keyId, seal.signature, seal.createdAt, previousCount],
  );
  return rows[0] && toSeal(rows[0]);
}

function toSeal(row: SealRow): AuditSeal {
  return {
    seq: Number(row.seq),
    position: row.position,
    eventCount: Number(row.event_count),
    chainHash: row.chain_hash,
    keyId: row.key_id,
    signature: row.signature,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
