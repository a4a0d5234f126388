import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ProposalsReadModel1764000400000 implements MigrationInterface {
  name = 'ProposalsReadModel1764000400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE proposals (
        id uuid PRIMARY KEY,
        call_id uuid NOT NULL,
        lead_organisation_id text NOT NULL,
        partners jsonb NOT NULL DEFAULT '[]',
        partner_organisation_ids text[] NOT NULL DEFAULT '{}',
        title text NOT NULL,
        summary text NOT NULL,
        policy_issue text NOT NULL,
        requested_minor bigint NOT NULL,
        currency char(3) NOT NULL,
        budget_lines jsonb NOT NULL,
        duration_months int NOT NULL,
        status text NOT NULL,
        content_version int NOT NULL,
        submitted_version int,
        content_hash text,
        submitted_at timestamptz,
        eligibility jsonb,
        assigned_reviewer_ids text[] NOT NULL DEFAULT '{}',
        recused_reviewer_ids text[] NOT NULL DEFAULT '{}',
        conflicts jsonb NOT NULL DEFAULT '[]',
        reviews jsonb NOT NULL DEFAULT '{}',
        review_count int NOT NULL DEFAULT 0,
        consensus_score numeric(5, 2),
        consensus jsonb,
        decision jsonb,
        unfunded_awards jsonb NOT NULL DEFAULT '[]',
        clarifications jsonb NOT NULL DEFAULT '[]',
        withdrawal jsonb,
        drafted_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        version int NOT NULL
      )`);
    await runner.query('CREATE INDEX proposals_call_status_idx ON proposals (call_id, status, drafted_at)');
    await runner.query('CREATE INDEX proposals_status_idx ON proposals (status, drafted_at)');
    await runner.query('CREATE INDEX proposals_lead_idx ON proposals (lead_organisation_id)');
    await runner.query('CREATE INDEX proposals_partners_idx ON proposals USING gin (partner_organisation_ids)');
    await runner.query('CREATE INDEX proposals_reviewers_idx ON proposals USING gin (assigned_reviewer_ids)');
    await runner.query('CREATE INDEX proposals_ranking_idx ON proposals (call_id, consensus_score DESC) WHERE consensus_score IS NOT NULL');
    await runner.query(`
      CREATE TABLE proposal_reviewer_assignments (
        proposal_id uuid NOT NULL,
        reviewer_id text NOT NULL,
        call_id uuid NOT NULL,
        assigned_at timestamptz NOT NULL,
        recused_at timestamptz,
        review_submitted_at timestamptz,
        PRIMARY KEY (proposal_id, reviewer_id)
      )`);
    await runner.query('CREATE INDEX proposal_reviewer_assignments_reviewer_idx ON proposal_reviewer_assignments (reviewer_id, assigned_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE proposal_reviewer_assignments');
    await runner.query('DROP TABLE proposals');
  }
}
