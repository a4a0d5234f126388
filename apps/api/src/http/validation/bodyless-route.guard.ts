import { BadRequestException, SetMetadata, UnsupportedMediaTypeException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/internal';
import type { IncomingMessage } from 'node:http';
import { takesIdempotencyKey } from '@app/platform/idempotency/idempotent-handler';

/** Where @nestjs/swagger keeps a route's documented parameters, `@ApiBody` among them (its DECORATORS.API_PARAMETERS, not exported). */
const API_PARAMETERS = 'swagger/apiParameters';

const BODY_PARAMETER = `${RouteParamtypes.BODY}:`;
const QUERY_PARAMETER = `${RouteParamtypes.QUERY}:`;

/** A controller or route that serves browsers rather than API clients: any query string is its reader's business. */
const ANY_QUERY = 'grant-ledger:accepts-any-query';
export const AcceptsAnyQuery = (): ClassDecorator & MethodDecorator => SetMetadata(ANY_QUERY, true);

/** What a route takes besides its path, read once per route. */
interface RouteInputs {
  body: boolean;
  query: boolean;
}

const inputsOf = new WeakMap<object, RouteInputs>();

/**
 * What a route takes, from what also makes the OpenAPI document, so "takes no body" here is
 * "documents no requestBody" there: a body when its handler has a `@Body()` parameter or documents
 * one (`@ApiBody`: the uploads, which read their multipart body from the request themselves); a
 * query when it has a `@Query()` parameter, documents one (`@ApiQuery`), or takes any
 * (@AcceptsAnyQuery).
 */
export function routeInputs(controller: object, handler: object & { name: string }): RouteInputs {
  let inputs = inputsOf.get(handler);
  if (inputs === undefined) {
    // Route parameters are kept on the class by method name (IdempotencyKeyHandling's wrapper keeps the name).
    const parameters = Object.keys((Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler.name) ?? {}) as object);
    const documented = (Reflect.getMetadata(API_PARAMETERS, handler) ?? []) as { in?: string }[];
    const takes = (prefix: string, location: string) => parameters.some((key) => key.startsWith(prefix)) || documented.some((parameter) => parameter.in === location);
    inputs = {
      body: takes(BODY_PARAMETER, 'body'),
      query: Reflect.getMetadata(ANY_QUERY, controller) === true || Reflect.getMetadata(ANY_QUERY, handler) === true || takes(QUERY_PARAMETER, 'query'),
    };
    inputsOf.set(handler, inputs);
  }
  return inputs;
}

/** Methods that change nothing: an Idempotency-Key on them is harmless, and ignored. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether the URL carries a query string with anything in it (`/path?` alone says nothing). */
function sendsQuery(request: IncomingMessage): boolean {
  const url = request.url ?? '';
  const mark = url.indexOf('?');
  return mark !== -1 && mark < url.length - 1;
}

/** Whether the request has content at all: a non-zero Content-Length, or a chunked body. */
function sendsContent(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return length === undefined ? request.headers['transfer-encoding'] !== undefined : Number(length) !== 0;
}

/** `{}` as a body parser leaves it, for `{}`, `{ }` or an empty JSON or form body. */
function isEmptyObject(body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  for (const key in body) if (Object.hasOwn(body, key)) return false;
  return true;
}

/**
 * A body sent to a route that takes none (a read, a DELETE, a command such as `POST
 * /calls/:id/publish`) is refused with a 400 problem: a client that thinks it passes parameters that
 * way learns that they would be ignored, instead of seeing its command run without them. A query
 * string sent to an API route that takes none (`GET /calls/:id/ranking?limit=10`, a bundle, a
 * command) is refused alike, as the routes that take some refuse a parameter they do not know (until
 * 2026-12-06 such a route ignored it); pages served to browsers (@AcceptsAnyQuery: the console,
 * where an identity provider sends its sign-in answer back as a query) take any. An empty
 * body and `{}` (what many clients send on every POST, with `Content-Type: application/json`) say
 * nothing and pass; so does any request without content. Runs among the global guards, after the
 * AuthGuard (an anonymous or forbidden caller gets its 401 or 403 first) and before the route's own
 * (the Idempotency-Key guard) and the pipes. A request without content or query costs it two header
 * reads and a search of its URL. A route that takes a body answers 415 to one its parsers did not
 * read (`text/plain`, `application/xml`, none: until 2026-12-06 the route saw no body).
 */
export class BodylessRouteGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<IncomingMessage & { body?: unknown }>();
    if (sendsQuery(request) && !routeInputs(context.getClass(), context.getHandler()).query) {
      throw new BadRequestException(`This route takes no query parameters: send none, as what is sent would be ignored`);
    }
    // A change whose route takes no Idempotency-Key (POST /webhooks/subscriptions: its answer holds a
    // secret that is never kept to be replayed) would run again on every retry: the key is refused,
    // not ignored (until 2026-12-07 each retry created another subscription with another secret).
    if (request.headers['idempotency-key'] !== undefined && !SAFE_METHODS.has(request.method ?? '') && !takesIdempotencyKey(context.getHandler())) {
      throw new BadRequestException('This route takes no Idempotency-Key: a retry would not be recognised, so send none (see the route\'s documentation for what to do after a lost answer)');
    }
    if (!sendsContent(request) || isEmptyObject(request.body)) return true;
    if (!routeInputs(context.getClass(), context.getHandler()).body) {
      throw new BadRequestException(`This route takes no request body: send none (or {}), as what is sent would be ignored`);
    }
    // A body the JSON and form parsers left unread (another Content-Type, or none) would reach the
    // route as no body at all: a command answered 400 naming every field as missing. An upload
    // (multipart/form-data) reads its own body.
    const type = request.headers['content-type'] ?? '';
    if (request.readableEnded || /^multipart\/form-data\b/i.test(type)) return true;
    throw new UnsupportedMediaTypeException(
      `${type === '' ? 'A body without a Content-Type' : `A body of type ${type.split(';')[0].trim()}`} is not read here: send it as application/json (or application/x-www-form-urlencoded)`,
    );
  }
}
