import type { Server } from 'node:http';
import { describeError } from '../database/transient-errors';

export interface ShutdownOptions {
  /** What the process closes in order (the Nest app, then an embedded database, …). */
  close: () => Promise<void>;
  /** The HTTP server, if any: it stops accepting at once, and open connections are cut after `drainMs`. */
  server?: Server;
  /** Hard limit: the process exits this long after the signal whatever is still running (default 9 s). */
  deadlineMs?: number;
  /** Connections still open (keep-alive clients under load) are closed this long after the signal (default 3 s). */
  drainMs?: number;
  log: (message: string, fields?: Record<string, unknown>) => void;
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
    setTimeout(() => {
      options.log('shutdown deadline reached; exiting now');
      process.exit(1);
    }, options.deadlineMs ?? 9_000).unref();
    if (options.server) {
      options.server.close();
      options.server.closeIdleConnections();
      setTimeout(() => options.server?.closeAllConnections(), options.drainMs ?? 3_000).unref();
    }
    void options
      .close()
      .then(
        () => process.exit(0),
        (error: unknown) => {
          options.log('shutdown failed', { error: describeError(error) });
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
