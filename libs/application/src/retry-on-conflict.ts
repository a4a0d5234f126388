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
 * Runs `step` again when its append lost a race on the stream's version. Safe only for a step that
 * reloads the stream and re-decides on every attempt (StreamCommandExecutor.execute without an
 * `expectedVersion` from a client): the rules then judge the fresh state, so a retry can never
 * over-commit. Full jitter keeps competing writers from retrying in lockstep. Any other error, and
 * the last conflict once the attempts are spent, is thrown as is.
 */
export async function retryOnConflict<T>(step: () => Promise<T>, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) || attempt >= options.attempts || options.retryable?.(error) === false) throw error;
      options.onRetry?.(attempt, error);
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}
