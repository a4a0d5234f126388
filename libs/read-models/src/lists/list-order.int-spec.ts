import { DataSource } from 'typeorm';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import { GrantView } from '../grants/grant-view.entity';
import { GrantsQuery } from '../grants/grants.query';
import { ProposalView, ReviewerAssignmentView } from '../proposals/proposal-view.entity';
import { ProposalsQuery } from '../proposals/proposals.query';

/**
 * A list page is read in its order from an index, never by sorting the table (or the call):
 * the statements the queries send, planned with sorting priced out, have no Sort node. Before
 * `ProposalsListOrder` / `GrantsListOrder` they had one, and the first page of all proposals took
 * 78 ms on the bench log's 45,795.
 */
describe('list pages read in their order from an index', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('list_order');
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  /** The statements `read` sends that select rows in an order (the page; not its count or names). */
  async function orderedStatements(read: () => Promise<unknown>): Promise<{ sql: string; parameters: unknown[] }[]> {
    const sent: { sql: string; parameters: unknown[] }[] = [];
    const query = PostgresQueryRunner.prototype.query;
    const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query').mockImplementation(function (this: PostgresQueryRunner, sql: string, parameters?: unknown[], ...rest: unknown[]) {
      if (/ORDER BY/i.test(sql)) sent.push({ sql, parameters: parameters ?? [] });
      return (query as (...args: unknown[]) => Promise<unknown>).call(this, sql, parameters, ...rest) as ReturnType<typeof query>;
    } as typeof query);
    try {
      await read();
    } finally {
      spy.mockRestore();
    }
    return sent;
  }

  /** The plan's node types, with sorting and whole-table scans priced out (an index that gives the order is then the only way without a Sort). */
  async function nodeTypes(statement: { sql: string; parameters: unknown[] }): Promise<string[]> {
    return dataSource.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_sort = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_incremental_sort = off');
      const [{ 'QUERY PLAN': plan }] = await tx.query(`EXPLAIN (FORMAT JSON) ${statement.sql}`, statement.parameters);
      const types: string[] = [];
      const walk = (node: { 'Node Type': string; Plans?: unknown[] }) => {
        types.push(node['Node Type']);
        for (const child of node.Plans ?? []) walk(child as typeof node);
      };
      walk((plan as [{ Plan: { 'Node Type': string } }])[0].Plan);
      return types;
    });
  }

  it('pages all proposals, and a call\'s, in drafted_at order without a sort', async () => {
    const proposals = new ProposalsQuery(dataSource.getRepository(ProposalView), dataSource.getRepository(ReviewerAssignmentView));
    const statements = await orderedStatements(async () => {
      await proposals.list({ scope: { kind: 'all' }, limit: 20, offset: 0 });
      await proposals.list({ scope: { kind: 'all' }, callId: '0c76fc35-e918-489e-ae20-104d9c562b0a', limit: 20, offset: 40 });
    });
    expect(statements).toHaveLength(2);
    for (const statement of statements) expect(await nodeTypes(statement)).not.toContain('Sort');
  });

  it('pages all grants in awarded_at order without a sort', async () => {
    const grants = new GrantsQuery(dataSource.getRepository(GrantView));
    const statements = await orderedStatements(() => grants.list({ limit: 20, offset: 0 }));
    expect(statements).toHaveLength(1);
    expect(await nodeTypes(statements[0])).not.toContain('Sort');
  });
});
