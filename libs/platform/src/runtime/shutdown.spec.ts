import { Agent, createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { DRAIN_IDLE_MS, drainHttpServer } from './shutdown';

/**
 * A real server on 127.0.0.1 whose answers take `delayMs`, with the API's 65 s keep-alive.
 * `received(n)` resolves once the app has received n requests (no sleep stands in for "in flight");
 * `ran` lists the paths the app ran.
 */
async function slowServer(delayMs: number): Promise<{ server: Server; port: number; closed: Promise<number>; received: (n: number) => Promise<void>; ran: string[] }> {
  const ran: string[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  const server = createServer((incoming, response) => {
    ran.push(incoming.url ?? '');
    for (const waiter of waiting.filter((w) => ran.length >= w.n)) waiter.resolve();
    incoming.resume();
    setTimeout(() => response.end('ok'), delayMs);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const closed = new Promise<number>((resolve) => server.once('close', () => resolve(Date.now())));
  const received = (n: number) => (ran.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve })));
  return { server, port: (server.address() as AddressInfo).port, closed, received, ran };
}

interface Answer {
  status: number;
  connection: string | undefined;
  socket: Socket;
}

function get(port: number, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent = request({ host: '127.0.0.1', port, path: '/', agent }, (response) => {
      const socket = response.socket; // detached from the response once it ends
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, socket }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

describe('drainHttpServer (shutdown)', () => {
  const agents: Agent[] = [];
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  const agent = (keepAlive: boolean) => {
    const created = new Agent({ keepAlive, maxSockets: 1 });
    agents.push(created);
    return created;
  };

  afterEach(() => {
    for (const created of agents.splice(0)) created.destroy();
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const server of servers.splice(0)) server.closeAllConnections();
  });

  it('answers a request that arrives on a busy kept-alive connection with Connection: close, and the server closes long before the drain ends', async () => {
    const { server, port, closed, received } = await slowServer(100);
    servers.push(server);
    const client = agent(true);
    await get(port, client); // the connection is open and kept alive
    const inFlight = get(port, client);
    await received(2);
    const drainStartedAt = Date.now();
    drainHttpServer(server, 10_000);

    // The request in flight at the signal is answered on its connection, which the client then reuses at once.
    const first = await inFlight;
    expect(first.status).toBe(200);
    const next = await get(port, client);
    expect(next.status).toBe(200);
    expect(next.connection).toBe('close');
    expect(next.socket).toBe(first.socket); // the same connection, closed after this answer

    expect((await closed) - drainStartedAt).toBeLessThan(5_000);
  });

  it('answers a request sent just after the signal on a connection that was idle at it (Connection: close), rather than resetting it', async () => {
    const { server, port, closed } = await slowServer(10);
    servers.push(server);
    const client = agent(true);
    const before = await get(port, client); // answered; the connection is idle, kept alive
    const drainStartedAt = Date.now();
    drainHttpServer(server, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the client's next request, on its way as the signal came

    const next = await get(port, client);
    expect(next.status).toBe(200);
    expect(next.connection).toBe('close');
    expect(next.socket).toBe(before.socket);
    expect((await closed) - drainStartedAt).toBeLessThan(5_000);
  });

  it('closes a connection idle at the signal, with nothing more sent on it, DRAIN_IDLE_MS later', async () => {
    const { server, port, closed } = await slowServer(10);
    servers.push(server);
    const before = await get(port, agent(true));
    const clientSawClose = new Promise<number>((resolve) => before.socket.once('close', () => resolve(Date.now())));
    const drainStartedAt = Date.now();
    drainHttpServer(server, 30_000);
    const closedAfter = (await closed) - drainStartedAt;
    expect(closedAfter).toBeGreaterThanOrEqual(DRAIN_IDLE_MS - 20); // timers may fire a little early
    expect(closedAfter).toBeLessThan(DRAIN_IDLE_MS + 5_000);
    expect((await clientSawClose) - drainStartedAt).toBeLessThan(DRAIN_IDLE_MS + 5_000);
  });

  it('closes a connection left idle after its answer within DRAIN_IDLE_MS, not after the 65 s keep-alive or the drain', async () => {
    const { server, port, closed, received } = await slowServer(100);
    servers.push(server);
    const inFlight = get(port, agent(true));
    await received(1);
    drainHttpServer(server, 30_000);
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.connection).not.toBe('close'); // it came in before the drain
    const answeredAt = Date.now();
    const clientSawClose = new Promise<void>((resolve) => (answer.socket.destroyed ? resolve() : answer.socket.once('close', () => resolve())));
    const closedAt = await closed;
    // Node keeps an idle connection a second longer than its keep-alive timeout (against ECONNRESET races); the rest is slack for a busy machine.
    expect(closedAt - answeredAt).toBeLessThan(DRAIN_IDLE_MS + 1_000 + 5_000);
    await clientSawClose; // the server closed that very connection
  });

  it('does not run a request pipelined behind the one answered with Connection: close', async () => {
    const { server, port, received, ran } = await slowServer(50);
    servers.push(server);
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let replies = '';
    socket.on('data', (chunk: Buffer) => (replies += chunk.toString('latin1')));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /before HTTP/1.1\r\nHost: x\r\n\r\n');
    await received(1);
    drainHttpServer(server, 30_000);
    socket.write('POST /after HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nPOST /pipelined HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    await ended;

    expect(ran).toEqual(['/before', '/after']);
    // Both run requests answered (the second with Connection: close); the connection then closed.
    expect(replies.match(/HTTP\/1\.1 \d{3}/g)?.slice(0, 2)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    expect(replies).toMatch(/Connection: close/i);
  });

  it('takes no new connection, and cuts what is still open when the drain ends', async () => {
    // An answer that never comes: only the drain's end closes its connection.
    const server = createServer(() => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const closed = new Promise<number>((resolve) => server.once('close', () => resolve(Date.now())));
    const arrived = new Promise<void>((resolve) => server.once('request', () => resolve()));
    const hanging = get(port, agent(false)).catch((error: NodeJS.ErrnoException) => error.code);
    await arrived;
    const drainStartedAt = Date.now();
    drainHttpServer(server, 300);

    await expect(get(port, agent(false))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await hanging).toBe('ECONNRESET');
    const closedAfter = (await closed) - drainStartedAt;
    expect(closedAfter).toBeGreaterThanOrEqual(250);
    expect(closedAfter).toBeLessThan(5_000);
  });
});
