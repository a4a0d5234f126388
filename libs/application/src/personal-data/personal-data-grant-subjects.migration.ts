import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which organisation each grant's personal data (its agreement's signatories, subject `grant-{id}`)
 * belongs to, as the erasure reaction learns it from the log's GrantAwarded events, so that erasing
 * an organisation reaches its grants' keys whatever the grants read model is doing (lagging, stalled,
 * rebuilding). Filled at once from the grants read model for the grants awarded before it existed.
 */
export class PersonalDataGrantSubjects1764001730000 implements MigrationInterface {
  name = 'PersonalDataGrantSubjects1764001730000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE personal_data_grant_subjects (
        grant_id uuid PRIMARY KEY,
        organisation_id uuid NOT NULL
      )`);
    await runner.query('CREATE INDEX personal_data_grant_subjects_organisation_idx ON personal_data_grant_subjects (organisation_id)');
    await runner.query(`
      INSERT INTO personal_data_grant_subjects (grant_id, organisation_id)
      SELECT id, grantee_organisation_id FROM grants
      ON CONFLICT (grant_id) DO NOTHING`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE personal_data_grant_subjects');
  }
}
