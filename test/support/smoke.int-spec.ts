import { Client } from 'pg';
import { createTestDatabase } from './database';

describe('test database', () => {
  it('is a real PostgreSQL reachable through TEST_DATABASE_URL', async () => {
    const db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    await client.end();
    await db.drop();
    expect(Number(rows[0].v)).toBeGreaterThanOrEqual(150000);
  });
});
