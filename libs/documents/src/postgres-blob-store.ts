import type { DataSource } from 'typeorm';
import type { BlobStore } from './blob-store';

/**
 * Blobs in the `document_blobs` table (migration DocumentBlobs1764001500000), through the
 * application's TypeORM pool: no pool of its own, so the connection budget is unchanged. A blob is
 * bounded by DOCUMENT_MAX_BYTES, so one `bytea` value per document is fine at that size.
 */
export class PostgresBlobStore implements BlobStore {
  constructor(private readonly dataSource: DataSource) {}

  async put(key: string, bytes: Buffer): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO document_blobs (key, bytes, size_bytes) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET bytes = EXCLUDED.bytes, size_bytes = EXCLUDED.size_bytes, stored_at = clock_timestamp()`,
      [key, bytes, bytes.length],
    );
  }

  async get(key: string): Promise<Buffer | null> {
    const rows = (await this.dataSource.query('SELECT bytes FROM document_blobs WHERE key = $1', [key])) as { bytes: Buffer }[];
    return rows[0]?.bytes ?? null;
  }

  async delete(key: string): Promise<boolean> {
    // A SELECT around the DELETE: TypeORM answers a bare DELETE with [rows, count], a SELECT with rows.
    const rows = (await this.dataSource.query('WITH deleted AS (DELETE FROM document_blobs WHERE key = $1 RETURNING key) SELECT count(*)::int AS n FROM deleted', [key])) as { n: number }[];
    return (rows[0]?.n ?? 0) > 0;
  }
}
