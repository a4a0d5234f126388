import type { MigrationInterface, QueryRunner } from 'typeorm';
import { emptyReadModelForRebuild } from '../empty-for-rebuild';

/**
 * Partner invitations and redress (issue 13): `terms_version` (what partners sign off),
 * `redress_requests`, partners with their answer in `partners`, and `partner_organisation_ids`
 * holding accepted partners only. Rows written before hold none of it, so the read model is rebuilt
 * from the log: both tables emptied, the projection's checkpoint back to the start of the log,
 * rebuild schemas built with the old columns dropped; the worker refills them.
 */
export class ProposalsNetworkConsent1764001320000 implements MigrationInterface {
  name = 'ProposalsNetworkConsent1764001320000';

  async up(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'proposals', ['proposals', 'proposal_reviewer_assignments']);
    await runner.query('ALTER TABLE proposals ADD COLUMN terms_version int NOT NULL DEFAULT 1');
    await runner.query(`ALTER TABLE proposals ADD COLUMN redress_requests jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'proposals', ['proposals', 'proposal_reviewer_assignments']);
    await runner.query('ALTER TABLE proposals DROP COLUMN redress_requests');
    await runner.query('ALTER TABLE proposals DROP COLUMN terms_version');
  }
}
