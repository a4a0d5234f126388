import http from 'node:http';

/** GET /feed/stream as a raw client: its status and headers, the body so far, whether it ended. */
export interface OpenedStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  readonly ended: boolean;
  close(): void;
}

/** Opens GET /feed/stream and resolves once the status is known (the body keeps arriving). */
export function openStream(port: number, token: string): Promise<OpenedStream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/feed/stream', headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } });
    req.on('error', reject);
    req.on('response', (res) => {
      const stream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: '',
        ended: false,
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (stream.body += chunk));
      res.on('end', () => (stream.ended = true));
      res.on('error', () => (stream.ended = true));
      // A stream's first bytes (": connected") come at once; a refusal is read whole.
      if (stream.status === 200) res.once('data', () => resolve(stream));
      else res.once('end', () => resolve(stream));
    });
  });
}
