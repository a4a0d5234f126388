import { isTransientError } from '../database/transient-errors';

/**
 * For a loop that retries on its own: an outage (the database restarting, out of connections) is
 * logged at most once every `everyMs` (5 s), as the log-consumer runtime does, so a restart of the
 * database does not write a line per poll; any other failure is logged every time.
 */
export class OutageLog {
  private lastOutageAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly everyMs = 5_000) {}

  /** Whether to log this failure now. */
  shouldLog(error: unknown, now = Date.now()): boolean {
    if (!isTransientError(error)) return true;
    if (now - this.lastOutageAt < this.everyMs) return false;
    this.lastOutageAt = now;
    return true;
  }
}
