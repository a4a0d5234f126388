import { Client, type ClientConfig, DatabaseError, type Pool, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * The pg client every pool of the project opens (pool option `Client`): one that always has an
 * 'error' listener, so that a connection lost at the wrong moment cannot end the process.
 *
 * pg-pool removes its idle listener when it hands a client out, and the borrower adds its own a
 * moment later: `await pool.connect()` (ours) and TypeORM's query runner attach theirs in a promise
 * continuation. pg-pool's own `pool.query` releases its client from pg's message loop, in the same
 * synchronous pass that parses the rest of the chunk; under load a waiter is handed that client at
 * once, and when PostgreSQL shuts down (`pg_ctl stop -m fast`, a failover) the chunk can carry the
 * backend's FATAL 57P01 right behind the ReadyForQuery. That error was emitted on a client with no
 * listener, and Node ended the API on it (fault scenario c, in CI and 2 runs of 11 here).
 *
 * The listener here does nothing else: pg has already failed the running query, if any, and marked
 * the client unusable, so the borrower's next query fails (and is answered 503 or retried), and the
 * pool discards the client when it comes back. An idle client's error still reaches the pool's.
 */
export class GuardedClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', ignoreConnectionError);
  }
}

function ignoreConnectionError(): void {
  // See GuardedClient: pg and pg-pool have handled it; this listener only keeps Node from throwing.
}

/**
 * The pg pool under a TypeORM PostgreSQL data source, for hot reads that skip the query builder and
 * entity hydration: a named (prepared) statement on a pooled connection, mapped by hand. Shares the
 * data source's connections and limits (size, acquire timeout), so an outage surfaces as the same pg
 * errors the exception filter answers 503 for.
 */
export function pgPoolOf(dataSource: DataSource): Pool {
  const master = (dataSource.driver as { master?: Pool }).master;
  if (dataSource.options.type !== 'postgres' || !master) throw new Error('pgPoolOf: not a connected PostgreSQL data source');
  return master;
}

/**
 * Rows of one statement: on the manager's own connection when it is bound to one (a transaction, e.g.
 * an as-of replay into temporary tables that shadow the live ones), else as a named prepared statement
 * on the pool.
 */
export async function queryRows<R extends QueryResultRow>(manager: EntityManager, statement: { name: string; text: string; values: unknown[] }): Promise<R[]> {
  if (manager.queryRunner) return (await manager.query(statement.text, statement.values)) as R[];
  return (await pgPoolOf(manager.connection).query<R>(statement)).rows;
}

/**
 * `pool.query(config)`, except that when PostgreSQL refuses the statement (a unique violation, a
 * check, a serialization failure, …) its connection goes back to the pool instead of being closed.
 * pg-pool's own `query` releases its client with whatever error the statement ended with, and a
 * client released with an error is destroyed (brianc/node-postgres#1290): every refused append cost
 * a new connection (TCP, start-up, every named statement parsed again; ~8 ms a time measured here,
 * on the path of every version conflict and every retried keyed command). A statement refused
 * outside a transaction leaves its connection as it was. Errors of the connection itself (no
 * SQLSTATE, or one of the classes that end a session) still close it, and a connection error while
 * the statement runs is caught here, as pg-pool's `query` catches it, rather than left unhandled.
 */
export async function queryKeepingConnection<R extends QueryResultRow = QueryResultRow>(pool: Pool, config: QueryConfig): Promise<QueryResult<R>> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    return await client.query<R>(config);
  } catch (error) {
    if (!refusedStatementOnly(error)) broken ??= error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

/** SQLSTATE classes after which a session is not to be reused: connection exception, operator intervention (57P), insufficient resources, system and internal errors. */
const SESSION_ENDING = /^(08|57P|53|58|F0|XX)/;

/** Did PostgreSQL refuse the statement and keep the session (an error it reported, of a class that leaves the connection usable)? */
function refusedStatementOnly(error: unknown): boolean {
  return error instanceof DatabaseError && typeof error.code === 'string' && !SESSION_ENDING.test(error.code);
}
