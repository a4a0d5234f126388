import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { queryKeepingConnection } from './pg-pool';

/**
 * queryKeepingConnection on a real PostgreSQL, with a pool of one connection so that "the same
 * connection" is the same server process (pg_backend_pid).
 */
describe('queryKeepingConnection', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('pg_pool');
    pool = new Pool({ connectionString: db.url, max: 1 });
    pool.on('error', () => undefined);
    await pool.query('CREATE TABLE taken (id int PRIMARY KEY)');
    await pool.query('INSERT INTO taken VALUES (1)');
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const backend = async () => (await queryKeepingConnection<{ pid: number }>(pool, { text: 'SELECT pg_backend_pid() AS pid' })).rows[0].pid;
  const duplicate = { name: 'pg_pool_spec_insert', text: 'INSERT INTO taken VALUES ($1)', values: [1] };

  it('keeps the connection, and its prepared statements, when PostgreSQL refuses the statement', async () => {
    const before = await backend();
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(queryKeepingConnection(pool, duplicate)).rejects.toMatchObject({ code: '23505' });
    }
    await expect(queryKeepingConnection(pool, { text: 'SELECT 1/0' })).rejects.toMatchObject({ code: '22012' });
    expect(await backend()).toBe(before);
    // The named statement is still prepared on that connection: it runs again without a parse.
    const prepared = await queryKeepingConnection<{ n: string }>(pool, { text: "SELECT count(*)::text AS n FROM pg_prepared_statements WHERE name = 'pg_pool_spec_insert'" });
    expect(prepared.rows).toEqual([{ n: '1' }]);
    expect(pool.totalCount).toBe(1);
  });

  it('pg-pool’s own query closes the connection on the same refusal (why this exists)', async () => {
    const before = await backend();
    await expect(pool.query(duplicate)).rejects.toMatchObject({ code: '23505' });
    expect(await backend()).not.toBe(before);
  });

  it('closes a connection whose session ended, without an unhandled error, and the next query gets a fresh one', async () => {
    const before = await backend();
    await expect(queryKeepingConnection(pool, { text: 'SELECT pg_terminate_backend(pg_backend_pid())' })).rejects.toThrow();
    const after = await backend();
    expect(after).not.toBe(before);
    expect((await queryKeepingConnection<{ one: number }>(pool, { text: 'SELECT 1 AS one' })).rows).toEqual([{ one: 1 }]);
  });

  it('closes a connection that breaks under the statement, without an unhandled error event', async () => {
    const before = await backend();
    pool.once('acquire', (client) => {
      // The network under a running statement: the socket fails while the client is checked out.
      setTimeout(() => (client as unknown as { connection: { stream: { destroy(error: Error): void } } }).connection.stream.destroy(new Error('network reset')), 100);
    });
    await expect(queryKeepingConnection(pool, { text: 'SELECT pg_sleep(2)' })).rejects.toThrow();
    expect(await backend()).not.toBe(before);
  });
});
