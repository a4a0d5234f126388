import { AlreadyExists, DomainRuleViolation, InvalidStateTransition, StreamNotFound } from '@app/domain/shared/decider';

/** Process managers log ids and rule codes only, never personal data. */
export type { StructuredLogger as ProcessManagerLogger } from '@app/platform/logging/structured-logger';

/**
 * A decider said no: retrying the same step gives the same answer, so a process manager handles it
 * (or records it and moves on) instead of letting the runner retry forever. Anything else (the
 * database, a version conflict after all retries) is thrown to the runner, which retries from its
 * checkpoint.
 */
export function isRefusal(error: unknown): error is Error {
  return (
    error instanceof DomainRuleViolation ||
    error instanceof InvalidStateTransition ||
    error instanceof StreamNotFound ||
    error instanceof AlreadyExists
  );
}

/** What to log about a refusal: the rule code, or the error class. Never the message (it may quote data). */
export function refusalRule(error: unknown): string {
  if (error instanceof DomainRuleViolation) return error.rule;
  return error instanceof Error ? error.name : 'unknown';
}
