import { isOutage } from './outage';

/** Worth retrying by a background loop, beyond an outage: contention and a server going away mid-query. */
// Not 57014 (query canceled): a statement timeout on one heavy event would repeat for ever instead of stalling.
const RETRYABLE_SQLSTATES = new Set(['40001' /* serialization failure */, '40P01' /* deadlock detected */, '55P03' /* lock not available */]);
const RETRYABLE_MESSAGES = [/terminating connection/i, /cannot use a pool after calling end/i, /Query runner already released/i, /provided by a query runner was already released/i];

/**
 * Did the database refuse the transaction for contention (serialization failure, deadlock, a lock
 * not available)? The transaction was rolled back, so nothing it wrote was kept, and the same work
 * may well succeed on a retry. Over HTTP: 503 with Retry-After, never a 500.
 */
export function isContention(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, driverError, cause } = current as { code?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof code === 'string' && RETRYABLE_SQLSTATES.has(code)) return true;
    current = driverError ?? cause;
  }
  return false;
}

/**
 * Should whatever follows the log retry this error as it is, for ever and without counting it
 * against the event? Every outage (`isOutage`: what HTTP answers 503 for), plus contention and
 * connections that the server ends under a query. Anything else is a fault of the code or the data.
 */
export function isTransientError(error: unknown): boolean {
  if (isOutage(error)) return true;
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, message, name, driverError, cause } = current as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof code === 'string' && RETRYABLE_SQLSTATES.has(code)) return true;
    // TypeORM's, when the connection under a transaction was lost (e.g. PostgreSQL restarted).
    if (name === 'QueryRunnerAlreadyReleasedError' || name === 'QueryRunnerProviderAlreadyReleasedError') return true;
    if (typeof message === 'string' && RETRYABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
    current = driverError ?? cause;
  }
  return false;
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
