import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';

/**
 * Nest's express adapter, with an HTTP server that creates each request and response with express's
 * own prototypes (`app.request`, `app.response`) from the start.
 *
 * Express gives every request and response its prototypes by `Object.setPrototypeOf` as it enters
 * the app (application.js `handle`). Changing a live object's prototype is what V8 handles worst: on
 * Node 20 each request and response then costs several times the allocation, and most of it lives
 * long enough to be copied by the young-generation collector (expressjs/express#5998). Under
 * `bench:http`'s load that was ~7 MB copied per scavenge and pauses of 20–35 ms, which every request
 * in flight waits out: the commands' p99. Created with the right prototype, express's
 * `setPrototypeOf` finds it already there and changes nothing (V8 returns early), and nothing else
 * about express changes: the objects are the same, only born with their final prototype.
 *
 * Node's server takes the classes to construct (`createServer({ IncomingMessage, ServerResponse })`).
 * They must be constructors whose `prototype` *is* `app.request` / `app.response`, so they are plain
 * functions calling Node's constructors on `this` (which are plain functions too; if a Node version
 * made them ES classes, `serverWithExpressPrototypes` says so and the adapter keeps Nest's own
 * server rather than fail).
 */
export class ExpressPrototypesAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    // HTTPS and the connection-tracking options stay Nest's own (none is used here).
    const server = options?.httpsOptions || options?.forceCloseConnections || options?.return503OnClosing ? undefined : serverWithExpressPrototypes(this.getInstance<Express>());
    if (!server) return super.initHttpServer(options);
    this.httpServer = server;
  }
}

/** An HTTP server for `app` whose requests and responses are born with `app.request` / `app.response` as prototypes; undefined where Node's constructors cannot be called so. */
export function serverWithExpressPrototypes(app: Express): ReturnType<typeof createServer> | undefined {
  if (!callableConstructor(IncomingMessage) || !callableConstructor(ServerResponse)) return undefined;
  const construct = (base: unknown, self: unknown, args: unknown[]) => Reflect.apply(base as (...a: unknown[]) => void, self, args);
  function ExpressRequest(this: IncomingMessage, ...args: unknown[]) {
    construct(IncomingMessage, this, args);
  }
  function ExpressResponse(this: ServerResponse, ...args: unknown[]) {
    construct(ServerResponse, this, args);
  }
  ExpressRequest.prototype = app.request;
  ExpressResponse.prototype = app.response;
  return createServer(
    { IncomingMessage: ExpressRequest as unknown as typeof IncomingMessage, ServerResponse: ExpressResponse as unknown as typeof ServerResponse },
    app,
  );
}

/** A function constructor (callable on an existing `this`), not an ES class. */
function callableConstructor(fn: unknown): boolean {
  return typeof fn === 'function' && !Function.prototype.toString.call(fn).startsWith('class');
}
