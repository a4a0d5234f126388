import type { Params } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestIds } from '../context/request-context';

/**
 * Structured JSON logs. Request logs carry method, route, status, timing and the request and
 * correlation ids — never headers (tokens), bodies or query strings (they may carry personal data).
 */
export function loggerParams(level: string): Params {
  return {
    pinoHttp: {
      level,
      // The logger sees the request before any Nest middleware: it assigns the ids.
      genReqId: (req: IncomingMessage, res: ServerResponse) => assignRequestIds(req, res).requestId,
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
