import { applyDecorators } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';

/** The headers every command route takes, documented once: `Idempotency-Key` and `If-Match` on the resource's stream. */
export function commandHeaders(resource: string): MethodDecorator {
  return applyDecorators(
    ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retrying with the same key returns the first answer and appends nothing' }),
    ApiHeader({ name: 'If-Match', required: false, description: `Expected stream version, e.g. "3": 409 if the ${resource} has moved on` }),
  );
}
