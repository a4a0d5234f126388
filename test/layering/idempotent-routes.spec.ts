import 'reflect-metadata';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { GUARDS_METADATA, INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { IdempotencyKeyGuard } from '@app/platform/idempotency/idempotency.guard';
import { takesIdempotencyKey } from '@app/platform/idempotency/idempotent-handler';
import { answersWithCommandResult, CommandCtx } from '../../apps/api/src/http/command-context.decorator';

/**
 * `Idempotency-Key` is bound per route (apps/api/src/http/command-docs.ts: Idempotent,
 * commandHeaders: IdempotencyKeyGuard and the handler's wrapper), not globally, so that reads do
 * nothing for it. This keeps the binding complete: every route that changes something takes
 * `Idempotency-Key`, unless it is listed below with its reason, and no read does. And no route
 * passes through a Nest interceptor: Nest runs a route's interceptors through rxjs on every request
 * (issue 11), which is what taking the key out of the interceptor chain saved.
 */
const WITHOUT_IDEMPOTENCY_KEY: Record<string, string> = {
  'POST webhooks/subscriptions': 'the answer holds the signing secret, which must not be kept in the clear to be replayed',
};

const SRC = join(__dirname, '..', '..', 'apps', 'api', 'src');
const controllerFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? controllerFiles(path) : name.endsWith('.controller.ts') ? [path] : [];
  });

interface Route {
  route: string;
  file: string;
  idempotent: boolean;
  interceptors: number;
  /** Its key is looked up only when its command cannot settle it (IdempotencyKeyHandling's answeredByCommand). */
  answeredByCommand: boolean;
  /** It hands its handler a CommandContext (@CommandCtx()). */
  commandContext: boolean;
}

/** The parameter type Nest records for @CommandCtx() (a custom parameter decorator's own id). */
const COMMAND_CTX_TYPE = (() => {
  class Probe {
    handle(_context: unknown): void {}
  }
  CommandCtx()(Probe.prototype, 'handle', 0);
  return Object.keys(Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handle') as object)[0].split(':')[0];
})();

async function routes(): Promise<Route[]> {
  const found: Route[] = [];
  for (const file of controllerFiles(SRC)) {
    const module = (await import(file)) as Record<string, unknown>;
    for (const exported of Object.values(module)) {
      if (typeof exported !== 'function' || Reflect.getMetadata(PATH_METADATA, exported) === undefined) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, exported));
      const prototype = (exported as { prototype: Record<string, unknown> }).prototype;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const path = [base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')].filter((part) => part !== '' && part !== '/').join('/');
        const interceptors = [...((Reflect.getMetadata(INTERCEPTORS_METADATA, exported) ?? []) as unknown[]), ...((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[])];
        const guards = (Reflect.getMetadata(GUARDS_METADATA, handler) ?? []) as unknown[];
        // Both halves or neither: the guard looks the key up, the wrapper replays or remembers.
        const idempotent = takesIdempotencyKey(handler);
        if (idempotent !== guards.includes(IdempotencyKeyGuard)) throw new Error(`${RequestMethod[method]} ${path}: IdempotencyKeyGuard without the handler's wrapper, or the reverse`);
        if (idempotent) {
          // The key is looked up after every other guard of the route has let the request through.
          if (guards.at(-1) !== IdempotencyKeyGuard) throw new Error(`${RequestMethod[method]} ${path}: a guard runs after IdempotencyKeyGuard (put @UseGuards below @Idempotent())`);
          // The wrapper hands the request on after the last decorated parameter: every parameter must be one.
          const declared = ((Reflect.getMetadata('design:paramtypes', prototype, name) ?? []) as unknown[]).length;
          const decorated = Object.keys((Reflect.getMetadata(ROUTE_ARGS_METADATA, exported, name) ?? {}) as object).length - 1; // less the wrapper's own @Req()
          if (declared !== decorated) throw new Error(`${RequestMethod[method]} ${path}: ${declared} parameters, ${decorated} decorated: an undecorated one would receive the request`);
        }
        const parameters = Object.keys((Reflect.getMetadata(ROUTE_ARGS_METADATA, exported, name) ?? {}) as object);
        const commandContext = parameters.some((parameter) => parameter.split(':')[0] === COMMAND_CTX_TYPE);
        found.push({ route: `${RequestMethod[method]} ${path}`, file: relative(SRC, file), idempotent, interceptors: interceptors.length, answeredByCommand: idempotent && answersWithCommandResult(handler), commandContext });
      }
    }
  }
  return found;
}

describe('Idempotency-Key on the routes', () => {
  let all: Route[];
  beforeAll(async () => {
    all = await routes();
  });

  it('finds the API routes (the check below would pass on none)', () => {
    expect(all.length).toBeGreaterThan(80);
    expect(all).toContainEqual({ route: 'POST calls', file: join('calls', 'calls.controller.ts'), idempotent: true, interceptors: 0, answeredByCommand: true, commandContext: true });
    expect(all).toContainEqual({ route: 'GET calls/:id', file: join('calls', 'calls.controller.ts'), idempotent: false, interceptors: 0, answeredByCommand: false, commandContext: false });
  });

  it('every route that changes something takes it, except those listed with a reason', () => {
    const changes = all.filter((route) => !route.route.startsWith('GET ') && !route.route.startsWith('HEAD '));
    const missing = changes.filter((route) => !route.idempotent && !(route.route in WITHOUT_IDEMPOTENCY_KEY)).map((route) => `${route.route} (${route.file})`);
    expect(missing).toEqual([]);
    const listedButIdempotent = changes.filter((route) => route.idempotent && route.route in WITHOUT_IDEMPOTENCY_KEY).map((route) => route.route);
    expect(listedButIdempotent).toEqual([]);
    expect(Object.keys(WITHOUT_IDEMPOTENCY_KEY).every((route) => changes.some((change) => change.route === route))).toBe(true);
  });

  it('a route whose key is looked up only when its command cannot settle it hands that command its CommandContext (how the command asks)', () => {
    const late = all.filter((route) => route.answeredByCommand);
    expect(late.length).toBeGreaterThan(30);
    expect(late.filter((route) => !route.commandContext).map((route) => `${route.route} (${route.file})`)).toEqual([]);
  });

  it('no read passes through it', () => {
    expect(all.filter((route) => route.route.startsWith('GET ') && route.idempotent).map((route) => route.route)).toEqual([]);
  });

  it('no route, command or read, is bound to a Nest interceptor (rxjs on every request, key or not)', () => {
    expect(all.filter((route) => route.interceptors > 0).map((route) => `${route.route} (${route.file})`)).toEqual([]);
  });
});
