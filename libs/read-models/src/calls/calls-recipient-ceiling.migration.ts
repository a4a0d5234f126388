import type { MigrationInterface, QueryRunner } from 'typeorm';
import { emptyReadModelForRebuild } from '../empty-for-rebuild';

/**
 * `recipient_ceiling_minor`: the ceiling per recipient a call states for itself (CallDrafted's
 * optional `recipientCeilingMinor`; null when it states none and the configured one applies), which
 * `GET /calls/:id` shows with the configured one it falls back to (`recipientCeiling`). Rows written
 * before hold none, so the read model is rebuilt from the log.
 */
export class CallsRecipientCeiling1764002200000 implements MigrationInterface {
  name = 'CallsRecipientCeiling1764002200000';

  async up(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'calls', ['calls']);
    await runner.query('ALTER TABLE calls ADD COLUMN recipient_ceiling_minor bigint');
  }

  async down(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'calls', ['calls']);
    await runner.query('ALTER TABLE calls DROP COLUMN recipient_ceiling_minor');
  }
}
