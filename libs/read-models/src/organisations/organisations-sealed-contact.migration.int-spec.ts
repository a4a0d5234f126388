import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import { OrganisationsSealedContact1764001200000 } from './organisations-sealed-contact.migration';

/** The step from clear contact columns to the sealed one, on a database that holds clear contacts. */
describe('migration OrganisationsSealedContact', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('migration');
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  const columns = async () =>
    (await dataSource.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'organisations' AND column_name LIKE 'contact%' ORDER BY 1`)).map(
      (row: { column_name: string }) => row.column_name,
    );
  const relfilenode = async () => (await dataSource.query(`SELECT pg_relation_filenode('organisations') AS node`))[0].node;

  it('drops the clear columns with their data (a new, empty table file) and sends the projection back to the start of the log', async () => {
    expect(await columns()).toEqual(['contact_person']);
    const migration = new OrganisationsSealedContact1764001200000();
    const runner = dataSource.createQueryRunner();
    await migration.down(runner); // back to the clear columns, as before this migration
    expect(await columns()).toEqual(['contact_email', 'contact_name', 'contact_phone']);
    await dataSource.query(
      `INSERT INTO organisations (id, name, country, legal_status, focus_groups, contact_name, contact_email, member_user_ids, registered_at, updated_at, version)
       VALUES ('5b0c7e1a-2f3d-4a5b-8c6d-7e8f9a0b1c2d', 'Org', 'LB', 'other', '{}', 'Clear Name', 'clear@example.org', '{}', now(), now(), 0)`,
    );
    await dataSource.query(`INSERT INTO log_consumers (name, position) VALUES ('organisations', '42') ON CONFLICT (name) DO UPDATE SET position = '42'`);
    await dataSource.query('CREATE SCHEMA rebuild_organisations');
    await dataSource.query('CREATE TABLE rebuild_organisations.organisations (LIKE public.organisations)');
    const before = await relfilenode();

    await migration.up(runner);
    await runner.release();

    expect(await columns()).toEqual(['contact_person']);
    expect(await dataSource.query('SELECT count(*)::int AS n FROM organisations')).toEqual([{ n: 0 }]);
    expect(await relfilenode()).not.toBe(before);
    expect(await dataSource.query(`SELECT position FROM log_consumers WHERE name = 'organisations'`)).toEqual([{ position: null }]);
    expect(await dataSource.query(`SELECT to_regnamespace('rebuild_organisations') AS schema`)).toEqual([{ schema: null }]);
  });
});
