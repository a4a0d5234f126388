import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';

/**
 * Structured JSON logs. Request logs carry method, route, status, timing and the request and
 * correlation ids — never headers (tokens), bodies or query strings (they may carry personal data).
 */
export function loggerParams(level: string): Params {
  return {
    pinoHttp: {
      level,
      genReqId: (req: IncomingMessage & { requestId?: string }) => req.requestId ?? 'unknown',
      customProps: (req: IncomingMessage & { correlationId?: string }) => ({ correlationId: req.correlationId }),
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      redact: { paths: ['req.headers', 'res.headers', 'headers.authorization'], remove: true },
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
    },
  };
}
