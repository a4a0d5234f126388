import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Encrypted document contents for the PostgreSQL blob store: one row per content address
 * (`<subject>/<sha256>`). Rows hold ciphertext only; erasing the subject's personal-data key makes
 * them unreadable for good, wherever copies of the row survive (WAL, backups).
 */
export class DocumentBlobs1764001500000 implements MigrationInterface {
  name = 'DocumentBlobs1764001500000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE document_blobs (
        key text PRIMARY KEY,
        bytes bytea NOT NULL,
        size_bytes integer NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    // Ciphertext does not compress: skip TOAST's compression attempt.
    await runner.query('ALTER TABLE document_blobs ALTER COLUMN bytes SET STORAGE EXTERNAL');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE document_blobs');
  }
}
