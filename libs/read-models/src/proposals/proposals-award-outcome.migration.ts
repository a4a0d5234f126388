import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `award`: the outcome of the standing award decision (pending, funds-unavailable). Rows written
 * before it hold no trace of it, and cleared the award decision when its funds were unavailable, so
 * the read model is rebuilt from the log: both tables emptied, the projection's checkpoint back to
 * the start of the log, rebuild schemas built with the old columns dropped; the worker refills them.
 */
export class ProposalsAwardOutcome1764001310000 implements MigrationInterface {
  name = 'ProposalsAwardOutcome1764001310000';

  async up(runner: QueryRunner): Promise<void> {
    await this.emptyForRebuild(runner);
    await runner.query('ALTER TABLE proposals ADD COLUMN award jsonb');
  }

  async down(runner: QueryRunner): Promise<void> {
    await this.emptyForRebuild(runner);
    await runner.query('ALTER TABLE proposals DROP COLUMN award');
  }

  private async emptyForRebuild(runner: QueryRunner): Promise<void> {
    await runner.query('TRUNCATE proposals, proposal_reviewer_assignments');
    await runner.query(`UPDATE log_consumers SET position = NULL, updated_at = now() WHERE name = 'proposals'`);
    await runner.query('DROP SCHEMA IF EXISTS rebuild_proposals CASCADE');
    await runner.query('DROP SCHEMA IF EXISTS rebuild_proposals_previous CASCADE');
  }
}
