import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestIds {
  requestId: string;
  correlationId: string;
}

/** Accepts a caller's X-Request-Id / X-Correlation-Id when well-formed, otherwise makes new ones; echoes both. */
export function requestIdsMiddleware(req: Request & Partial<RequestIds>, res: Response, next: NextFunction): void {
  const incomingRequestId = req.header('x-request-id');
  const incomingCorrelationId = req.header('x-correlation-id');
  req.requestId = incomingRequestId && SAFE_ID.test(incomingRequestId) ? incomingRequestId : randomUUID();
  req.correlationId = incomingCorrelationId && SAFE_ID.test(incomingCorrelationId) ? incomingCorrelationId : req.requestId;
  res.setHeader('X-Request-Id', req.requestId);
  res.setHeader('X-Correlation-Id', req.correlationId);
  next();
}
