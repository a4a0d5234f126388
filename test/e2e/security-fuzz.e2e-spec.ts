import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { allEvents, eventStoreOf } from '../support/log';
import { buildWorld, CALLERS, readmeAllows, resolveSchema, type Caller, type Operation, type Schema, type SecurityWorld } from './security-world';
import { mulberry32 } from '../support/mulberry32';

/*
 * OpenAPI-driven fuzz with a fixed seed: every operation of the document gets mutated requests —
 * wrong JSON types, huge numbers, NaN strings, NUL, lone surrogates, deep nesting, long strings,
 * missing and extra fields, malformed JSON, odd path parameters, query values and headers — sent with
 * a valid token of a role the README allows to call it, starting from a request that would succeed
 * on a real target. No answer may be 5xx, and no refused (4xx) request may append an event.
 *
 * FUZZ_REQUESTS sets the count (npm test: 2,000 here, 800 under the esdb project; `npm run test:fuzz`:
 * 12,000), FUZZ_SEED the seed. A failure names the request, so a seed and an index replay it.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_271_203);
const ESDB = process.env.EVENT_STORE === 'esdb';
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? (ESDB ? 800 : 2_000));
const CONCURRENCY = 4;

/** mulberry32: a small, fast, seedable PRNG (32-bit state), so a run can be replayed exactly. */
function prng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof prng>;

/** A version-4-shaped UUID from the PRNG, so that a seed replays the same ids. */
function uuidOf(random: Random): string {
  const hex = Array.from({ length: 32 }, () => random.int(16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------------------------------------
// Hostile values

/** A value the JSON encoder writes as is (numbers JavaScript cannot hold, or writes otherwise). */
class RawJson {
  constructor(readonly literal: string) {}
}

/** `{"a":[{"a":…}]}` nested `depth` deep, as JSON text (built flat: no recursive encoder sees it). */
function nestedText(depth: number): string {
  let open = '';
  let close = '';
  for (let level = 0; level < depth; level += 1) {
    open += level % 2 ? '[' : '{"a":';
    close = (level % 2 ? ']' : '}') + close;
  }
  return `${open}"leaf"${close}`;
}
const nested = (depth: number) => new RawJson(nestedText(depth));

function hostileValue(random: Random): unknown {
  if (random.chance(0.15)) return null; // the classic slip on an optional field
  const kind = random.int(11);
  switch (kind) {
    case 0: // wrong JSON types
      return random.pick([0, -1, 1.5, true, false, null, [], {}, '', 'x', [null], { a: 1 }, [[[]]], ['a', 1, null]]);
    case 1: // huge and odd numbers
      return random.pick([1e308, -1e308, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 63, -0, 0.1 + 0.2, new RawJson('9007199254740993'), new RawJson('1e999'), new RawJson('-1e999'), new RawJson('1E+400'), new RawJson('0.0000000000000000000000001')]);
    case 2: // numbers as text
      return random.pick(['NaN', 'Infinity', '-Infinity', '1e999', '0x10', ' 5 ', '٣', '1_000', '+1', '-0', '00012', '9007199254740993']);
    case 3: // what PostgreSQL cannot store
      return random.pick(['a\u0000b', '\u0000', '\ud800', 'x\udfff', '\udc00\ud800', `${'y'.repeat(50)}\u0000`]);
    case 4: // deep nesting
      return nested(random.pick([33, 40, 200, 1_000, 10_000]));
    case 5: // long strings
      return 'x'.repeat(random.pick([201, 2_001, 10_001, 20_001, 60_000, 120_000]));
    case 6: // unicode edge cases
      return random.pick(['\u202eevil', '🌍🌍', 'e\u0301\u0301\u0301', '\u200b', 'line\u2028break', '\ufeffbom', 'ｆｕｌｌｗｉｄｔｈ', '\uFFFF', '\u{10FFFF}']);
    case 7: // injection-shaped text
      return random.pick(["'; DROP TABLE events;--", '../../etc/passwd', '<script>alert(1)</script>', '${jndi:ldap://x}', '%00', '{{7*7}}', '__proto__', 'constructor', '$where', '\\', '"']);
    case 8: // instants and dates
      return random.pick(['2027-02-30', '2027-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00Z', '2027-W01-1', '1800000000000', '2027-01-01T25:00:00Z', '']);
    case 9: // ids
      return random.pick([uuidOf(random), '00000000-0000-0000-0000-000000000000', uuidOf(random).toUpperCase(), 'not-a-uuid', `${uuidOf(random)}\u0000`, '1', '-1']);
    default: // objects where text is expected
      return random.pick<unknown>([{ $ne: null }, JSON.parse('{"__proto__":{"admin":true}}'), { toString: 'x' }, [{ a: [{ b: null }] }]]);
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

interface FuzzRequest {
  index: number;
  operation: Operation;
  caller: Caller;
  path: string;
  /** JSON text, another text, or none. */
  body?: string;
  contentType?: string;
  headers: Record<string, string>;
  mutations: string[];
}

type Json = Record<string, unknown> | unknown[];

/** Every path into a JSON value (objects and arrays), at most 5 deep. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length >= 5 || value === null || typeof value !== 'object') return out;
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  for (const [key, child] of entries) {
    out.push([...prefix, key]);
    pathsOf(child, [...prefix, key], out);
  }
  return out;
}

function parentOf(root: Json, path: (string | number)[]): Record<string | number, unknown> | undefined {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>) : undefined;
}

/** JSON text with RawJson values written literally. */
function encode(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof RawJson) {
      raws.push(item.literal);
      return `__RAW_${raws.length - 1}__`;
    }
    return item;
  });
  return (text ?? 'null').replace(/"__RAW_(\d+)__"/g, (_match, index: string) => raws[Number(index)]);
}

/** Property names the schema knows (resolved), to set optional fields the base request leaves out. */
function schemaProperties(world: SecurityWorld, schema: Schema | undefined): [string, Schema][] {
  const resolved = resolveSchema(world.document, schema);
  return Object.entries(resolved?.properties ?? {});
}

/** An object built from a schema's property examples (what Swagger UI would send). */
function exampleOf(world: SecurityWorld, schema: Schema | undefined): Record<string, unknown> {
  if (schema?.example && typeof schema.example === 'object' && !Array.isArray(schema.example)) return structuredClone(schema.example as Record<string, unknown>);
  const example: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema?.properties ?? {})) {
    const resolved = resolveSchema(world.document, property);
    if (resolved?.example !== undefined) example[name] = structuredClone(resolved.example);
  }
  return example;
}

