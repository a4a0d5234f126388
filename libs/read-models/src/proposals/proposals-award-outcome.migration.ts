import type { MigrationInterface, QueryRunner } from 'typeorm';
import { emptyReadModelForRebuild } from '../empty-for-rebuild';

/**
 * `award`: the outcome of the standing award decision (pending, funds-unavailable). Rows written
 * before it hold no trace of it, and cleared the award decision when its funds were unavailable, so
 * the read model is rebuilt from the log: both tables emptied, the projection's checkpoint back to
 * the start of the log, rebuild schemas built with the old columns dropped; the worker refills them.
 */
export class ProposalsAwardOutcome1764001310000 implements MigrationInterface {
  name = 'ProposalsAwardOutcome1764001310000';

  async up(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'proposals', ['proposals', 'proposal_reviewer_assignments']);
    await runner.query('ALTER TABLE proposals ADD COLUMN award jsonb');
  }

  async down(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'proposals', ['proposals', 'proposal_reviewer_assignments']);
    await runner.query('ALTER TABLE proposals DROP COLUMN award');
  }
}
