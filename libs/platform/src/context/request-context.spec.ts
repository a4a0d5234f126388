import type { IncomingMessage, ServerResponse } from 'node:http';
import { loggerParams } from '../logging/logging';
import { requestIdsMiddleware } from './request-context';

function fakeExchange(headers: Record<string, string> = {}) {
  const sent: Record<string, string> = {};
  const req = { headers } as unknown as IncomingMessage & { requestId?: string; correlationId?: string };
  const res = { headersSent: false, setHeader: (name: string, value: string) => (sent[name] = value) } as unknown as ServerResponse;
  return { req, res, sent };
}

describe('request ids', () => {
  const genReqId = (loggerParams('info').pinoHttp as { genReqId: (req: IncomingMessage, res: ServerResponse) => string }).genReqId;

  it('gives the request log the same id the response and the command metadata carry', () => {
    const { req, res, sent } = fakeExchange();
    const logged = genReqId(req, res);
    requestIdsMiddleware(req, res, () => undefined);
    expect(logged).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.requestId).toBe(logged);
    expect(sent['X-Request-Id']).toBe(logged);
    expect(req.correlationId).toBe(logged);
  });

  it("keeps a caller's well-formed ids and replaces malformed ones", () => {
    const kept = fakeExchange({ 'x-request-id': 'req-42', 'x-correlation-id': 'flow-7' });
    expect(genReqId(kept.req, kept.res)).toBe('req-42');
    expect(kept.req.correlationId).toBe('flow-7');
    const replaced = fakeExchange({ 'x-request-id': 'bad id with spaces\n' });
    expect(genReqId(replaced.req, replaced.res)).not.toContain(' ');
  });
});
