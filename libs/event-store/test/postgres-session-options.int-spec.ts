import { Client, type Pool, type PoolClient } from 'pg';
import { migrateEventStore, PostgresEventStore } from '@app/event-store';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { newEvent, newKind, newStreamId } from './helpers';

/**
 * The planner settings the store's connections run with (EVENT_STORE_SESSION_OPTIONS): a filtered
 * catch-up page on a log without statistics was planned as a parallel scan with JIT compilation,
 * ~57 times the page's cost (the rebuild of the 1,000,000-event bench log).
 */
describe('PostgresEventStore connections: no parallel plans, no JIT', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let rare: string;

  beforeAll(async () => {
    db = await createTestDatabase('event_store_session');
    await migrateEventStore(db.url);
    store = new PostgresEventStore({ connectionString: db.url, poolSize: 2 });
    const common = newKind();
    rare = newKind();
    for (let i = 0; i < 40; i++) await store.append(newStreamId(i % 20 === 0 ? rare : common), [newEvent('Tested', { i, text: 'x'.repeat(200) })], 'no_stream');
  });

  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  /** A connection of the store's own pool (the one its appends and reads use). */
  function storeConnection(): Promise<PoolClient> {
    return (store as unknown as { pool: Pool }).pool.connect();
  }

  /**
   * The plan of a filtered catch-up page (the rare prefix, from the start of the log) with parallel
   * plans and JIT made as cheap as they can be, as they look to the planner of a large log whose
   * statistics are missing; settings and statistics are rolled back.
   */
  async function catchUpPlan(client: Client | PoolClient): Promise<string> {
    await client.query('BEGIN');
    try {
      await client.query(`DELETE FROM pg_statistic WHERE starelid = 'events'::regclass`);
      await client.query(
        'SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0; ' +
          'SET LOCAL min_parallel_index_scan_size = 0; SET LOCAL jit_above_cost = 0',
      );
      const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (FORMAT JSON) SELECT data FROM events
          WHERE (transaction_id, position) > ('0'::xid8, 0::bigint) AND stream_id LIKE ANY (ARRAY['${rare}-%'])
          ORDER BY transaction_id, position LIMIT 1000`,
      );
      return JSON.stringify(rows[0]['QUERY PLAN']);
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it('opens its pooled connections with JIT off and no parallel workers', async () => {
    await store.readAll({ filter: { streamPrefixes: [`${rare}-`] } });
    const client = await storeConnection();
    try {
      const { rows } = await client.query(`SELECT current_setting('jit') AS jit, current_setting('max_parallel_workers_per_gather') AS workers`);
      expect(rows[0]).toEqual({ jit: 'off', workers: '0' });
    } finally {
      client.release();
    }
  });

  it('plans a filtered catch-up page with neither, where a connection without its settings gets both', async () => {
    const plain = new Client({ connectionString: db.url });
    await plain.connect();
    try {
      const without = await catchUpPlan(plain);
      // The comparison can fail: with the default settings this page is a Gather with JIT.
      expect(without).toContain('"Node Type":"Gather');
      expect(without).toContain('"JIT"');
    } finally {
      await plain.end();
    }
    const client = await storeConnection();
    try {
      const plan = await catchUpPlan(client);
      expect(plan).not.toContain('Gather');
      expect(plan).not.toContain('"JIT"');
    } finally {
      client.release();
    }
  });

  it('keeps the options a DATABASE_URL sets itself', async () => {
    const own = new PostgresEventStore({ connectionString: `${db.url}${db.url.includes('?') ? '&' : '?'}options=-c%20jit%3Don`, poolSize: 1 });
    try {
      await own.readAll({ maxCount: 1 });
      const client = await (own as unknown as { pool: Pool }).pool.connect();
      try {
        const { rows } = await client.query(`SELECT current_setting('jit') AS jit`);
        expect(rows[0]).toEqual({ jit: 'on' });
      } finally {
        client.release();
      }
    } finally {
      await own.close();
    }
  });
});
