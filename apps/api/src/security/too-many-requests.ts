import { TooManyRequestsError } from '../http/problem';

/**
 * A 429 for the problem-details filter (too-many-requests problem+json), whose Retry-After is in
 * whole seconds, at least 1.
 */
export function tooManyRequests(retryAfterSeconds: number, detail: string): TooManyRequestsError {
  return new TooManyRequestsError(detail, Math.max(1, Math.ceil(retryAfterSeconds)));
}
