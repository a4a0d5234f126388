import { isCommandError, ErrorType as EsdbErrorType } from '@eventstore/db-client';

/**
 * Is this error an outage of something the request needs — PostgreSQL or EventStoreDB unreachable,
 * restarting, out of connections, or a connection that broke mid-statement — rather than a fault of
 * the request or of the code? Over HTTP an outage is a 503 with Retry-After, never a 500: the client
 * did nothing wrong and the same request may well succeed in a moment.
 *
 * Recognised as they reach the exception filter (directly, or wrapped by TypeORM as a
 * QueryFailedError's `driverError`, or as an Error's `cause`, or inside Node's AggregateError):
 * - PostgreSQL SQLSTATEs: class 08 (connection exception), class 53 (insufficient resources, e.g.
 *   53300 too_many_connections), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now;
 * - Node socket errors: ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, EAI_AGAIN,
 *   and ENOENT from a connect (a Unix socket whose server has stopped and removed its socket file:
 *   the embedded PostgreSQL's; any other ENOENT is not an outage);
 * - node-postgres and pg-pool's own errors, which carry no code: "timeout exceeded when trying to
 *   connect", "Connection terminated unexpectedly", "Connection terminated due to connection timeout",
 *   "Client has encountered a connection error and is not queryable";
 * - the EventStoreDB client's UnavailableError, DeadlineExceededError, NotLeaderError and TimeoutError,
 *   and a raw gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4) status it did not convert.
 * A connection that broke during an append leaves the outcome unknown; it is an outage all the same
 * (the problem body says so for commands, see toProblemDetails).
 */
export function isOutage(error: unknown): boolean {
  return someErrorInChain(error, isOutageItself);
}

const OUTAGE_SQLSTATE_CLASSES = new Set(['08', '53']);
const OUTAGE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const OUTAGE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const OUTAGE_MESSAGES = [
  /^timeout exceeded when trying to connect$/,
  /^Connection terminated( unexpectedly| due to connection timeout)?$/,
  /^Client has encountered a connection error and is not queryable$/,
];
const ESDB_OUTAGE_TYPES = new Set<string>([EsdbErrorType.UNAVAILABLE, EsdbErrorType.DEADLINE_EXCEEDED, EsdbErrorType.NOT_LEADER, EsdbErrorType.TIMEOUT]);
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

function isOutageItself(error: object): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (error instanceof Error && isCommandError(error)) return ESDB_OUTAGE_TYPES.has(error.type);
  if (typeof code === 'string') {
    // Node's codes first: EPIPE has the shape of a SQLSTATE.
    if (OUTAGE_NODE_CODES.has(code)) return true;
    // A Unix socket whose server has stopped: the server removed its socket file.
    if (code === 'ENOENT' && (error as { syscall?: unknown }).syscall === 'connect') return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return OUTAGE_SQLSTATE_CLASSES.has(code.slice(0, 2)) || OUTAGE_SQLSTATES.has(code);
  }
  if (typeof code === 'number' && 'details' in error && 'metadata' in error) return code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED;
  return typeof message === 'string' && OUTAGE_MESSAGES.some((pattern) => pattern.test(message));
}

/** Visits the error and what it wraps (driverError, cause, AggregateError's errors), a few levels deep. */
function someErrorInChain(root: unknown, test: (error: object) => boolean): boolean {
  const pending: { error: unknown; depth: number }[] = [{ error: root, depth: 0 }];
  const seen = new Set<unknown>();
  while (pending.length > 0) {
    const { error, depth } = pending.pop()!;
    if (error === null || typeof error !== 'object' || seen.has(error) || depth > 4) continue;
    seen.add(error);
    if (test(error)) return true;
    const { driverError, cause, errors } = error as { driverError?: unknown; cause?: unknown; errors?: unknown };
    pending.push({ error: driverError, depth: depth + 1 }, { error: cause, depth: depth + 1 });
    if (Array.isArray(errors)) for (const inner of errors) pending.push({ error: inner, depth: depth + 1 });
  }
  return false;
}
