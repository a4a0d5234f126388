import type { IncomingMessage } from 'node:http';

/**
 * Optional port through which the AuthGuard reports failed authentications, so that a caller
 * trying token after token is slowed down (apps/api/src/security implements it by client address).
 * Without a provider for it, nothing is limited.
 */
export const AUTHENTICATION_FAILURES = Symbol('AUTHENTICATION_FAILURES');

export interface AuthenticationFailures {
  /** Throws (a 429 TooManyRequestsError) while the caller is blocked for repeated failures; synchronous: asked on every request. */
  assertNotBlocked(request: IncomingMessage): void;
  /** Counts one failure; throws (429) instead of letting the 401 through when it goes over the limit. */
  recordFailure(request: IncomingMessage): Promise<void>;
}
