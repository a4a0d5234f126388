import { GuardedClient } from '@app/platform/database/pg-pool';
import { Pool } from 'pg';

/** A subject's data key as stored: wrapped with the master key, or `null` once erased. */
export interface StoredSubjectKey {
  keyId: string;
  wrappedKey: Buffer | null;
}

/** Where per-subject data keys live: outside the log, so deleting one shreds without touching events. */
export interface PersonalDataKeyStore {
  find(subject: string): Promise<StoredSubjectKey | undefined>;
  /** The keys of several subjects in one look-up; a subject that never had a key is absent. */
  findMany(subjects: readonly string[]): Promise<Map<string, StoredSubjectKey>>;
  /**
   * Stores `candidate` unless the subject already has a live key; answers the live key either way
   * (ours, or the one a concurrent writer stored first). An erased key is replaced, never revived.
   */
  createIfAbsent(subject: string, candidate: { keyId: string; wrappedKey: Buffer }): Promise<StoredSubjectKey>;
  /**
   * Destroys the subject's key material. With `createdNoLaterThan`, only a key created at or before
   * that time (a key created later can only protect data recorded after the erasure). Idempotent.
   */
  erase(subject: string, options?: { createdNoLaterThan?: Date }): Promise<boolean>;
  close(): Promise<void>;
}

interface KeyRow {
  key_id: string;
  wrapped_key: Buffer | null;
}

const toStored = (row: KeyRow): StoredSubjectKey => ({ keyId: row.key_id, wrappedKey: row.wrapped_key });

/** The `personal_data_keys` table (migration PersonalDataKeys1764000150000), over a small pool of its own. */
export class PostgresPersonalDataKeyStore implements PersonalDataKeyStore {
  private readonly pool: Pool;

  constructor(connectionString: string, onError: (message: string) => void = () => undefined) {
    this.pool = new Pool({ Client: GuardedClient, connectionString, max: 3, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
    // An idle client's connection error must not crash the process; the next query reconnects.
    this.pool.on('error', (error) => onError(`personal-data key store connection error: ${error.message}`));
  }

  async find(subject: string): Promise<StoredSubjectKey | undefined> {
    const { rows } = await this.pool.query<KeyRow>('SELECT key_id, wrapped_key FROM personal_data_keys WHERE subject = $1', [subject]);
    return rows[0] ? toStored(rows[0]) : undefined;
  }

  async findMany(subjects: readonly string[]): Promise<Map<string, StoredSubjectKey>> {
    if (subjects.length === 0) return new Map();
    const { rows } = await this.pool.query<KeyRow & { subject: string }>(
      'SELECT subject, key_id, wrapped_key FROM personal_data_keys WHERE subject = ANY ($1::text[])',
      [[...subjects]],
    );
    return new Map(rows.map((row) => [row.subject, toStored(row)]));
  }

  async createIfAbsent(subject: string, candidate: { keyId: string; wrappedKey: Buffer }): Promise<StoredSubjectKey> {
    const { rows } = await this.pool.query<KeyRow>(
      `INSERT INTO personal_data_keys (subject, key_id, wrapped_key, created_at) VALUES ($1, $2, $3, clock_timestamp())
       ON CONFLICT (subject) DO UPDATE
         SET key_id = EXCLUDED.key_id, wrapped_key = EXCLUDED.wrapped_key, created_at = clock_timestamp(), erased_at = NULL
         WHERE personal_data_keys.wrapped_key IS NULL
       RETURNING key_id, wrapped_key`,
      [subject, candidate.keyId, candidate.wrappedKey],
    );
    if (rows[0]) return toStored(rows[0]);
    const live = await this.find(subject);
    if (!live?.wrappedKey) throw new Error(`No live personal-data key for ${subject} after creating one`);
    return live;
  }

  async erase(subject: string, options: { createdNoLaterThan?: Date } = {}): Promise<boolean> {
    // Nulls the key material; PostgreSQL reclaims the old row version at the next VACUUM.
    const result = await this.pool.query(
      `UPDATE personal_data_keys SET wrapped_key = NULL, erased_at = clock_timestamp()
        WHERE subject = $1 AND wrapped_key IS NOT NULL AND ($2::timestamptz IS NULL OR created_at <= $2::timestamptz)`,
      [subject, options.createdNoLaterThan ?? null],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** For unit tests: the same semantics in memory. */
export class InMemoryPersonalDataKeyStore implements PersonalDataKeyStore {
  readonly rows = new Map<string, { keyId: string; wrappedKey: Buffer | null; createdAt: Date; erasedAt: Date | null }>();

  async find(subject: string): Promise<StoredSubjectKey | undefined> {
    const row = this.rows.get(subject);
    return row ? { keyId: row.keyId, wrappedKey: row.wrappedKey } : undefined;
  }

  async findMany(subjects: readonly string[]): Promise<Map<string, StoredSubjectKey>> {
    const found = new Map<string, StoredSubjectKey>();
    for (const subject of subjects) {
      const row = this.rows.get(subject);
      if (row) found.set(subject, { keyId: row.keyId, wrappedKey: row.wrappedKey });
    }
    return found;
  }

  async createIfAbsent(subject: string, candidate: { keyId: string; wrappedKey: Buffer }): Promise<StoredSubjectKey> {
    const row = this.rows.get(subject);
    if (row?.wrappedKey) return { keyId: row.keyId, wrappedKey: row.wrappedKey };
    this.rows.set(subject, { ...candidate, createdAt: new Date(), erasedAt: null });
    return { ...candidate };
  }

  async erase(subject: string, options: { createdNoLaterThan?: Date } = {}): Promise<boolean> {
    const row = this.rows.get(subject);
    if (!row?.wrappedKey) return false;
    if (options.createdNoLaterThan && row.createdAt.getTime() > options.createdNoLaterThan.getTime()) return false;
    this.rows.set(subject, { ...row, wrappedKey: null, erasedAt: new Date() });
    return true;
  }

  async close(): Promise<void> {}
}
