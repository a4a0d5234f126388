/** A webhook endpoint on 127.0.0.1 that answers 200 to everything and counts deliveries by `webhook-id`. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class CountingReceiver {
  /** Deliveries per message id (the stored event id). */
  readonly received = new Map<string, number>();
  requests = 0;
  url = '';
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.requests += 1;
        const id = req.headers['webhook-id'];
        if (typeof id === 'string') this.received.set(id, (this.received.get(id) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    this.server.keepAliveTimeout = 1_000;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  /** Messages received more than once (allowed: at least once). */
  duplicates(): number {
    return [...this.received.values()].filter((n) => n > 1).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
