import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One data key per subject, held outside the log and wrapped with the master key. Erasure nulls
 * `wrapped_key` (crypto-shredding: every ciphertext under it becomes unreadable) and keeps the row
 * as a record of when. A subject that gets personal data again after an erasure gets a fresh key
 * (new `key_id`), so the old ciphertexts stay unreadable.
 */
export class PersonalDataKeys1764000150000 implements MigrationInterface {
  name = 'PersonalDataKeys1764000150000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE personal_data_keys (
        subject text PRIMARY KEY,
        key_id uuid NOT NULL,
        wrapped_key bytea,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        erased_at timestamptz,
        CONSTRAINT personal_data_keys_erased_has_no_key CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE personal_data_keys');
  }
}
