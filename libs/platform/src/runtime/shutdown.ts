import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { describeError } from '../database/transient-errors';

export interface ShutdownOptions {
  /** What the process closes in order (the Nest app, then an embedded database, …). */
  close: () => Promise<void>;
  /** The HTTP server, if any: drained (drainHttpServer): no new connection, open ones closed after their next answer, the rest cut after `drainMs`. */
  server?: Server;
  /** Hard limit: the process exits this long after the signal whatever is still running (default 9 s). */
  deadlineMs?: number;
  /** Connections still open (keep-alive clients under load) are closed this long after the signal (default 3 s). */
  drainMs?: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** Where a shutdown that did not go as it should is said (the deadline reached, a close that failed): `log` unless given. */
  logError?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * SIGTERM/SIGINT within 10 seconds, under load too: stop accepting connections, let requests in
 * flight finish for a moment, close the app (log consumers roll back an unfinished batch and hand
 * their leases back; pools close), and exit — or exit anyway at the deadline. An unfinished batch
 * is simply redone by the next leader.
 */
export function installShutdown(options: ShutdownOptions): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.log('shutting down', { signal });
    const logError = options.logError ?? options.log;
    setTimeout(() => {
      logError('shutdown deadline reached; exiting now', { deadlineMs: options.deadlineMs ?? 9_000 });
      process.exit(1);
    }, options.deadlineMs ?? 9_000).unref();
    if (options.server) drainHttpServer(options.server, options.drainMs ?? 3_000);
    void options
      .close()
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logError('shutdown failed', { error: describeError(error) });
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

/**
 * A promise rejected with nobody listening, somewhere in a background loop, is logged (without
 * data) rather than allowed to end a process that is serving requests; the loops themselves retry.
 */
export function logUnhandledRejections(log: (message: string, fields?: Record<string, unknown>) => void): void {
  process.on('unhandledRejection', (reason) => log('unhandled promise rejection', { error: describeError(reason) }));
}

/** How long a connection may stay idle between its requests once the server drains (down from HttpKeepAliveTimeoutMs). */
export const DRAIN_IDLE_MS = 250;

/** What a request pipelined behind a closing answer gets instead of running (the API's service-unavailable problem type). */
const NOT_RUN = JSON.stringify({
  type: 'https://grant-ledger.dev/problems/service-unavailable',
  title: 'Service unavailable',
  status: 503,
  detail: 'The server is shutting down and did not run this request; send it again',
});

/**
 * Stops `server` taking connections and lets the open ones finish what they carry:
 * - connections idle at the signal are closed DRAIN_IDLE_MS later, so that a request already on its
 *   way on one is answered (as below), not met by a reset;
 * - the first request that arrives from now on on an open (kept-alive) connection is answered,
 *   with `Connection: close`, and its connection closes after that answer: a client that keeps a
 *   connection busy (a load balancer, a client pool under load) is moved off it after one more
 *   request, instead of being served on it until the drain's end. A request pipelined behind that
 *   one is not run (its answer could not be read after the close): 503, Retry-After;
 * - a connection left idle after the answer to a request that was in flight at the signal closes
 *   after DRAIN_IDLE_MS (and the second Node adds to any keep-alive timeout), not after the
 *   configured keep-alive (65 s by default);
 * - whatever is still open `drainMs` after the signal is cut (an event stream, a request that
 *   never ends).
 * Before, a busy keep-alive connection was served until `drainMs` (3 s): a SIGTERM under load took
 * 3.2 s in some of the fault suite's runs and 0.2 s in others.
 */
export function drainHttpServer(server: Server, drainMs: number): void {
  // The app's request listeners run through this one from now on, so that it can hold a request back.
  const app = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
  server.removeAllListeners('request');
  const closing = new WeakSet<Socket>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (closing.has(request.socket)) {
      response.writeHead(503, { 'Content-Type': 'application/problem+json', 'Retry-After': '1', Connection: 'close' }).end(NOT_RUN);
      return;
    }
    closing.add(request.socket);
    response.setHeader('Connection', 'close');
    for (const listener of app) listener.call(server, request, response);
  });
  server.keepAliveTimeout = Math.min(server.keepAliveTimeout || DRAIN_IDLE_MS, DRAIN_IDLE_MS);
  // Connections idle now are closed DRAIN_IDLE_MS from now, not at once as `close()` would (it calls
  // closeIdleConnections, Node 19 and later; the app's own close calls it again): under load a
  // connection is idle only between an answer and the request its client sends next, which may be
  // on its way. Closed now, that request met a reset (ECONNRESET on 4 of 20 kept-alive connections,
  // by hand), which a client cannot tell from a request lost after it ran; arriving in time, it is
  // answered above, with Connection: close.
  server.closeIdleConnections = () => undefined;
  setTimeout(() => {
    Reflect.deleteProperty(server, 'closeIdleConnections');
    server.closeIdleConnections();
  }, DRAIN_IDLE_MS).unref();
  server.close();
  setTimeout(() => server.closeAllConnections(), drainMs).unref();
}
