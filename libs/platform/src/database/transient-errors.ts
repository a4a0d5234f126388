/**
 * Is this error an outage (the database or the event store is unreachable, restarting, out of
 * connections, or a connection broke mid-statement) rather than a fault of the request or the data?
 * An outage is retried by whatever follows the log and answered 503 with Retry-After over HTTP; any
 * other error is the caller's or the code's.
 */
const TRANSIENT_SQLSTATE_CLASSES = ['08' /* connection exception */, '53' /* insufficient resources */, '57' /* operator intervention */, '58' /* system error */];
const TRANSIENT_SQLSTATES = new Set(['40001' /* serialization failure */, '40P01' /* deadlock detected */, '55P03' /* lock not available */]);
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TRANSIENT_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /terminating connection/i,
  /connection (?:is )?closed/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /the database system is (?:starting up|shutting down|in recovery mode)/i,
  /query read timeout/i,
  /Query runner already released/i,
  /(?:14 )?UNAVAILABLE/, // gRPC status of the EventStoreDB client
  /DEADLINE_EXCEEDED/,
  /failed to connect/i,
];

export function isTransientError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const { code, message, name, driverError, cause } = error as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof code === 'string') {
    if (code.length === 5 && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2)))) return true;
    if (TRANSIENT_NODE_CODES.has(code)) return true;
  }
  if (name === 'QueryRunnerAlreadyReleasedError' || name === 'UnavailableError' || name === 'DeadlineExceededError') return true;
  if (typeof message === 'string' && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // TypeORM wraps the driver's error; Node wraps causes.
  return isTransientError(driverError, depth + 1) || isTransientError(cause, depth + 1);
}

/**
 * The error as a short line for logs and status pages: class, SQLSTATE and message, with quoted
 * values blanked (PostgreSQL quotes the offending value in some messages, and a value may be
 * personal data).
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'non-Error thrown';
  const code = (error as { code?: unknown }).code;
  const message = error.message.replace(/"[^"]*"/g, '"…"').replace(/'[^']*'/g, "'…'");
  return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${message}`.slice(0, 300);
}
