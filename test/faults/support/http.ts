/**
 * A small HTTP/1.1 client over node:http for the fault suite: a keep-alive agent of its own per
 * client (so probes never queue behind load), a hard timeout per request, and outcomes instead of
 * exceptions: a request either got an answer (status, parsed body, headers, time) or did not
 * (timeout, connection reset or refused).
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface HttpAnswer {
  /** 0 when there was no answer (see `error`). */
  status: number;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** Milliseconds from sending to the full answer (or to the failure). */
  ms: number;
  /** Why there was no answer: 'timeout', or the socket error code (ECONNRESET, ECONNREFUSED, ...). */
  error?: string;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class HttpClient {
  private readonly agent: Agent;

  constructor(
    public baseUrl: string,
    options: { maxSockets?: number; defaultTimeoutMs?: number } = {},
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 10_000;
  }

  private readonly defaultTimeoutMs: number;

  get(path: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    return this.send('GET', path, options);
  }

  post(path: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    return this.send('POST', path, options);
  }

  send(method: string, path: string, options: RequestOptions = {}): Promise<HttpAnswer> {
    const url = new URL(path, this.baseUrl);
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const started = performance.now();
    return new Promise<HttpAnswer>((resolve) => {
      let settled = false;
      const finish = (answer: Omit<HttpAnswer, 'ms'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...answer, ms: performance.now() - started });
      };
      const req = httpRequest(
        {
          hostname: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, body: undefined, headers: {}, error: error.code ?? error.message }));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            if ((res.headers['content-type'] ?? '').includes('json') && text) {
              try {
                body = JSON.parse(text);
              } catch {
                /* keep the text */
              }
            }
            finish({ status: res.statusCode ?? 0, body, headers: res.headers });
          });
        },
      );
      const timer = setTimeout(() => {
        finish({ status: 0, body: undefined, headers: {}, error: 'timeout' });
        req.destroy();
      }, timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => finish({ status: 0, body: undefined, headers: {}, error: error.code ?? error.message }));
      req.end(payload);
    });
  }

  /** Closes every socket (idle and busy): nothing of this client keeps the test process alive. */
  close(): void {
    this.agent.destroy();
  }
}

export const is2xx = (answer: HttpAnswer) => answer.status >= 200 && answer.status < 300;

/** A command's acknowledgement: 2xx with `{ id, version }`. */
export function acknowledged(answer: HttpAnswer): { id: string; version: number } | undefined {
  if (!is2xx(answer)) return undefined;
  const body = answer.body as { id?: unknown; version?: unknown } | undefined;
  if (typeof body?.id !== 'string' || typeof body.version !== 'number') return undefined;
  return { id: body.id, version: body.version };
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), if the answer has one. */
export function retryAfterMs(answer: HttpAnswer): number | undefined {
  const value = answer.headers['retry-after'];
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value[0] : value;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** "201", "503", "timeout", "ECONNRESET": one label per outcome, for tallies. */
export function outcomeLabel(answer: HttpAnswer): string {
  return answer.status ? String(answer.status) : (answer.error ?? 'no answer');
}
