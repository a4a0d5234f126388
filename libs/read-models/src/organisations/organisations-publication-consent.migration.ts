import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adds each organisation's publication consent. Rows built before it come from events that had no
 * consent field, which read as 'withheld': the default gives them exactly the value a rebuild would.
 */
export class OrganisationsPublicationConsent1764000810000 implements MigrationInterface {
  name = 'OrganisationsPublicationConsent1764000810000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      ALTER TABLE organisations
        ADD COLUMN publication_consent text NOT NULL DEFAULT 'withheld'
        CONSTRAINT organisations_publication_consent_check CHECK (publication_consent IN ('withheld', 'public'))`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE organisations DROP COLUMN publication_consent');
  }
}
