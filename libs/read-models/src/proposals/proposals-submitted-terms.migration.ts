import type { MigrationInterface, QueryRunner } from 'typeorm';
import { emptyReadModelForRebuild } from '../empty-for-rebuild';

/**
 * `submitted_terms_version`: the terms version a proposal was submitted with, so that the partners'
 * invitations list finds a submitted proposal whose terms changed since (a clarification answer that
 * revised the budget) as the decider does, by comparing versions. Rows written before hold none, so
 * the read model is rebuilt from the log (as `ProposalsNetworkConsent1764001320000` does): this also
 * brings the terms version of proposals whose budget such an answer changed before 2026-12-07 up to date.
 */
export class ProposalsSubmittedTerms1764001960000 implements MigrationInterface {
  name = 'ProposalsSubmittedTerms1764001960000';

  async up(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'proposals', ['proposals', 'proposal_reviewer_assignments']);
    await runner.query('ALTER TABLE proposals ADD COLUMN submitted_terms_version int');
  }

  async down(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'proposals', ['proposals', 'proposal_reviewer_assignments']);
    await runner.query('ALTER TABLE proposals DROP COLUMN submitted_terms_version');
  }
}
