import { BadRequestException, Catch, HttpException, Inject, Logger, NotFoundException, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { DuplicateEventIdError, IdempotencyKeyTakenError, WrongExpectedVersionError } from '@app/event-store';
import { AlreadyExists, DomainRuleViolation, InvalidStateTransition, StreamNotFound } from '@app/domain/shared/decider';
import { IdempotencyKeyReused } from '@app/platform/idempotency/idempotency-key-reused.error';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails, type ProblemType } from './problem-types';
import { isContention } from '@app/platform/database/transient-errors';
import { ConflictRetriesExhausted } from '@app/application/retry-on-conflict';
import { isOutage, PROBLEM_DETAILS_OPTIONS, problemDetailsOptionsFromEnv, type ProblemDetailsOptions } from './service-unavailable';
import { BODY_NOT_AN_OBJECT, MalformedRequestError, RequestValidationError, TooManyRequestsError } from './validation';
import { allowedMethodsFor, type RoutedRequest } from '../method-not-allowed';

interface RequestLike extends RoutedRequest {
  method?: string;
  url?: string;
  /** Express keeps the full path here when a router has rewritten `url`. */
  originalUrl?: string;
}

const INTERNAL_DETAIL = 'An unexpected error occurred. It has been logged.';

/**
 * A record as the API names it, not by its stream in the log: `proposal-3f1c…` is said `proposal 3f1c…`,
 * as the reads say it (until 2026-12-07 commands and document routes named the internal stream).
 */
const recordNamesOf = (detail: string) => detail.replace(/\b(call|proposal|grant|organisation)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/g, '$1 $2');
const UNAVAILABLE_DETAIL = 'A service this request needs is unavailable for a moment. Retry after the number of seconds in Retry-After.';
const CONTENTION_DETAIL =
  'The database was too busy to apply this request and rolled it back: nothing was changed. Retry after the number of seconds in Retry-After.';
const contendedDetail = (attempts: number) =>
  `Other changes to this record kept arriving while this request was decided (${attempts} attempts, each on its newest version): nothing was changed. Retry after the number of seconds in Retry-After.`;
const UNAVAILABLE_COMMAND_DETAIL =
  'A service this request needs is unavailable for a moment; whether the request was applied is unknown. ' +
  'Retry after the number of seconds in Retry-After, with the same Idempotency-Key so that it is applied at most once.';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The one place errors become HTTP responses: RFC 9457 application/problem+json for
 * validation, auth, domain, concurrency and unexpected errors alike.
 * Register globally: `app.useGlobalFilters(new ProblemDetailsFilter())` or PROBLEM_DETAILS_FILTER.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');
  private readonly options: ProblemDetailsOptions;

  constructor(@Optional() @Inject(PROBLEM_DETAILS_OPTIONS) options?: ProblemDetailsOptions) {
    this.options = options ?? problemDetailsOptionsFromEnv();
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<RequestLike>();
    const response = http.getResponse<ServerResponse>();
    // A method the path does not have reaches here as Nest's not-found 404: 405, with the path's methods.
    const allow = exception instanceof NotFoundException ? allowedMethodsFor(request) : undefined;
    const problem = allow ? methodNotAllowed(requestPath(request), request.method ?? '?', allow) : toProblemDetails(exception, requestPath(request), request.method);

    if (problem.type === PROBLEM_TYPES.serviceUnavailable) this.logOutage(exception, request);
    else if (problem.status >= 500) this.logUnexpected(exception, request);

    if (response.headersSent) {
      // Too late for a problem body; cut the response short so the client sees a failure.
      response.end();
      return;
    }
    if (problem.status === 401 && !response.hasHeader('WWW-Authenticate')) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="grant-ledger"');
    }
    const retryAfter = retryAfterSeconds(exception, problem, this.options);
    if (retryAfter !== undefined && !response.hasHeader('Retry-After')) response.setHeader('Retry-After', String(retryAfter));
    if (allow) response.setHeader('Allow', allow.join(', '));
    response.statusCode = problem.status;
    response.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
    response.end(JSON.stringify(problem));
  }

  /** Never logs bodies or headers: they may hold tokens or personal data. */
  private logUnexpected(exception: unknown, request: RequestLike): void {
    const error = exception instanceof Error ? exception : new Error(`Non-error thrown: ${typeof exception}`);
    // Request and correlation ids come from the request-scoped logger context (pino-http).
    this.logger.error(`${error.name} on ${request.method ?? '?'} ${requestPath(request)}: ${error.message}`, error.stack);
  }

  /** An outage is expected from time to time: one line, no stack, and never a query's parameters. */
  private logOutage(exception: unknown, request: RequestLike): void {
    const error = exception as { name?: unknown; code?: unknown; message?: unknown };
    const code = typeof error.code === 'string' || typeof error.code === 'number' ? ` [${error.code}]` : '';
    this.logger.warn(`service unavailable on ${request.method ?? '?'} ${requestPath(request)}: ${String(error.name)}${code}: ${String(error.message)}`);
  }
}

