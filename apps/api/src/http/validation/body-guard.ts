import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { FieldError } from '../problem/problem-types';
import { MalformedRequestError, RequestValidationError } from '../problem/validation';

/**
 * Input PostgreSQL cannot store, or that could make a text read as something else, refused at the
 * door with a 400 problem before any handler, codec or projection sees it:
 * - NUL (U+0000): `text` refuses the byte and `jsonb` refuses `\u0000`, so a NUL in any string field
 *   failed at append (500) — or, inside an encrypted personal-data field, later in a projection,
 *   which then retried the event for ever;
 * - a lone UTF-16 surrogate: `jsonb` refuses the `\ud800` escape that JSON.stringify writes for it,
 *   and a `text` parameter silently turns it into U+FFFD;
 * - control characters other than tab and line breaks (U+0001–U+0008, U+000B, U+000C, U+000E–U+001F,
 *   U+007F–U+009F): a title holding ESC [31m coloured the terminal of whoever printed it, BEL rang,
 *   backspace rubbed out what came before (until 2026-12-07 they were stored);
 * - bidirectional embeddings and overrides (U+202A–U+202E): `abc` + U+202E + `fdp.exe` shows as
 *   `abcexe.pdf`, as file names (multipart.ts) and token subjects already refuse. Marks and isolates
 *   (U+200E, U+200F, U+061C, U+2066–U+2069), which Arabic text mixed with Latin legitimately holds
 *   and which reorder nothing, are kept;
 * - JSON nested deeper than `maxJsonDepth` (32 by default): class-transformer and every other
 *   recursive walker (body hashing, canonical JSON) overflow the stack on a body nested 10,000 deep.
 * Object keys are checked like values; so are the query string and the path parameters.
 *
 * Why a global guard, rather than a middleware or a JSON.parse reviver:
 * - it must see every input a handler will see: a JSON body, a urlencoded body (whichever parser made
 *   it), the query and the path parameters — the last only exist once the router has matched;
 * - it must run before anything walks the body recursively: global guards run before a route's own
 *   (the Idempotency-Key guard hashes the body) and before pipes (ValidationPipe → class-transformer);
 * - a middleware added in configureApp runs *before* the body parsers, which Nest registers at init,
 *   so it would see no body; a reviver sees neither the query nor a urlencoded body.
 * Parsing itself is safe: V8's JSON.parse is not recursive (a 100,000-deep array parses), and the walk
 * below uses an explicit stack, so no input depth can overflow it. It runs after the AuthGuard, so an
 * anonymous caller gets its 401 without the body being looked at.
 */
export interface InputLimits {
  /** Objects and arrays nested deeper than this are refused (the top-level object is depth 1). */
  maxJsonDepth: number;
}

export const DEFAULT_INPUT_LIMITS: InputLimits = { maxJsonDepth: 32 };

/** The deepest limit that may be configured: well below where class-transformer's recursion overflows. */
const MAX_CONFIGURABLE_DEPTH = 1000;

/** MAX_JSON_DEPTH (default 32, 1..1000). */
export function inputLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): InputLimits {
  const raw = env.MAX_JSON_DEPTH?.trim();
  if (!raw) return DEFAULT_INPUT_LIMITS;
  const depth = Number(raw);
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_CONFIGURABLE_DEPTH) {
    throw new Error(`MAX_JSON_DEPTH must be an integer from 1 to ${MAX_CONFIGURABLE_DEPTH}, got "${raw}"`);
  }
  return { maxJsonDepth: depth };
}

/** At most this many offending fields are named; the walk stops there. */
const MAX_FINDINGS = 20;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Control characters kept out of text: C0 but NUL (its own kind), tab, LF and CR; DEL; C1. */
const CONTROL = /[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
/** Bidirectional embeddings and overrides (LRE, RLE, PDF, LRO, RLO). */
const BIDI_OVERRIDE = /[\u202A-\u202E]/;
/** Any code unit that may be refused: without one (the common case, one scan), a text is taken. */
const NUL_OR_SURROGATE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\uD800-\uDFFF]/;
const UNSTORABLE_CHARACTERS = new RegExp(`\\u0000|${LONE_SURROGATE.source}|${CONTROL.source}|${BIDI_OVERRIDE.source}`, 'g');

export type UnstorableKind = 'nul' | 'lone-surrogate' | 'control' | 'bidi-override';

/** Why a string is refused, or undefined when it is taken. */
export function unstorableTextKind(text: string): UnstorableKind | undefined {
  if (!NUL_OR_SURROGATE.test(text)) return undefined; // the common case, in one scan
  if (text.includes('\u0000')) return 'nul';
  if (LONE_SURROGATE.test(text)) return 'lone-surrogate';
  if (CONTROL.test(text)) return 'control';
  if (BIDI_OVERRIDE.test(text)) return 'bidi-override';
  return undefined;
}

export interface InputFindings {
  /** Offending fields as dotted paths (`contactPerson.name`, `criteria.0.id`), at most MAX_FINDINGS. */
  fields: FieldError[];
  /** Set when the input nests deeper than the limit (the walk stopped there). */
  tooDeep: boolean;
}

/**
 * Walks a parsed input (JSON value, query or params object) iteratively, depth first, and names what
 * cannot be stored. Never recursive: the input may be nested arbitrarily deep.
 */
