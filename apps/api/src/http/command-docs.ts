import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IdempotencyInterceptor } from '@app/platform/idempotency/idempotency.interceptor';

const IDEMPOTENCY_KEY_HEADER = ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retrying with the same key returns the first answer and appends nothing' });

/**
 * `Idempotency-Key` on a route that changes something (IdempotencyInterceptor), documented. Every
 * POST, PUT, PATCH and DELETE route has it, through this or commandHeaders
 * (test/layering/idempotent-routes.spec.ts checks), and no read has it: a read then passes through no
 * interceptor at all (issue 11).
 */
export function Idempotent(): MethodDecorator {
  return applyDecorators(UseInterceptors(IdempotencyInterceptor), IDEMPOTENCY_KEY_HEADER);
}

/** The headers every command route takes, documented once: `Idempotency-Key` (Idempotent) and `If-Match` on the resource's stream. */
export function commandHeaders(resource: string): MethodDecorator {
  return applyDecorators(
    Idempotent(),
    ApiHeader({ name: 'If-Match', required: false, description: `Expected stream version, e.g. "3": 409 if the ${resource} has moved on` }),
  );
}
