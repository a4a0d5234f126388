import type { MigrationInterface, QueryRunner } from 'typeorm';
import { emptyReadModelForRebuild } from '../empty-for-rebuild';

/**
 * The contact person is kept sealed (`contact_person`: the envelope as the log holds it) instead of
 * in clear (`contact_name`, `contact_email`, `contact_phone`). Sealing the clear rows here would need
 * the keys; the read model is rebuilt from the log instead: TRUNCATE gives the table a new, empty file
 * (the old one, with the clear values and their dead row versions, is removed at commit), the
 * projection's checkpoint goes back to the start of the log, and the worker refills the table. Rebuild
 * schemas built with the old columns go too. Copies made before this migration — WAL segments not yet
 * recycled, backups — still hold the clear values: see the README (Personal data).
 */
export class OrganisationsSealedContact1764001200000 implements MigrationInterface {
  name = 'OrganisationsSealedContact1764001200000';

  async up(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'organisations', ['organisations']);
    await runner.query(`
      ALTER TABLE organisations
        DROP COLUMN contact_name, DROP COLUMN contact_email, DROP COLUMN contact_phone,
        ADD COLUMN contact_person jsonb`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await emptyReadModelForRebuild(runner, 'organisations', ['organisations']);
    await runner.query(`
      ALTER TABLE organisations
        DROP COLUMN contact_person,
        ADD COLUMN contact_name text, ADD COLUMN contact_email text, ADD COLUMN contact_phone text`);
  }
}
