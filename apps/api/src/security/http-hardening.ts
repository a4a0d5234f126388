import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';

/**
 * One policy for every answer, strict enough for the API and loose enough for Swagger UI at /docs
 * (and later pages) to work offline: scripts only from the API itself (Swagger UI loads
 * swagger-ui-bundle.js, …-standalone-preset.js and swagger-ui-init.js, no inline script), styles
 * from the API plus inline (its page has a <style> block and style attributes), images and fonts
 * from the API or data: URLs, fetches to the API only. Nothing from a CDN, no plugins, no framing.
 * No `upgrade-insecure-requests`: TLS is the proxy's job, and it would break /docs served over
 * plain http inside a private network.
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Headers a browser may send cross-origin, and those it may read, when CORS allows the origin. */
const CORS_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'Last-Event-ID'];
const CORS_EXPOSED_HEADERS = ['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed', 'X-Request-Id', 'X-Correlation-Id'];

/**
 * What every API answer carries (OWASP REST Security Cheat Sheet, "Security headers"): JSON,
 * problems, CSV, files and the event stream are never documents a browser should run or frame, so
 * their policy forbids everything (`default-src 'none'`), stricter than the pages' policy above.
 * The headers helmet adds for HTML documents only (COOP, Origin-Agent-Cluster, X-DNS-Prefetch-Control,
 * X-Download-Options, X-Permitted-Cross-Domain-Policies, X-XSS-Protection) are left off them: they
 * do nothing on an answer no browser renders, and each header cost every request CPU (issue 11).
 */
export const API_RESPONSE_HEADERS: readonly (readonly [string, string])[] = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
];

/** The pages the API serves itself: Swagger UI (the console sets its own, stricter policy). */
const isDocumentPath = (url: string): boolean => url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');

export type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * HTTP hardening, from configuration (APP_CONFIG): on API answers the headers above, on Swagger UI's
 * pages helmet's with the policy above (`X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`);
 * no `X-Powered-By`; `Cache-Control: no-store` on every answer to a request that carries
 * credentials; the proxies believed about the client address (TRUST_PROXY); CORS only for the
 * origins in CORS_ALLOWED_ORIGINS (none by default: no CORS headers at all). Call before the app is
 * initialised (configureApp).
 */
export function hardenHttp(app: INestApplication, options: { first?: Middleware } = {}): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const express = app.getHttpAdapter().getInstance() as {
    disable(setting: string): void;
    set(setting: string, value: unknown): void;
    response: ServerResponse;
  };
  express.disable('x-powered-by');
  express.set('trust proxy', config.trustProxy);
  keepNoStoreWhenAuthenticated(express.response);
  const headers = securityHeaders(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  // One middleware, not two: every layer of express's router costs every request its matching.
  const { first } = options;
  app.use(first ? (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => first(request, response, () => headers(request, response, next)) : headers);
  if (config.corsAllowedOrigins.length > 0) {
    const allowed = new Set(config.corsAllowedOrigins);
    app.enableCors({
      // An origin not listed gets no CORS header: the browser keeps the answer from the page.
      origin: (origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: CORS_REQUEST_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      // Bearer tokens, never cookies: credentialed CORS stays off.
      credentials: false,
      maxAge: 600,
      optionsSuccessStatus: 204,
    });
  }
}


/** API_RESPONSE_HEADERS on every answer, helmet's page headers on Swagger UI's. */
export function securityHeaders(pageHeaders: Middleware): Middleware {
  return function securityHeadersMiddleware(request, response, next) {
    if (isDocumentPath(request.url ?? '')) return pageHeaders(request, response, next);
    for (const [name, value] of API_RESPONSE_HEADERS) response.setHeader(name, value);
    next();
  };
}

/**
 * Answers to a request with credentials may carry personal data or what only that caller may see:
 * no cache may keep them. Enforced when the headers are written (every way of answering goes
 * through writeHead, express's and Node's implicit one alike), so a handler's own Cache-Control
 * (the event stream's `no-cache`) cannot weaken it. Installed once on the app's response prototype
 * (express's `app.response`), not per request: a closure per answer cost every request.
 */
export function keepNoStoreWhenAuthenticated(responsePrototype: ServerResponse): void {
  const writeHead = responsePrototype.writeHead;
  responsePrototype.writeHead = function (this: ServerResponse & { req?: IncomingMessage }, ...args: Parameters<ServerResponse['writeHead']>) {
    if (this.req?.headers.authorization !== undefined) {
      const current = this.getHeader('Cache-Control');
      if (current === undefined) this.setHeader('Cache-Control', 'no-store');
      else if (!/(^|,)\s*no-store\s*(,|$)/i.test(String(current))) this.setHeader('Cache-Control', /no-transform/i.test(String(current)) ? 'no-store, no-transform' : 'no-store');
    }
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}
