/** What this reads of an express 5 route (router's Route): the methods it has handlers for. */
interface RouteLike {
  methods: Record<string, boolean | undefined>;
}

/** What this reads of a layer of express 5's router: its route, if it is one, and its path matcher. */
interface LayerLike {
  route?: RouteLike;
  /** router's Layer.match: the matched values, or false; stores nothing on the layer. */
  match(path: string): unknown;
}

/** The request as express has it once routing is over. */
export interface RoutedRequest {
  method?: string;
  /** express's `req.path`: the URL's path, as the router matched it. */
  path?: string;
  /** Set by express to the route the request was dispatched to, if any. */
  route?: RouteLike;
  app?: { router?: { stack?: readonly LayerLike[] } };
}

function handles(route: RouteLike, method: string): boolean {
  const name = method.toLowerCase();
  return route.methods._all === true || route.methods[name] === true || (name === 'head' && route.methods.get === true);
}

/**
 * The methods the request's path has, when it has some but not the request's: the `Allow` of a 405
 * (RFC 9110 §15.5.6). Undefined when the path has no route at all (a 404 stands) or has the method
 * (the 404 is the handler's own: an unknown record).
 *
 * Express answers a method the path does not have like a path that does not exist: the router skips
 * the path's routes and Nest's not-found handler, registered after every route, throws a
 * NotFoundException. The problem filter asks here then, with the routes as express itself matches
 * them (its router's own layers, so paths, parameters, case and trailing slashes agree with routing),
 * only on a 404: a request that found its route costs nothing.
 */
export function allowedMethodsFor(request: RoutedRequest): string[] | undefined {
  const { method, path } = request;
  if (method === undefined || path === undefined) return undefined;
  // Dispatched to a route that has the method: a handler's own 404.
  if (request.route !== undefined && handles(request.route, method)) return undefined;
  const methods = new Set<string>();
  for (const layer of request.app?.router?.stack ?? []) {
    if (layer.route === undefined) continue;
    let matched: unknown;
    try {
      matched = layer.match(path);
    } catch {
      continue; // a path the router cannot decode fails routing itself (400) before any 404
    }
    if (!matched) continue;
    if (handles(layer.route, method)) return undefined;
    for (const [name, handled] of Object.entries(layer.route.methods)) if (handled === true) methods.add(name.toUpperCase());
  }
  if (methods.size === 0) return undefined;
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
