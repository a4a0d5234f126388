import type { INestApplicationContext } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { type Params, PinoLogger } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestIds, type RequestIds } from '../context/request-context';

/**
 * Structured JSON logs. Request logs carry method, route, status, timing and the request and
 * correlation ids — never headers (tokens), bodies or query strings (they may carry personal data).
 *
 * nestjs-pino's own per-request middleware is left unmounted (`forRoutes: []`): it wraps the rest
 * of every request in an AsyncLocalStorage, which on Node 20 runs async hooks on every promise the
 * process makes, and builds two child loggers per request. Measured on GET /calls/:id and POST
 * /calls (scripts/bench-http.ts, issue 11): about 330 of 1,200 µs and 560 of 2,450 µs of the
 * server's CPU per request. One line per request is written by requestLogMiddleware instead, in
 * the same shape; a line logged while serving a request (an error) names the request only if it
 * carries the ids itself (they are on the request: RequestIds).
 */
export function loggerParams(level: string): Params {
  return {
    forRoutes: [],
    pinoHttp: {
      level,
      // Unused while the middleware is unmounted; kept so that a pino-http mounted again gets the same ids.
      genReqId: (req: IncomingMessage, res: ServerResponse) => assignRequestIds(req, res).requestId,
      // The serializers get what is logged as it is (requestLogMiddleware logs plain objects).
      wrapSerializers: false,
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: loggablePath(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      redact: { paths: ['req.headers', 'res.headers', 'headers.authorization'], remove: true },
    },
  };
}

/** An id as this API makes them (a UUID, maybe behind a stream's category: `proposal-<uuid>`) or a number. */
const ID_SEGMENT = /^(?:[a-z][a-z0-9]{0,31}-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^[0-9]{1,19}$/i;

/** The static words of the application's routes (registerRouteWords): what a path may show besides ids. */
let routeWords: ReadonlySet<string> = new Set();

/**
 * Collects the static segments of every route the application's controllers declare
 * (`@Controller('grants')`, `@Post(':id/termination')` → `grants`, `termination`), once, before it
 * serves: the request log writes those and ids, nothing else.
 */
export function registerRouteWords(app: INestApplicationContext): void {
  const words = new Set<string>();
  const add = (path: unknown) => {
    for (const one of Array.isArray(path) ? path : [path]) {
      if (typeof one !== 'string') continue;
      for (const segment of one.split('/')) if (segment !== '' && !segment.startsWith(':') && !segment.includes('*')) words.add(segment);
    }
  };
  for (const { controller, handler } of controllerHandlers(app)) {
    add(Reflect.getMetadata(PATH_METADATA, controller));
    add(Reflect.getMetadata(PATH_METADATA, handler));
  }
  routeWords = words;
}

/** Every route handler of the application's controllers: the controller's class, the method's name and the method. */
export function* controllerHandlers(app: INestApplicationContext): Generator<{ controller: abstract new (...args: never[]) => unknown; name: string; handler: object }> {
  const scanner = new MetadataScanner();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (typeof metatype !== 'function') continue;
      const prototype = metatype.prototype as Record<string, unknown>;
      const controller = metatype as abstract new (...args: never[]) => unknown;
      for (const name of scanner.getAllMethodNames(prototype)) yield { controller, name, handler: prototype[name] as object };
    }
  }
}

/**
 * A request's path as the log writes it: without its query string; a segment is written as it is
 * only if it is a word of the application's routes (registerRouteWords) or an id, and as `…`
 * otherwise. A path is the client's text: `/organisations/Rima%20Haddad%20rima@mail.example` (a name
 * typed where an id belongs) or `/admin/reviewer-contacts/nadia@mail.example` (an identity provider
 * whose subjects are e-mail addresses) was logged word for word until 2026-12-07, and a subject such
 * as `zaynab.haddad`, which looks like any route word, until later that day.
 */
export function loggablePath(url: string): string {
  const path = url.split('?')[0];
  return path
    .split('/')
    .map((segment) => (segment === '' || routeWords.has(segment) || ID_SEGMENT.test(segment) ? segment : '…'))
    .join('/');
}

/**
 * The request line, as pino-http wrote it: `{ req: { id, method, path }, correlationId,
 * res: { statusCode }, responseTime, msg }` at info, "request errored" for a 5xx, once the answer
 * is sent or the connection closes; `/health` (load-balancer probes) is not logged. Assigns the
 * request ids (assignRequestIds) first, so they are set before anything else runs. Mount it with
 * `app.use` before the routes (configure-app.ts): it then also logs requests refused before any
 * Nest middleware (an unparsable body).
 */
export function requestLogMiddleware(req: IncomingMessage & Partial<RequestIds>, res: ServerResponse, next: () => void): void {
  const { requestId, correlationId } = assignRequestIds(req, res);
  const url = req.url ?? '';
  const logger = PinoLogger.root;
  if (url !== '/health' && logger?.isLevelEnabled('info')) {
    const startedAt = Date.now();
    // 'close' follows 'finish' for an answered request, and also comes alone for an aborted one; it
    // comes once, so `on` (once's wrapper cost every request a closure and a bound call).
    res.on('close', () => {
      const statusCode = res.statusCode;
      logger.info(
        { req: { id: requestId, method: req.method, url }, correlationId, res: { statusCode }, responseTime: Date.now() - startedAt },
        statusCode >= 500 ? 'request errored' : 'request completed',
      );
    });
  }
  next();
}