function mutateBody(random: Random, world: SecurityWorld, operation: Operation, body: Json, mutations: string[]): Json | string {
  const paths = pathsOf(body);
  switch (random.int(9)) {
    case 0:
    case 1: {
      if (paths.length === 0) break;
      const path = random.pick(paths);
      const parent = parentOf(body, path);
      if (parent) parent[path[path.length - 1]] = hostileValue(random);
      mutations.push(`set ${path.join('.')}`);
      return body;
    }
    case 2: {
      if (paths.length === 0) break;
      const path = random.pick(paths);
      const parent = parentOf(body, path);
      if (parent && Array.isArray(parent)) parent.splice(Number(path[path.length - 1]), 1);
      else if (parent) delete parent[path[path.length - 1]];
      mutations.push(`remove ${path.join('.')}`);
      return body;
    }
    case 3: {
      const key = random.pick(['admin', 'role', 'actorId', 'version', 'id', '', 'a.b', 'constructor', '__proto__', `extra${random.int(100)}`, 'x\u0000y']);
      const target = paths.length && random.chance(0.5) ? parentOf(body, random.pick(paths)) : (body as Record<string, unknown>);
      if (target && !Array.isArray(target)) target[key] = hostileValue(random);
      mutations.push(`add ${JSON.stringify(key)}`);
      return body;
    }
    case 4: {
      const properties = schemaProperties(world, operation.bodySchema);
      if (properties.length === 0 || Array.isArray(body)) break;
      const [name, property] = random.pick(properties);
      const resolved = resolveSchema(world.document, property);
      (body as Record<string, unknown>)[name] = random.chance(0.3) && resolved?.example !== undefined ? resolved.example : hostileValue(random);
      mutations.push(`schema field ${name}`);
      return body;
    }
    case 5:
      mutations.push('whole body');
      return random.pick<Json | string>([[], [body], '[]', 'null', '"text"', '42', nestedText(10_000), '{}', encode({ ...body, nested: nested(50) })]);
    case 6: {
      mutations.push('malformed JSON');
      const text = encode(body);
      return random.pick([text.slice(0, Math.max(1, random.int(text.length))), `${text}}`, text.replace(':', '::'), `{"a":1,"a":2,${text.slice(1)}`, text.replace(/"/, "'")]);
    }
    default:
      break;
  }
  // Fallback: one hostile value at the top.
  if (!Array.isArray(body)) (body as Record<string, unknown>)[random.pick(Object.keys(body).concat('x'))] = hostileValue(random);
  mutations.push('top-level value');
  return body;
}

const HOSTILE_PATH_SEGMENTS = ['not-a-uuid', '%00', '%ED%A0%80', '%FF', '..', '%2e%2e%2f', 'x'.repeat(2_000), '00000000-0000-0000-0000-000000000000', '%F0%9F%8C%8D', '1e999', 'call-%00'];
const HOSTILE_QUERY_VALUES = ['', '%00', '%ED%A0%80', '-1', '1e999', 'NaN', '99999999999999999999', 'x'.repeat(3_000), '%F0%9F%8C%8D', 'a,b,,c', '2027-02-30', '[object Object]', '%25'];

function buildRequest(random: Random, world: SecurityWorld, index: number): FuzzRequest {
  const operation = random.pick(world.operations);
  const allowed = CALLERS.filter((caller) => readmeAllows(caller, operation));
  const caller = allowed.length ? random.pick(allowed) : 'anonymous';
  const base = world.requestFor(operation);
  const mutations: string[] = [];
  let path = base.path;
  let body: Json | string | undefined = base.body ?? (operation.bodySchema ? {} : undefined);
  const query: string[] = [];
  const headers: Record<string, string> = {};
  let contentType: string | undefined;

  const rounds = 1 + random.int(3);
  for (let round = 0; round < rounds; round += 1) {
    const target = random.int(10);
    if (target < 5 && body !== undefined && typeof body !== 'string') {
      body = mutateBody(random, world, operation, body, mutations);
    } else if (target < 7 && operation.pathParams.length > 0) {
      const segments = path.split('/');
      const params = operation.path.split('/').map((segment, position) => (segment.startsWith('{') ? position : -1)).filter((position) => position >= 0);
      const position = random.pick(params);
      segments[position] = random.pick(HOSTILE_PATH_SEGMENTS);
      path = segments.join('/');
      mutations.push(`path ${operation.path.split('/')[position]}`);
    } else if (target < 9) {
      const known = operation.queryParams.map((param) => param.name);
      const name = known.length && random.chance(0.8) ? random.pick(known) : random.pick(['admin', 'x[y]', '__proto__', 'limit', 'offset']);
      const value = random.pick(HOSTILE_QUERY_VALUES);
      query.push(`${encodeURIComponent(name)}=${/^%|^$/.test(value) ? value : encodeURIComponent(value)}`);
      if (random.chance(0.2)) query.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`); // given twice
      mutations.push(`query ${name}`);
    } else {
      const header = random.pick(['If-Match', 'Idempotency-Key', 'Content-Type', 'Last-Event-ID']);
      if (header === 'Content-Type') contentType = random.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/xml', 'application/json']);
      else headers[header] = random.pick(['*', '"-1"', '"99999999999"', 'W/"3"', 'garbage', 'é'.repeat(10), 'k'.repeat(1_000), uuidOf(random), '""']);
      mutations.push(`header ${header}`);
    }
  }
  const queryString = query.length ? `${path.includes('?') ? '&' : '?'}${query.join('&')}` : '';
  const text = body === undefined ? undefined : typeof body === 'string' ? body : encode(body);
  return { index, operation, caller, path: `${path}${queryString}`, body: text, contentType, headers, mutations };
}

/**
 * The deterministic part, before the random one: every body field of every operation (the schema's
 * properties and the fields of the valid request, two levels deep) set to null, to a value of another
 * JSON type and to an object. `null` on an optional field is the classic slip: `@IsOptional()` lets
 * it through to code that only expects a value or its absence.
 */
function sweepRequests(world: SecurityWorld, first: number): FuzzRequest[] {
  const requests: FuzzRequest[] = [];
  for (const operation of world.operations) {
    if (!operation.bodySchema) continue;
    const caller = CALLERS.find((candidate) => readmeAllows(candidate, operation)) ?? 'anonymous';
    const base = world.requestFor(operation);
    const fields = new Map<string, (string | number)[]>();
    const seeds: Record<string, unknown> = {};
    for (const [name, property] of schemaProperties(world, operation.bodySchema)) {
      fields.set(name, [name]);
      // The fields of a nested object (a contact person, a signatory) too, starting from its example.
      const nestedSchema = resolveSchema(world.document, property.items ?? property);
      for (const [inner] of Object.entries(nestedSchema?.properties ?? {})) {
        const isArray = property.type === 'array' || property.items !== undefined;
        if (!(base.body && name in base.body)) seeds[name] = isArray ? [exampleOf(world, nestedSchema)] : exampleOf(world, nestedSchema);
        fields.set(isArray ? `${name}.0.${inner}` : `${name}.${inner}`, isArray ? [name, 0, inner] : [name, inner]);
      }
    }
    for (const path of pathsOf(base.body ?? {})) if (path.length <= 2) fields.set(path.join('.'), path);
    for (const [name, path] of fields) {
      const current = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], { ...seeds, ...(base.body ?? {}) });
      const otherType = typeof current === 'string' ? 1 : typeof current === 'number' ? 'x' : Array.isArray(current) ? 'x' : current && typeof current === 'object' ? [] : [];
      for (const value of [null, otherType, { x: 1 }]) {
        const body = structuredClone({ ...seeds, ...(base.body ?? {}) }) as Json;
        const parent = path.length === 1 ? (body as Record<string | number, unknown>) : parentOf(body, path);
        if (!parent) continue;
        parent[path[path.length - 1]] = value;
        requests.push({
          index: first + requests.length,
          operation,
          caller,
          path: base.path,
          body: encode(body),
          headers: {},
          mutations: [`sweep ${name} = ${JSON.stringify(value)}`],
        });
      }
    }
  }
  return requests;
}

interface Answer {
  status: number;
  text: string;
}

/** Sends one request over a plain socket (also streams: read until the status, then hang up). */
function send(port: number, world: SecurityWorld, request: FuzzRequest, requestId: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers, 'X-Request-Id': requestId };
    if (request.caller !== 'anonymous') headers.Authorization = `Bearer ${world.tokens[request.caller]}`;
    if (request.body !== undefined) {
      headers['Content-Type'] = request.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(request.body);
    }
    const req = http.request({ host: '127.0.0.1', port, method: request.operation.method, path: request.path, headers, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        req.destroy();
        resolve({ status, text: '' });
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk.length < 2_000 && text.length < 2_000 ? chunk : ''));
      res.on('end', () => resolve({ status, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

describe(`security: OpenAPI-driven fuzz (seed ${SEED}, ${REQUESTS} requests)`, () => {
  let world: SecurityWorld;
  let port: number;
  const statuses = new Map<number, number>();
  const serverErrors: string[] = [];
  const refusedRequestIds = new Set<string>();
  const appendedByRefused: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    world = await buildWorld();
    await new Promise<void>((resolve) => world.t.app.getHttpServer().listen(0, '127.0.0.1', resolve));
    port = (world.t.app.getHttpServer().address() as AddressInfo).port;

    const random = prng(SEED);
    const sweep = sweepRequests(world, 0);
    const requests = [...sweep, ...Array.from({ length: Math.max(0, REQUESTS - sweep.length) }, (_, index) => buildRequest(random, world, sweep.length + index))];
    const store = eventStoreOf(world.t);
    // Where the log ended before the fuzz: new events are looked at as they come.
    const before = await allEvents(world.t);
    let cursor = before.length ? before[before.length - 1].position : undefined;
    const inspectNewEvents = async () => {
      for (;;) {
        const page = await store.readAll({ after: cursor, maxCount: 500 });
        for (const event of page) {
          const causes = [String(event.metadata.causationId), String(event.metadata.correlationId)];
          if (causes.some((id) => refusedRequestIds.has(id))) appendedByRefused.push(`${event.type} (${causes[0]})`);
        }
        if (page.length) cursor = page[page.length - 1].position;
        if (page.length < 500) return;
      }
    };

    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next];
        next += 1;
        const requestId = `fuzz-${SEED}-${request.index}`;
        const { status, text } = await send(port, world, request, requestId);
        sent += 1;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) {
          serverErrors.push(`#${request.index} ${request.caller} ${request.operation.method} ${request.path.slice(0, 200)} [${request.mutations.join('; ')}] → ${status} ${text.slice(0, 200)}`);
        }
        if (status >= 400) refusedRequestIds.add(requestId);
        if (sent % 250 === 0) await inspectNewEvents();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // Every event the fuzz appended, none held back by a transaction open elsewhere on the server.
    await world.t.db.settled();
    await inspectNewEvents();
  }, 120_000 + REQUESTS * 60);

  afterAll(async () => {
    const histogram = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ');
    process.stdout.write(`fuzz (${ESDB ? 'esdb' : 'postgres'}, seed ${SEED}): ${sent} requests, ${serverErrors.length} answered 5xx, ${refusedRequestIds.size} refused, ${appendedByRefused.length} events appended by refused requests; statuses ${histogram}\n`);
    await world?.close();
  });

  it(`sent ${REQUESTS} requests (at least) over every operation`, () => {
    expect(sent).toBeGreaterThanOrEqual(REQUESTS);
    expect(refusedRequestIds.size).toBeGreaterThan(REQUESTS / 2);
  });

  it('answered none of them 5xx', () => {
    expect(serverErrors).toEqual([]);
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
  });

  it('appended no event for a refused request (the whole log, once every transaction ended)', async () => {
    expect(appendedByRefused).toEqual([]);
    const appended = (await allEvents(world.t)).filter(
      (event) => refusedRequestIds.has(String(event.metadata.causationId)) || refusedRequestIds.has(String(event.metadata.correlationId)),
    );
    expect(appended.map((event) => `${event.type} caused by ${String(event.metadata.causationId)}`)).toEqual([]);
  });
});
