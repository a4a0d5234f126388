import { Req, UseGuards } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import type { Request } from 'express';
import { ANSWERED_BY_COMMAND_METADATA, IdempotencyKeyGuard, takeKeyedCommand } from './idempotency.guard';

export interface IdempotencyKeyOptions {
  /**
   * Whether the route's answer is its command's `{ id, version }`, which the command's append then
   * remembers with its events (read from the handler once, at its first keyed request). The key is
   * then not looked up before the command runs, only when the command cannot settle it (KeyedCommand):
   * every effect of such a route must go through the event store's executor with the route's
   * CommandContext (test/layering/idempotent-routes.spec.ts checks it takes one).
   */
  answeredByCommand?: (handler: object) => boolean;
}

/** Set on a route handler that takes `Idempotency-Key` (see takesIdempotencyKey). */
const IDEMPOTENCY_KEY_METADATA = 'grant-ledger:idempotency-key';

type Handler = (this: unknown, ...args: unknown[]) => unknown;

/**
 * A route takes `Idempotency-Key` (IdempotencyKeyGuard tells what that means) without a Nest
 * interceptor, so that Nest runs no rxjs for it: the guard (bound here) looks the key up before the
 * pipes, and the route's handler is replaced by a wrapper that replays the stored answer or runs the
 * handler and remembers its answer. The wrapper is handed the request by Nest as one more parameter
 * (`@Req()` after the handler's own); without a key it calls the handler at once and returns what
 * it returns, untouched.
 *
 * The wrapper carries everything other decorators put on the handler, whichever side of this one
 * they are (those applied before it wrote on the original function: their metadata is copied; those
 * applied after find the wrapper), and the handler's name. Route parameters and design types are
 * kept on the class, not the function, and are left as they are.
 *
 * Two differences from the interceptor this replaces, neither visible in an answer: the handler is
 * called with the request as one more, trailing argument (which it does not declare), and a replay
 * now passes through the route's pipes first — it validates what its first request validated,
 * since the stored request hash covers the route, `If-Match` and the body. A handler must return
 * its answer, a promise of it, or an Observable (its last value is what is remembered, as Nest sends it).
 *
 * Two things this relies on, which test/layering/idempotent-routes.spec.ts checks on every route:
 * the guard is the route's last (a method guard applied after this decorator, above it, would
 * otherwise run after the key look-up, so a 403 could come after a 422), and every parameter of the
 * handler is decorated (the request's index comes after the last one; a parameter with a default
 * value or a rest parameter would receive the request).
 */
export function IdempotencyKeyHandling(options: IdempotencyKeyOptions = {}): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') throw new Error(`IdempotencyKeyHandling() on ${String(propertyKey)}, which is not a method`);
    if (takesIdempotencyKey(original)) return descriptor;
    const requestIndex = nextParameterIndex(target, propertyKey, original as Handler);
    Req()(target, propertyKey, requestIndex);
    const wrapper = answeringIdempotently(original as Handler, requestIndex);
    for (const key of Reflect.getOwnMetadataKeys(original)) Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapper);
    Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
    Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
    Reflect.defineMetadata(IDEMPOTENCY_KEY_METADATA, true, wrapper);
    if (options.answeredByCommand) Reflect.defineMetadata(ANSWERED_BY_COMMAND_METADATA, options.answeredByCommand, wrapper);
    (descriptor as TypedPropertyDescriptor<unknown>).value = wrapper;
    UseGuards(IdempotencyKeyGuard)(target, propertyKey, descriptor);
    return descriptor;
  };
}

/** Whether a route handler takes `Idempotency-Key` (IdempotencyKeyHandling). */
export function takesIdempotencyKey(handler: unknown): boolean {
  return typeof handler === 'function' && Reflect.getOwnMetadata(IDEMPOTENCY_KEY_METADATA, handler) === true;
}

function answeringIdempotently(original: Handler, requestIndex: number): Handler {
  return function idempotent(this: unknown, ...args: unknown[]): unknown {
    // No request (a direct call, as in a unit test) is a call without a key.
    const request = args[requestIndex] as Request | undefined;
    const keyed = takeKeyedCommand(request, request?.res);
    if (keyed === undefined) return original.apply(this, args);
    return keyed.answer(() => original.apply(this, args));
  };
}

/** The index after every parameter of the handler, decorated or not. */
function nextParameterIndex(target: object, propertyKey: string | symbol, original: Handler): number {
  const routeArgs = (Reflect.getMetadata(ROUTE_ARGS_METADATA, target.constructor, propertyKey) ?? {}) as Record<string, { index: number }>;
  return Object.values(routeArgs).reduce((next, { index }) => Math.max(next, index + 1), original.length);
}
