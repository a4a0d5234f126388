import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OrganisationsReadModel1764000310000 implements MigrationInterface {
  name = 'OrganisationsReadModel1764000310000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE organisations (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        country char(2) NOT NULL,
        legal_status text NOT NULL,
        focus_groups text[] NOT NULL,
        contact_name text,
        contact_email text,
        contact_phone text,
        member_user_ids text[] NOT NULL,
        due_diligence_outcome text,
        due_diligence_notes text,
        due_diligence_checked_by text,
        due_diligence_recorded_at timestamptz,
        personal_data_erased boolean NOT NULL DEFAULT false,
        personal_data_erased_at timestamptz,
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        version int NOT NULL
      )`);
    await runner.query('CREATE INDEX organisations_country_idx ON organisations (country, name)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE organisations');
  }
}
