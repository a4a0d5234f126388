import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { postWebhook } from './webhook-http-client';

/** A local receiver whose answers the test writes; resolves `closed` when the connection it served ends. */
async function receiver(answer: (response: ServerResponse) => void): Promise<{ server: Server; url: URL; closed: Promise<number> }> {
  let onClosed: (at: number) => void = () => undefined;
  const closed = new Promise<number>((resolve) => (onClosed = resolve));
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => answer(response));
  });
  server.on('connection', (socket: Socket) => socket.on('close', () => onClosed(Date.now())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`), closed };
}

describe('postWebhook', () => {
  const servers: Server[] = [];
  const timers: NodeJS.Timeout[] = [];

  afterEach(async () => {
    for (const timer of timers.splice(0)) clearInterval(timer);
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('settles on a 2xx status and closes the connection within the timeout when the body trickles (1 byte a second)', async () => {
    const { server, url, closed } = await receiver((response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.flushHeaders();
      timers.push(setInterval(() => response.write('.'), 1_000));
    });
    servers.push(server);
    const started = Date.now();
    const outcome = await postWebhook({ url, address: { address: '127.0.0.1', family: 4 }, headers: {}, body: '{}', timeoutMs: 500 });
    expect(outcome).toMatchObject({ statusCode: 200 });
    expect(outcome.error).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(500);
    const closedAt = await Promise.race([closed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('the connection is still open 3 s later')), 3_000).unref())]);
    expect(closedAt - started).toBeLessThan(500 + 250);
  });

  it('gives up when the headers do not come within the timeout', async () => {
    const { server, url, closed } = await receiver(() => undefined);
    servers.push(server);
    const outcome = await postWebhook({ url, address: { address: '127.0.0.1', family: 4 }, headers: {}, body: '{}', timeoutMs: 200 });
    expect(outcome.statusCode).toBeUndefined();
    expect(outcome.error).toMatch(/timed out after 200 ms/);
    await closed;
  });

  it('settles a receiver that answers at once, body and all', async () => {
    const { server, url } = await receiver((response) => response.writeHead(204).end());
    servers.push(server);
    expect(await postWebhook({ url, address: { address: '127.0.0.1', family: 4 }, headers: {}, body: '{}', timeoutMs: 500 })).toMatchObject({ statusCode: 204 });
  });
});
