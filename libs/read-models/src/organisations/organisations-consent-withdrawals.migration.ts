import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adds when each organisation withdrew its publication consent (public → withheld), so that grants
 * awarded after a withdrawal show it under a new pseudonym. Rows built before are given none: an
 * organisation that withdrew consent before this migration keeps its old pseudonym for later grants
 * until the organisations read model is rebuilt from the log (`npm run projections:rebuild`).
 */
export class OrganisationsConsentWithdrawals1764001950000 implements MigrationInterface {
  name = 'OrganisationsConsentWithdrawals1764001950000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE organisations ADD COLUMN consent_withdrawals timestamptz[] NOT NULL DEFAULT '{}'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE organisations DROP COLUMN consent_withdrawals');
  }
}
