import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Remembered answers that hold a secret are dropped: until `POST /webhooks/subscriptions` stopped
 * taking `Idempotency-Key`, a keyed subscription's answer — its signing secret, which the
 * subscriptions table keeps only sealed — was kept here in the clear to be replayed. Without the
 * row, a retry with that key creates a new subscription (the route takes no key any more).
 */
export class IdempotencyAnswersWithoutSecrets1764001600000 implements MigrationInterface {
  name = 'IdempotencyAnswersWithoutSecrets1764001600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DELETE FROM idempotency_keys WHERE jsonb_typeof(response) = 'object' AND response ? 'secret'`);
  }

  async down(): Promise<void> {
    // What was deleted is gone, as it should be.
  }
}
