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
 * HTTP hardening, from configuration (APP_CONFIG): helmet's headers with the policy above,
 * `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, no `X-Powered-By`; `Cache-Control:
 * no-store` on every answer to a request that carries credentials; the proxies believed about the
 * client address (TRUST_PROXY); CORS only for the origins in CORS_ALLOWED_ORIGINS (none by default:
 * no CORS headers at all). Call before the app is initialised (configureApp).
 */
export function hardenHttp(app: INestApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void; set(setting: string, value: unknown): void };
  express.disable('x-powered-by');
  express.set('trust proxy', config.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use(noStoreWhenAuthenticated);
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

/**
 * Answers to a request with credentials may carry personal data or what only that caller may see:
 * no cache may keep them. Enforced when the headers are written, so a handler's own Cache-Control
 * (the event stream's `no-cache`) cannot weaken it.
 */
export function noStoreWhenAuthenticated(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  if (request.headers.authorization !== undefined) {
    response.setHeader('Cache-Control', 'no-store');
    const writeHead = response.writeHead;
    response.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      const current = String(this.getHeader('Cache-Control') ?? '');
      if (!/(^|,)\s*no-store\s*(,|$)/i.test(current)) this.setHeader('Cache-Control', /no-transform/i.test(current) ? 'no-store, no-transform' : 'no-store');
      return writeHead.apply(this, args);
    } as ServerResponse['writeHead'];
  }
  next();
}