/** Seconds for a Retry-After header: the limit's own for a 429, the configured outage delay for a 503. */
export function retryAfterSeconds(exception: unknown, problem: ProblemDetails, options: ProblemDetailsOptions): number | undefined {
  if (exception instanceof TooManyRequestsError) return exception.retryAfterSeconds;
  if (problem.type === PROBLEM_TYPES.serviceUnavailable) return options.outageRetryAfterSeconds;
  return undefined;
}

/** Provider form of the filter, for a module's `providers`. */
export const PROBLEM_DETAILS_FILTER = { provide: APP_FILTER, useClass: ProblemDetailsFilter };

/**
 * Maps any thrown value to a problem body. Pure, so the mapping is testable without HTTP. `method`
 * tells a query from a command, whose outcome an outage leaves unknown.
 */
export function toProblemDetails(exception: unknown, instance: string, method = 'GET'): ProblemDetails {
  const problem = (status: number, type: ProblemType, title: string, detail: string, extensions = {}): ProblemDetails => ({
    type,
    title,
    status,
    detail,
    instance,
    ...extensions,
  });

  if (exception instanceof RequestValidationError) {
    return problem(400, PROBLEM_TYPES.validation, 'Invalid request', 'One or more fields are invalid', {
      errors: exception.errors,
    });
  }
  if (exception instanceof DomainRuleViolation) {
    return problem(422, PROBLEM_TYPES.domainRuleViolation, 'Business rule violated', exception.message, {
      rule: exception.rule,
    });
  }
  if (exception instanceof InvalidStateTransition) {
    return problem(409, PROBLEM_TYPES.invalidStateTransition, 'Invalid state transition', exception.message, {
      currentStatus: exception.currentStatus,
      attempted: exception.attempted,
    });
  }
  if (exception instanceof AlreadyExists) {
    return problem(409, PROBLEM_TYPES.alreadyExists, 'Already exists', exception.message);
  }
  if (exception instanceof StreamNotFound) {
    return problem(404, PROBLEM_TYPES.notFound, 'Not found', recordNamesOf(exception.message));
  }
  if (exception instanceof ConflictRetriesExhausted) return problem(503, PROBLEM_TYPES.serviceUnavailable, 'Service unavailable', contendedDetail(exception.attempts));
  if (exception instanceof WrongExpectedVersionError) {
    return problem(
      409,
      PROBLEM_TYPES.versionConflict,
      'Version conflict',
      `The resource has changed: expected version ${String(exception.expected)}, current version ${exception.actual}`,
      { expectedVersion: exception.expected, actualVersion: exception.actual },
    );
  }
  if (exception instanceof IdempotencyKeyReused) {
    return problem(422, PROBLEM_TYPES.idempotencyKeyReused, 'Idempotency-Key reused', exception.message, { rule: exception.rule });
  }
  if (exception instanceof IdempotencyKeyTakenError) {
    // Reaches here only when the key was looked up before the command and another request sent with
    // it answered in between; otherwise the HTTP layer answers 422 or replays (KeyedCommand).
    return problem(409, PROBLEM_TYPES.conflict, 'Conflict', 'Another request sent with this Idempotency-Key was answered first; send this one again to see how');
  }
  if (exception instanceof DuplicateEventIdError) {
    return problem(409, PROBLEM_TYPES.conflict, 'Conflict', 'This request was already applied at another point of the record');
  }
  if (exception instanceof MalformedRequestError) {
    return problem(400, PROBLEM_TYPES.malformedRequest, 'Malformed request', exception.message);
  }
  if (exception instanceof HttpException && exception.cause instanceof MalformedRequestError) {
    // Thrown by a body parser's `verify` (http/body-parsers.ts), which Nest's express adapter wraps.
    return problem(400, PROBLEM_TYPES.malformedRequest, 'Malformed request', exception.cause.message);
  }
  if (exception instanceof BadRequestException && exception.cause instanceof SyntaxError) {
    // Thrown by the JSON body parser; its message quotes the body, so it is not echoed.
    const detail = isJsonScalar(exception.cause) ? BODY_NOT_AN_OBJECT : 'The request body is not valid JSON';
    return problem(400, PROBLEM_TYPES.malformedRequest, 'Malformed request', detail);
  }
  if (exception instanceof BadRequestException && exception.cause instanceof URIError) {
    return problem(400, PROBLEM_TYPES.malformedRequest, 'Malformed request', 'The request URL is not validly encoded');
  }
  if (isContention(exception)) return problem(503, PROBLEM_TYPES.serviceUnavailable, 'Service unavailable', CONTENTION_DETAIL);
  if (isOutage(exception)) {
    const detail = SAFE_METHODS.has(method.toUpperCase()) ? UNAVAILABLE_DETAIL : UNAVAILABLE_COMMAND_DETAIL;
    return problem(503, PROBLEM_TYPES.serviceUnavailable, 'Service unavailable', detail);
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 503) return problem(503, PROBLEM_TYPES.serviceUnavailable, 'Service unavailable', UNAVAILABLE_DETAIL);
    if (status >= 500) return problem(status, PROBLEM_TYPES.internal, statusTitle(status), INTERNAL_DETAIL);
    const { type, title } = typeForStatus(status);
    return problem(status, type, title, httpExceptionDetail(exception));
  }
  return problem(500, PROBLEM_TYPES.internal, 'Internal server error', INTERNAL_DETAIL);
}

