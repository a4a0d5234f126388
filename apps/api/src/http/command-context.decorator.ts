import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { CommandContext } from '@app/application/command-context';
import type { AuthenticatedRequest } from '@app/platform/auth';
import type { RequestIds } from '@app/platform/context/request-context';
import type { Request } from 'express';

/** `If-Match: 3` or `If-Match: "3"` (an ETag-like version): the stream version the client expects. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!match) throw new BadRequestException('If-Match must be a stream version, e.g. If-Match: "3"');
  return Number(match[1]);
}

/** Everything a command needs to know about who sent it and how: becomes event metadata. */
export const CommandCtx = createParamDecorator((_data: unknown, context: ExecutionContext): CommandContext => {
  const req = context.switchToHttp().getRequest<Request & AuthenticatedRequest & Partial<RequestIds>>();
  if (!req.actor) throw new Error('@CommandCtx() used on a route without an authenticated actor');
  // The parsed headers directly (lower-case names): express's req.header() cost ~1 µs a call.
  const idempotencyKey = (req.headers['idempotency-key'] as string | undefined) || undefined;
  return {
    actor: req.actor,
    correlationId: req.correlationId ?? 'unknown',
    causationId: req.requestId ?? 'unknown',
    ...(idempotencyKey ? { idempotencyKey } : {}),
    expectedVersion: parseIfMatch(req.headers['if-match']),
  };
});
