import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Derived, disposable copies of streams folded by a decider (see decider-snapshots.ts): the state
 * after `stream_version + 1` events, sealed under the personal-data keys it was decrypted with
 * (`keys`), so that erasing any of them shreds the copy with the events. `decider` names the
 * decider; `fingerprint` identifies its code (a row of another fingerprint is never read, and the
 * next copy written replaces it). One row per stream and decider, replaced by later versions.
 * Truncating the table at any time is safe.
 */
export class DeciderSnapshots1764001800000 implements MigrationInterface {
  name = 'DeciderSnapshots1764001800000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE decider_snapshots (
        stream_id text NOT NULL,
        decider text NOT NULL,
        fingerprint text NOT NULL,
        stream_version bigint NOT NULL,
        keys jsonb NOT NULL,
        sealed bytea NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT decider_snapshots_pkey PRIMARY KEY (stream_id, decider)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE decider_snapshots');
  }
}
