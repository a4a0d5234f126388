/**
 * Canonical JSON (the RFC 8785 "JCS" rules for the values a JSON document can hold): object keys
 * sorted by UTF-16 code units, no whitespace, numbers and strings as ECMAScript's JSON.stringify
 * writes them. Two stores that return the same JSON value in a different key order (Postgres jsonb
 * reorders keys; EventStoreDB keeps bytes) give the same text, so hashes over it are stable.
 *
 * The value is serialised exactly as an adapter serialises it with JSON.stringify (toJSON, boxed
 * primitives unwrapped, undefined/function/symbol properties dropped and array items nulled,
 * non-finite numbers as null), so the hash taken before an append equals the hash recomputed from
 * what the store returns. This is one pass over the value (the audit verifier runs it over every
 * event); its output is byte-identical to the reference `write(JSON.parse(JSON.stringify(value)))`
 * that scripts/verify-bundle.js carries (it may import nothing from the project): change both together.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '') ?? 'null';
}

/**
 * Text already in canonical form, written as is where it appears inside a value: lets a caller
 * serialise a large part (an event's data) once and embed it in several canonical documents.
 */
export class CanonicalJsonText {
  constructor(readonly text: string) {}
}

/** The value's canonical text, or undefined where JSON.stringify would leave it out. */
function write(input: unknown, key: string): string | undefined {
  let value = input;
  if (value !== null && typeof value === 'object') {
    if (value instanceof CanonicalJsonText) return value.text;
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') value = toJSON.call(value, key) as unknown;
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value); // throws, as JSON.stringify does
    case 'object':
      break;
    default:
      return undefined; // undefined, function, symbol
  }
  if (value === null) return 'null';
  if (value instanceof Number || value instanceof String || value instanceof Boolean) return write(value.valueOf(), key);
  if (value instanceof CanonicalJsonText) return value.text;
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ',';
      text += write(value[i], String(i)) ?? 'null';
    }
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let text = '{';
  let first = true;
  for (const name of keys) {
    const item = write(record[name], name);
    if (item === undefined) continue;
    text += first ? `${quotedKey(name)}:${item}` : `,${quotedKey(name)}:${item}`;
    first = false;
  }
  return `${text}}`;
}

/** Object keys repeat across events (field names): their JSON string forms are kept, up to a bound. */
const QUOTED_KEYS = new Map<string, string>();
const MAX_QUOTED_KEYS = 10_000;

function quotedKey(name: string): string {
  let quoted = QUOTED_KEYS.get(name);
  if (quoted === undefined) {
    quoted = JSON.stringify(name);
    if (QUOTED_KEYS.size < MAX_QUOTED_KEYS) QUOTED_KEYS.set(name, quoted);
  }
  return quoted;
}
