import { applyDecorators } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IdempotencyKeyHandling } from '@app/platform/idempotency/idempotent-handler';
import { answersWithCommandResult } from './command-context.decorator';

const IDEMPOTENCY_KEY_HEADER = ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retrying with the same key returns the first answer and appends nothing' });

/**
 * `Idempotency-Key` on a route that changes something (IdempotencyKeyGuard and the handler's wrapper,
 * IdempotencyKeyHandling), documented. Every POST, PUT, PATCH and DELETE route has it, through this
 * or commandHeaders (test/layering/idempotent-routes.spec.ts checks), and no read has it. No route
 * passes through a Nest interceptor for it (issue 11: Nest's interceptor chain is rxjs on every
 * request, key or not). On a route answering its command's `{ id, version }` the key is looked up
 * only when the command cannot settle it (its append remembers the answer and refuses a key taken):
 * a new key costs no look-up.
 */
export function Idempotent(): MethodDecorator {
  return applyDecorators(IdempotencyKeyHandling({ answeredByCommand: answersWithCommandResult }), IDEMPOTENCY_KEY_HEADER);
}

/** The headers every command route takes, documented once: `Idempotency-Key` (Idempotent) and `If-Match` on the resource's stream. */
export function commandHeaders(resource: string): MethodDecorator {
  return applyDecorators(
    Idempotent(),
    ApiHeader({ name: 'If-Match', required: false, description: `Expected stream version, e.g. "3": 409 if the ${resource} has moved on` }),
  );
}
