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
 * They are subclasses of Node's own, and their prototypes take the place of `app.request` and
 * `app.response`: each carries what express's did (its methods, getters and `app`, and express's
 * prototype behind it). Subclasses rather than plain functions with `prototype = app.request`: V8 sizes
 * a subclass's instances from Node's constructors, so a request and a response keep fast properties;
 * a plain function's instances outgrew their in-object space and fell to dictionary mode.
 */
export class ExpressPrototypesAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    // HTTPS and the connection-tracking options stay Nest's own (none is used here).
    if (options?.httpsOptions || options?.forceCloseConnections || options?.return503OnClosing) return super.initHttpServer(options);
    this.httpServer = serverWithExpressPrototypes(this.getInstance<Express>());
  }
}

/** An HTTP server for `app` whose requests and responses are born with `app.request` / `app.response` as prototypes. */
export function serverWithExpressPrototypes(app: Express): ReturnType<typeof createServer> {
  class ExpressRequest extends IncomingMessage {}
  class ExpressResponse extends ServerResponse {}
  adoptAs(app, 'request', ExpressRequest.prototype);
  adoptAs(app, 'response', ExpressResponse.prototype);
  return createServer({ IncomingMessage: ExpressRequest, ServerResponse: ExpressResponse as typeof ServerResponse }, app);
}

/**
 * Makes `prototype` the app's `request` (or `response`) prototype: what the app's own had (own
 * properties, and express's prototype behind it) moves onto it, and the app hands it out from now on.
 * Done once per app, before it serves anything.
 */
function adoptAs(app: Express, key: 'request' | 'response', prototype: object): void {
  const current = app[key] as object;
  Object.setPrototypeOf(prototype, Object.getPrototypeOf(current));
  for (const name of Reflect.ownKeys(current)) Object.defineProperty(prototype, name, Object.getOwnPropertyDescriptor(current, name) as PropertyDescriptor);
  (app as unknown as Record<typeof key, object>)[key] = prototype;
}
