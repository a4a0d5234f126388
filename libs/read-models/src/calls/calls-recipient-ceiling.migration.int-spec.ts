import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import { CallsRecipientCeiling1764002200000 } from './calls-recipient-ceiling.migration';

/** Rows written before `recipient_ceiling_minor` existed cannot say whether their call states a ceiling of its own: the read model is rebuilt from the log. */
describe('migration CallsRecipientCeiling', () => {
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
    (await dataSource.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'calls' AND column_name = 'recipient_ceiling_minor'`))[0].n === 1;

  it('adds the column, empties the table and sends the projection back to the start of the log', async () => {
    expect(await hasColumn()).toBe(true);
    const migration = new CallsRecipientCeiling1764002200000();
    const runner = dataSource.createQueryRunner();
    await migration.down(runner);
    expect(await hasColumn()).toBe(false);
    // A row as the projection wrote it before, the projection's checkpoint past it, and a rebuild under way.
    await dataSource.query(
      `INSERT INTO calls (id, status, programme, title, description, currency, budget_minor, min_award_minor, max_award_minor, eligible_countries,
         min_partners, reviews_required, criteria, opens_at, closes_at, created_at, updated_at, version)
       VALUES (gen_random_uuid(), 'draft', 'P', 'T', 'D', 'EUR', 100, 1, 10, '{LB}', 1, 1, '[]', now(), now() + interval '1 day', now(), now(), 0)`,
    );
    await dataSource.query(`INSERT INTO log_consumers (name, position) VALUES ('calls', '42') ON CONFLICT (name) DO UPDATE SET position = '42'`);
    await dataSource.query('CREATE SCHEMA rebuild_calls');
    await dataSource.query('CREATE TABLE rebuild_calls.calls (LIKE public.calls)');

    await migration.up(runner);
    await runner.release();

    expect(await hasColumn()).toBe(true);
    expect(await dataSource.query('SELECT count(*)::int AS n FROM calls')).toEqual([{ n: 0 }]);
    expect(await dataSource.query(`SELECT position FROM log_consumers WHERE name = 'calls'`)).toEqual([{ position: null }]);
    expect(await dataSource.query(`SELECT to_regnamespace('rebuild_calls') AS schema`)).toEqual([{ schema: null }]);
  });
});
