import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DRAIN_IDLE_MS, drainHttpServer } from './shutdown';

/** A real server on 127.0.0.1 whose answers take `delayMs`, with the API's 65 s keep-alive. */
async function slowServer(delayMs: number): Promise<{ server: Server; port: number; closed: Promise<number> }> {
  const server = createServer((_request, response) => {
    setTimeout(() => response.end('ok'), delayMs);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const closed = new Promise<number>((resolve) => server.once('close', () => resolve(Date.now())));
  return { server, port: (server.address() as AddressInfo).port, closed };
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
  const keepAlive = () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return agent;
  };

  afterEach(() => {
    for (const agent of agents.splice(0)) agent.destroy();
    for (const server of servers.splice(0)) server.closeAllConnections();
  });

  it('answers a request that arrives on a busy kept-alive connection with Connection: close, and the server closes long before the drain ends', async () => {
    const { server, port, closed } = await slowServer(100);
    servers.push(server);
    const agent = keepAlive();
    await get(port, agent); // the connection is open and kept alive
    const inFlight = get(port, agent);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const drainStartedAt = Date.now();
    drainHttpServer(server, 10_000);

    // The request in flight at the signal is answered on its connection, which the client then reuses at once.
    const first = await inFlight;
    expect(first.status).toBe(200);
    const next = await get(port, agent);
    expect(next.status).toBe(200);
    expect(next.connection).toBe('close');
    expect(next.socket).toBe(first.socket); // the same connection, closed after this answer

    expect((await closed) - drainStartedAt).toBeLessThan(2_000);
  });

  it('closes a connection left idle after its answer within DRAIN_IDLE_MS, not after the 65 s keep-alive or the drain', async () => {
    const { server, port, closed } = await slowServer(100);
    servers.push(server);
    const agent = keepAlive();
    const inFlight = get(port, agent);
    await new Promise((resolve) => setTimeout(resolve, 30));
    drainHttpServer(server, 10_000);
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.connection).not.toBe('close'); // it came in before the drain
    const answeredAt = Date.now();
    const clientSawClose = new Promise<void>((resolve) => (answer.socket.destroyed ? resolve() : answer.socket.once('close', () => resolve())));
    const closedAt = await closed;
    // Node keeps an idle connection a second longer than its keep-alive timeout (against ECONNRESET races).
    expect(closedAt - answeredAt).toBeLessThan(DRAIN_IDLE_MS + 1_000 + 500);
    await clientSawClose; // the server closed that very connection
  });

  it('takes no new connection, and cuts what is still open when the drain ends', async () => {
    // An answer that never comes: only the drain's end closes its connection.
    const server = createServer(() => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const closed = new Promise<number>((resolve) => server.once('close', () => resolve(Date.now())));
    const hanging = get(port, new Agent({ keepAlive: false })).catch((error: NodeJS.ErrnoException) => error.code);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const drainStartedAt = Date.now();
    drainHttpServer(server, 300);

    await expect(get(port, new Agent({ keepAlive: false }))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await hanging).toBe('ECONNRESET');
    const closedAfter = (await closed) - drainStartedAt;
    expect(closedAfter).toBeGreaterThanOrEqual(250);
    expect(closedAfter).toBeLessThan(2_000);
  });
});
