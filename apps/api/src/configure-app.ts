import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { registerRouteWords, requestLogMiddleware } from '@app/platform/logging/logging';
import { BodylessRouteGuard, RequestInputGuard } from './http/validation';
import { useStrictBodyParsers } from './http/body-parsers';
import { answerClientErrorsAsProblems } from './http/client-errors';
import { cacheValidationMetadata } from './http/validation/validation-metadata-cache';
import { createValidationPipe } from './http/validation/validation-pipe';
import { Logger } from 'nestjs-pino';
import { markPublicOperations } from './http/openapi-public-routes';
import { documentValidationLimits } from './http/openapi-validation-limits';
import { hardenHttp } from './security/http-hardening';
import { lowerCaseUuidPath } from './http/uuid-case';

/** Everything main.ts and the e2e tests set up identically on the Nest application. */
export function configureApp(app: INestApplication): INestApplication {
  app.useLogger(app.get(Logger));
  // An ETag here means one thing: a stream version, strong, as If-Match takes it (http/version-etag.ts).
  // Express's own weak body-hash ETags (which If-Match refuses) are off.
  app.getHttpAdapter().getInstance().set('etag', false);
  // Security headers and CSP, no-store for authenticated answers, TRUST_PROXY, CORS allow-list; first
  // of all, in the same middleware, the request ids and the one log line per request, before anything can refuse it.
  // Then a path's UUID segments lower-cased, so that routing, the pipes and the stream ids see one form (http/uuid-case.ts).
  registerRouteWords(app); // what the request log may write of a path besides ids
  hardenHttp(app, {
    first: (request, response, next) => {
      lowerCaseUuidPath(request);
      requestLogMiddleware(request, response, next);
    },
  });
  // JSON and form bodies whose bytes are not valid UTF-8: 400, not decoded with U+FFFD (http/body-parsers.ts).
  useStrictBodyParsers(app);
  // What Node's HTTP parser refuses before the app runs (a 16 KB URL, a short Content-Length): problem+json too.
  answerClientErrorsAsProblems(app.getHttpServer());
  app.useGlobalGuards(
    new RequestInputGuard(), // NUL, lone surrogates, JSON depth: 400 before any pipe or interceptor
    new BodylessRouteGuard(), // a body other than {} sent to a route that takes none: 400
  );
  cacheValidationMetadata(); // class-validator's rule look-up, once per DTO class instead of per validation
  app.useGlobalPipes(createValidationPipe()); // whitelist + forbidNonWhitelisted + transform, problem+json 400s (http/validation/validation-pipe.ts)
  const document = new DocumentBuilder()
    .setTitle('Grant Ledger API')
    .setDescription(
      'Every grant step as an immutable event. Commands answer `{ id, version }`; reads come from read models. ' +
        'Errors are RFC 9457 `application/problem+json`. Get a local token with `npm run token -- --role grant-manager --sub alice`.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    // Every route needs the token unless it is @Public() (markPublicOperations); relative, so the
    // document never repeats a request's Host and "Try it out" calls the server that served it.
    .addSecurityRequirements('bearer')
    .addServer('/', 'The server that serves this document')
    .build();
  SwaggerModule.setup('docs', app, () => markPublicOperations(app, documentValidationLimits(SwaggerModule.createDocument(app, document))), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
  return app;
}
