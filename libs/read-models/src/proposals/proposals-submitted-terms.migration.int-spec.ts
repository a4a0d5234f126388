import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import { ProposalsSubmittedTerms1764001960000 } from './proposals-submitted-terms.migration';

/** Rows written before `submitted_terms_version` existed cannot say which terms were submitted: the read model is rebuilt from the log. */
describe('migration ProposalsSubmittedTerms', () => {
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

  const hasColumn = async () =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'proposals' AND column_name = 'submitted_terms_version'`))[0].n === 1;

  it('adds the column, empties the tables and sends the projection back to the start of the log', async () => {
    expect(await hasColumn()).toBe(true);
    const migration = new ProposalsSubmittedTerms1764001960000();
    const runner = dataSource.createQueryRunner();
    await migration.down(runner);
    expect(await hasColumn()).toBe(false);
    await dataSource.query(`INSERT INTO log_consumers (name, position) VALUES ('proposals', '42') ON CONFLICT (name) DO UPDATE SET position = '42'`);
    await dataSource.query('CREATE SCHEMA rebuild_proposals');
    await dataSource.query('CREATE TABLE rebuild_proposals.proposals (LIKE public.proposals)');

    await migration.up(runner);
    await runner.release();

    expect(await hasColumn()).toBe(true);
    expect(await dataSource.query(`SELECT position FROM log_consumers WHERE name = 'proposals'`)).toEqual([{ position: null }]);
    expect(await dataSource.query(`SELECT to_regnamespace('rebuild_proposals') AS schema`)).toEqual([{ schema: null }]);
  });
});
