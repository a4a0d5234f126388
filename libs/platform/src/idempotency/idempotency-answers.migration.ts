import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys are no longer claimed before a command runs (the log records that a keyed
 * command ran): rows left "pending" by a crash under the old scheme are dropped, and every row is
 * a remembered answer from now on.
 */
export class IdempotencyAnswers1764001100000 implements MigrationInterface {
  name = 'IdempotencyAnswers1764001100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DELETE FROM idempotency_keys WHERE state <> 'done' OR status IS NULL`);
    await runner.query(`ALTER TABLE idempotency_keys ALTER COLUMN status SET NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE idempotency_keys ALTER COLUMN status DROP NOT NULL`);
  }
}
