import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { CommandContext } from '@app/application/command-context';
import type { AuthenticatedRequest } from '@app/platform/auth';
import type { RequestIds } from '@app/platform/context/request-context';
import type { Request } from 'express';
import { idempotencyKeyOf, keyedCommandOf } from '@app/platform/idempotency/idempotency.guard';
import { CommandResultDto } from './command-result.dto';

/**
 * `If-Match: "3"` (the strong ETag an answer carries) or `If-Match: 3`: the stream version the client
 * expects. A weak tag (`W/"3"`) is refused: If-Match compares strongly (RFC 9110 §13.1.1), so a
 * weak tag never matches, and taking it as a version would say it did.
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const weak = /^\s*W\/(?:"(0|[1-9]\d{0,8})")?/.exec(header);
  if (weak) {
    // The version named back only when the tag is one of ours (digits): the header is the client's text.
    const example = weak[1] ?? '3';
    throw new BadRequestException(`If-Match compares strong entity tags, and a weak one (W/"${example}") never matches: send the ETag as the answer gave it, e.g. If-Match: "${example}"`);
  }
  // An ETag of ours never has a leading zero, and strong comparison is by character ("01" is not "1").
  const match = /^\s*(?:"(0|[1-9]\d{0,8})"|(0|[1-9]\d{0,8}))\s*$/.exec(header);
  if (!match) throw new BadRequestException('If-Match must be a stream version as an ETag gives it, e.g. If-Match: "3"');
  return Number(match[1] ?? match[2]);
}

/**
 * Everything a command needs to know about who sent it and how: becomes event metadata. On a keyed
 * request to a route that answers the command's `{ id, version }` (answersWithCommandResult), also
 * where the command's append may remember that answer with its events (CommandContext.answer), and,
 * when the key was not looked up before the command, how to make sure it is this request's
 * (CommandContext.verifyKey).
 */
export const CommandCtx = createParamDecorator((_data: unknown, context: ExecutionContext): CommandContext => {
  const req = context.switchToHttp().getRequest<Request & AuthenticatedRequest & Partial<RequestIds>>();
  if (!req.actor) throw new Error('@CommandCtx() used on a route without an authenticated actor');
  // Refused (400) when empty or sent twice, as on keyed routes, whose guard read it first: never taken as no key.
  const idempotencyKey = idempotencyKeyOf(req);
  const keyed = idempotencyKey ? keyedCommandOf(req) : undefined;
  const answer = keyed?.slot;
  const verifyKey = keyed?.verify;
  return {
    actor: req.actor,
    correlationId: req.correlationId ?? 'unknown',
    causationId: req.requestId ?? 'unknown',
    ...(idempotencyKey ? { idempotencyKey } : {}),
    ...(keyed ? { idempotencyRequest: keyed.requestTag } : {}),
    expectedVersion: parseIfMatch(req.headers['if-match']),
    ...(answer && answersWithCommandResult(context.getHandler()) ? { answer } : {}),
    ...(verifyKey ? { verifyKey } : {}),
  };
});

/** Where @nestjs/swagger keeps a route's documented responses (its DECORATORS.API_RESPONSE, not exported). */
const API_RESPONSES = 'swagger/apiResponse';

const answersCommandResult = new WeakMap<object, boolean>();

/**
 * Whether a route's answer is the command's `{ id, version }`: every success it documents
 * (`@ApiOkResponse`, `@ApiCreatedResponse`) is a CommandResultDto. Read once per route.
 */
export function answersWithCommandResult(handler: object): boolean {
  let answers = answersCommandResult.get(handler);
  if (answers === undefined) {
    const responses = (Reflect.getMetadata(API_RESPONSES, handler) ?? {}) as Record<string, { type?: unknown }>;
    const successes = Object.entries(responses).filter(([status]) => /^2\d\d$/.test(status));
    answers = successes.length > 0 && successes.every(([, response]) => response.type === CommandResultDto);
    answersCommandResult.set(handler, answers);
  }
  return answers;
}
