import { Client } from 'pg';

/**
 * Records every statement sent to a pg client (any: pooled, LISTEN, TypeORM's) while that client is
 * still running one. pg 8 queues such a statement (with a deprecation notice once three are in
 * line); pg 9 will refuse it. `stop()` puts pg's own query back.
 */
export function recordOverlappingStatements(): { overlapping: string[]; statements: () => number; stop: () => void } {
  const overlapping: string[] = [];
  let statements = 0;
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
    statements++;
    if (busy(this)) overlapping.push(String((args[0] as { text?: string }).text ?? args[0]).slice(0, 80));
    return query.apply(this, args);
  } as typeof Client.prototype.query);
  return { overlapping, statements: () => statements, stop: () => spy.mockRestore() };
}

/**
 * Is the client running a statement, or holding one in line? pg's internals, read without its
 * `activeQuery` getter, which prints a deprecation of its own (pg 9 removes it).
 */
function busy(client: Client): boolean {
  const internals = client as unknown as { _getActiveQuery(): unknown; _queryQueue: unknown[] };
  return Boolean(internals._getActiveQuery()) || internals._queryQueue.length > 0;
}
