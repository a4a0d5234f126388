import type { Server } from 'node:http';

/**
 * Keep-alive for the API's HTTP server (AppConfig.httpKeepAliveTimeoutMs): an idle connection stays
 * open that long, and the time allowed for a request's headers is kept just above it, as Node's
 * documentation advises, so that a connection is never cut by the headers timer while the
 * keep-alive timer still counts. Both stay below Node's `requestTimeout` (300 s), which it requires.
 * Shutdown (shutdown.ts) closes idle connections at once, so a long keep-alive does not hold it up.
 */
export function applyKeepAlive(server: Server, keepAliveTimeoutMs: number): void {
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.headersTimeout = Math.min(keepAliveTimeoutMs + 1_000, server.requestTimeout > 0 ? server.requestTimeout : Infinity);
}
