import { WrongExpectedVersionError } from '@app/event-store';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Backoff before retry n (1-based) is a random delay in [0, min(maxDelayMs, baseDelayMs * 2^n)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Which conflicts to retry (default: all). E.g. not one on a stream the client pinned with If-Match. */
  retryable?: (error: WrongExpectedVersionError) => boolean;
  /** Called before each retry; for metrics and tests. */
  onRetry?: (attempt: number, error: WrongExpectedVersionError) => void;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 12, baseDelayMs: 4, maxDelayMs: 250 };

/**
 * Every attempt lost its race: other writers kept appending to the stream while this step decided,
 * each time on its newest version. Nothing of the step was appended, and nobody pinned a version,
 * so it is no conflict the caller could resolve (over HTTP: 503 with Retry-After, as a database too
 * busy to apply a request; until 2026-12-06 it was a 409 naming an "expected version" the client
 * never sent). Still a WrongExpectedVersionError for code that handles conflicts as such.
 */
export class ConflictRetriesExhausted extends WrongExpectedVersionError {
  constructor(
    readonly last: WrongExpectedVersionError,
    readonly attempts: number,
  ) {
    super(last.streamId, last.expected, last.actual);
    this.name = 'ConflictRetriesExhausted';
    this.message = `Stream ${last.streamId}: still moving after ${attempts} attempts (${this.message})`;
  }
}

/**
 * Runs `step` again when its append lost a race on the stream's version. Safe only for a step that
 * reloads the stream and re-decides on every attempt (StreamCommandExecutor.execute without an
 * `expectedVersion` from a client): the rules then judge the fresh state, so a retry can never
 * over-commit. Full jitter keeps competing writers from retrying in lockstep. Any other error, and a
 * conflict `retryable` refuses, is thrown as is; once the attempts are spent, ConflictRetriesExhausted.
 */
export async function retryOnConflict<T>(step: () => Promise<T>, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) || options.retryable?.(error) === false) throw error;
      if (attempt >= options.attempts) throw new ConflictRetriesExhausted(error, attempt);
      options.onRetry?.(attempt, error);
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}