export function findUnstorableInput(input: unknown, limits: InputLimits = DEFAULT_INPUT_LIMITS): InputFindings {
  const fields: FieldError[] = [];
  // A node's path is only spelled out when something is found under it (most inputs: never).
  const stack: WalkNode[] = [{ value: input, depth: 0, key: undefined, parent: undefined }];
  while (stack.length > 0 && fields.length < MAX_FINDINGS) {
    const node = stack.pop()!;
    const { value, depth, key } = node;
    const keyKind = key === undefined ? undefined : unstorableTextKind(key);
    if (keyKind) fields.push(fieldError(pathOf(node), keyKind, 'name'));
    if (typeof value === 'string') {
      const kind = unstorableTextKind(value);
      if (kind) fields.push(fieldError(pathOf(node), kind, 'value'));
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > limits.maxJsonDepth) return { fields, tooDeep: true };
    // Pushed in reverse so that fields are reported in document order.
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index -= 1) stack.push({ value: value[index], depth: depth + 1, key: String(index), parent: node });
    } else {
      const keys = Object.keys(value);
      for (let index = keys.length - 1; index >= 0; index -= 1) {
        stack.push({ value: (value as Record<string, unknown>)[keys[index]], depth: depth + 1, key: keys[index], parent: node });
      }
    }
  }
  return { fields: fields.slice(0, MAX_FINDINGS), tooDeep: false };
}

interface WalkNode {
  value: unknown;
  depth: number;
  /** Its name in its parent (an array index as text); undefined at the top. */
  key: string | undefined;
  parent: WalkNode | undefined;
}

/** The dotted path of a node (`contactPerson.name`, `criteria.0.id`), '' at the top. */
function pathOf(node: WalkNode): string {
  const keys: string[] = [];
  for (let current: WalkNode | undefined = node; current?.key !== undefined; current = current.parent) keys.push(printable(current.key));
  // Joined as the walk always has: an empty name at the start of a path leaves no leading dot.
  let path = '';
  for (let index = keys.length - 1; index >= 0; index -= 1) path = path ? `${path}.${keys[index]}` : keys[index];
  return path;
}

function fieldError(path: string, kind: UnstorableKind, what: 'value' | 'name'): FieldError {
  const field = path || '(body)';
  const subject = what === 'name' ? 'its name' : field.slice(field.lastIndexOf('.') + 1);
  const message = {
    nul: `${subject} must not contain the NUL character (U+0000)`,
    'lone-surrogate': `${subject} must be valid Unicode text: it holds an unpaired UTF-16 surrogate`,
    control: `${subject} must not contain control characters (only tab and line breaks: U+0001–U+001F, U+007F–U+009F are refused)`,
    'bidi-override': `${subject} must not contain a bidirectional embedding or override (U+202A–U+202E), which can make text read as something else`,
  }[kind];
  return { field, messages: [message] };
}

/** A key named in a problem body never carries the characters it is refused for. */
function printable(key: string): string {
  return key.replace(UNSTORABLE_CHARACTERS, '\uFFFD');
}

interface InputRequest {
  body?: unknown;
  query?: unknown;
  params?: unknown;
  url?: string;
}

/**
 * The query string's percent-escapes must spell UTF-8 (RFC 3986 with RFC 3629), as the path's must
 * (a URIError there is a 400 already): the query parser keeps an escape it cannot decode as the
 * literal text, so `?q=%ED%A0%80` (an encoded surrogate) was searched for as those nine characters,
 * and a lone `%` as itself.
 */
function assertQueryEncoding(url: string | undefined): void {
  const start = url?.indexOf('?') ?? -1;
  if (url === undefined || start < 0 || !url.includes('%', start)) return;
  try {
    decodeURIComponent(url.slice(start + 1));
  } catch {
    throw new MalformedRequestError('The query string is not validly encoded: its percent-escapes must spell UTF-8 (write a literal % as %25)');
  }
}

/**
 * Whether an input is storable and within the depth limit, answered without naming anything: the
 * common case, checked on every request, with no walk node or path allocated (issue 11). Recursive,
 * but never deeper than the limit (at most MAX_CONFIGURABLE_DEPTH frames): it answers false at the
 * limit, and findUnstorableInput then says why.
 */
function storableWithin(value: unknown, depthLeft: number): boolean {
  if (typeof value === 'string') return !NUL_OR_SURROGATE.test(value);
  if (value === null || typeof value !== 'object') return true;
  if (depthLeft === 0) return false;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) if (!storableWithin(value[index], depthLeft - 1)) return false;
    return true;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (NUL_OR_SURROGATE.test(key) || !storableWithin((value as Record<string, unknown>)[key], depthLeft - 1)) return false;
  }
  return true;
}

/** Throws the 400 problem for a request's body, query or path parameters, if any cannot be stored. */
export function assertStorableRequest(request: InputRequest, limits: InputLimits = DEFAULT_INPUT_LIMITS): void {
  const depth = limits.maxJsonDepth;
  if (storableWithin(request.body, depth) && storableWithin(request.query, depth) && storableWithin(request.params, depth)) return;
  const sources: [string, unknown][] = [
    ['body', request.body],
    ['query string', request.query],
    ['path', request.params],
  ];
  const fields: FieldError[] = [];
  for (const [source, input] of sources) {
    const findings = findUnstorableInput(input, limits);
    if (findings.tooDeep) {
      throw new MalformedRequestError(`The request ${source} is nested deeper than ${limits.maxJsonDepth} levels`);
    }
    fields.push(...findings.fields);
  }
  if (fields.length > 0) throw new RequestValidationError(fields.slice(0, MAX_FINDINGS));
}

/** Register once: `app.useGlobalGuards(new RequestInputGuard())`. See the top of this file for why a guard. */
export class RequestInputGuard implements CanActivate {
  constructor(private readonly limits: InputLimits = inputLimitsFromEnv()) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<InputRequest>();
    assertQueryEncoding(request.url);
    assertStorableRequest(request, this.limits);
    return true;
  }
}
