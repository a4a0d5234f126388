import { Client, Pool, type PoolClient } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { GuardedClient, queryKeepingConnection } from './pg-pool';

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

/**
 * GuardedClient: a connection lost while a client is checked out, before its borrower has attached a
 * listener of its own, must not end the process (fault scenario c: `pg_ctl stop -m fast` under load
 * ended the API with an unhandled 'error' event, FATAL 57P01, on a pg Client).
 */
describe('GuardedClient', () => {
  let db: TestDatabase;
  const pools: Pool[] = [];
  const poolOf = (Client?: typeof GuardedClient) => {
    const pool = new Pool({ connectionString: db.url, max: 1, ...(Client ? { Client } : {}) });
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  };

  beforeAll(async () => {
    db = await createTestDatabase('pg_guarded');
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await db.drop();
  });

  /**
   * How many 'error' listeners the client has at the first moment an error can reach it after the
   * hand-over: the next tick, before the borrower's `await pool.connect()` continuation runs.
   */
  const listenersAtHandOver = async (pool: Pool): Promise<number> => {
    let counted: Promise<number> | undefined;
    pool.once('acquire', (client: PoolClient) => {
      counted = new Promise((resolve) => process.nextTick(() => resolve(client.listenerCount('error'))));
    });
    const client = await pool.connect();
    client.release();
    return counted ?? Promise.reject(new Error('no acquire event'));
  };

  it('a plain pg client has no error listener in the moment after pg-pool hands it over (why this exists)', async () => {
    expect(await listenersAtHandOver(poolOf())).toBe(0);
  });

  it('a GuardedClient has one from its construction on', async () => {
    expect(await listenersAtHandOver(poolOf(GuardedClient))).toBe(1);
  });

  it('a borrowed client whose backend is terminated between statements: no unhandled error, its next query fails, and the pool replaces it', async () => {
    const pool = poolOf(GuardedClient);
    const client = await pool.connect(); // the borrower attaches no listener of its own
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const ended = new Promise((resolve) => client.once('end', resolve));
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      expect((await admin.query('SELECT pg_terminate_backend($1) AS done', [pid])).rows).toEqual([{ done: true }]);
    } finally {
      await admin.end();
    }
    await ended; // PostgreSQL sent FATAL 57P01 to a client with no query running: emitted as 'error'
    await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable|terminat/);
    client.release();
    const next = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    expect(next).not.toBe(pid);
    expect(pool.totalCount).toBe(1);
  });
});
