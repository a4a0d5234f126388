import type { MigrationInterface, QueryRunner } from 'typeorm';

export class GrantsReadModel1764000500000 implements MigrationInterface {
  name = 'GrantsReadModel1764000500000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE grants (
        id uuid PRIMARY KEY,
        proposal_id uuid NOT NULL,
        call_id uuid NOT NULL,
        grantee_organisation_id uuid NOT NULL,
        partner_organisation_ids uuid[] NOT NULL,
        currency char(3) NOT NULL,
        status text NOT NULL,
        amount_minor bigint NOT NULL,
        awarded_amount_minor bigint NOT NULL,
        scheduled_minor bigint NOT NULL,
        paid_minor bigint NOT NULL,
        remaining_minor bigint NOT NULL,
        unspent_minor bigint,
        period_start date NOT NULL,
        period_end date NOT NULL,
        next_report_due date,
        next_report_owed date,
        agreement_signed_at timestamptz,
        status_reason text,
        amendments jsonb NOT NULL DEFAULT '[]',
        state jsonb NOT NULL,
        awarded_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        version int NOT NULL
      )`);
    await runner.query('CREATE INDEX grants_status_idx ON grants (status, awarded_at)');
    await runner.query('CREATE INDEX grants_owed_idx ON grants (next_report_owed) WHERE next_report_owed IS NOT NULL');
    await runner.query('CREATE INDEX grants_grantee_idx ON grants (grantee_organisation_id)');
    await runner.query('CREATE INDEX grants_call_idx ON grants (call_id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE grants');
  }
}
