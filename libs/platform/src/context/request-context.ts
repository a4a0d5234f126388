import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestIds {
  requestId: string;
  correlationId: string;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Accepts a caller's X-Request-Id / X-Correlation-Id when well-formed, otherwise makes new ones, and
 * echoes both. Idempotent: called by the request log middleware (the API's, mounted first) and by
 * requestIdsMiddleware where no request log is mounted.
 */
export function assignRequestIds(req: IncomingMessage & Partial<RequestIds>, res: ServerResponse): RequestIds {
  if (!req.requestId || !req.correlationId) {
    const incomingRequestId = header(req, 'x-request-id');
    const incomingCorrelationId = header(req, 'x-correlation-id');
    req.requestId = incomingRequestId && SAFE_ID.test(incomingRequestId) ? incomingRequestId : randomUUID();
    req.correlationId = incomingCorrelationId && SAFE_ID.test(incomingCorrelationId) ? incomingCorrelationId : req.requestId;
    if (!res.headersSent) {
      res.setHeader('X-Request-Id', req.requestId);
      res.setHeader('X-Correlation-Id', req.correlationId);
    }
  }
  return { requestId: req.requestId, correlationId: req.correlationId };
}

export function requestIdsMiddleware(req: IncomingMessage & Partial<RequestIds>, res: ServerResponse, next: () => void): void {
  assignRequestIds(req, res);
  next();
}
