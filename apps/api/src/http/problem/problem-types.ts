/** Stable `type` URIs of our RFC 9457 problems. Clients may switch on them; never change one. */
export const PROBLEM_TYPES = {
  validation: 'https://grant-ledger.dev/problems/validation',
  malformedRequest: 'https://grant-ledger.dev/problems/malformed-request',
  badRequest: 'https://grant-ledger.dev/problems/bad-request',
  unauthenticated: 'https://grant-ledger.dev/problems/unauthenticated',
  forbidden: 'https://grant-ledger.dev/problems/forbidden',
  notFound: 'https://grant-ledger.dev/problems/not-found',
  conflict: 'https://grant-ledger.dev/problems/conflict',
  invalidStateTransition: 'https://grant-ledger.dev/problems/invalid-state-transition',
  alreadyExists: 'https://grant-ledger.dev/problems/already-exists',
  versionConflict: 'https://grant-ledger.dev/problems/version-conflict',
  domainRuleViolation: 'https://grant-ledger.dev/problems/domain-rule-violation',
  /** The same Idempotency-Key was sent before with a different request (422). */
  idempotencyKeyReused: 'https://grant-ledger.dev/problems/idempotency-key-reused',
  /** Too many requests or open streams for this caller or this server (429, with Retry-After). */
  tooManyRequests: 'https://grant-ledger.dev/problems/too-many-requests',
  /** The database or the event store is unreachable: retry after Retry-After seconds (503). */
  serviceUnavailable: 'https://grant-ledger.dev/problems/service-unavailable',
  internal: 'https://grant-ledger.dev/problems/internal-error',
  /** RFC 9457: no further semantics beyond the HTTP status. */
  other: 'about:blank',
} as const;

export type ProblemType = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface FieldError {
  /** Dotted path of the offending property, e.g. `criteria.0.weight`. */
  field: string;
  messages: string[];
}

/** An RFC 9457 problem body; extensions sit beside the standard members. */
export interface ProblemDetails {
  type: ProblemType;
  title: string;
  status: number;
  detail: string;
  /** The request path (no query string). */
  instance: string;
  [extension: string]: unknown;
}
