import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { applyKeepAlive } from './http-timeouts';

/** A real server and a raw socket: one request, then how long the server keeps the idle connection. */
async function idleConnectionClosedAfter(server: Server, waitMs: number): Promise<boolean> {
  const { port } = server.address() as AddressInfo;
  const socket: Socket = connect(port, '127.0.0.1');
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('data', () => resolve());
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
  });
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  socket.destroy();
  return closed;
}

describe('applyKeepAlive', () => {
  let server: Server;

  beforeEach(async () => {
    server = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps an idle connection open for the configured time, past Node’s default of 5 s when asked', () => {
    applyKeepAlive(server, 65_000);
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBe(66_000);
    expect(server.headersTimeout).toBeLessThanOrEqual(server.requestTimeout);
  });

  it('never sets the headers timeout above the request timeout (Node refuses that)', () => {
    server.requestTimeout = 30_000;
    applyKeepAlive(server, 65_000);
    expect(server.headersTimeout).toBe(30_000);
  });

  it('is what the server does: an idle connection outlives a shorter wait and is closed after the timeout', async () => {
    applyKeepAlive(server, 600);
    expect(await idleConnectionClosedAfter(server, 200)).toBe(false);
    expect(await idleConnectionClosedAfter(server, 2_500)).toBe(true);
  });
});