/** RFC 9110 §15.5.6: the path exists, not with this method; `Allow` (set by the filter) lists those it has. */
export function methodNotAllowed(instance: string, method: string, allow: readonly string[]): ProblemDetails {
  return {
    type: PROBLEM_TYPES.other,
    title: 'Method Not Allowed',
    status: 405,
    detail: `${method} is not allowed on ${instance}; it takes ${allow.join(', ')}`,
    instance,
  };
}

/**
 * Express's JSON parser runs in strict mode: a body that is valid JSON but neither an object nor an
 * array (`null`, `42`, `"text"`, `true`) is refused with a SyntaxError mimicking JSON.parse's, and
 * the raw body attached as `body`. Parsing that body again tells the two cases apart.
 */
function isJsonScalar(error: SyntaxError): boolean {
  const body = (error as SyntaxError & { body?: unknown }).body;
  if (typeof body !== 'string') return false;
  try {
    const value: unknown = JSON.parse(body);
    return value === null || typeof value !== 'object';
  } catch {
    return false;
  }
}

function typeForStatus(status: number): { type: ProblemType; title: string } {
  switch (status) {
    case 400:
      return { type: PROBLEM_TYPES.badRequest, title: 'Bad request' };
    case 401:
      return { type: PROBLEM_TYPES.unauthenticated, title: 'Unauthenticated' };
    case 403:
      return { type: PROBLEM_TYPES.forbidden, title: 'Forbidden' };
    case 404:
      return { type: PROBLEM_TYPES.notFound, title: 'Not found' };
    case 409:
      return { type: PROBLEM_TYPES.conflict, title: 'Conflict' };
    case 429:
      return { type: PROBLEM_TYPES.tooManyRequests, title: 'Too many requests' };
    default:
      return { type: PROBLEM_TYPES.other, title: statusTitle(status) };
  }
}

function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function httpExceptionDetail(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return exception.message;
}

function requestPath(request: RequestLike): string {
  const url = request.originalUrl ?? request.url ?? '';
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}
