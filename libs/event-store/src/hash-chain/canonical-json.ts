/**
 * The project's one canonical JSON: RFC 8785, the JSON Canonicalization Scheme (JCS). Object keys
 * sorted by UTF-16 code units, no whitespace, strings and numbers as ECMAScript's JSON.stringify
 * writes them (RFC 8785 section 3.2.2 defines them by that serialisation). Two stores that return
 * the same JSON value in a different key order (Postgres jsonb reorders keys; EventStoreDB keeps
 * bytes) give the same text, so hashes over it are stable. Every hash of the project goes through
 * it: stream chains, the global digests and seals, and a proposal's submitted content hash.
 *
 * For a JSON value (what JSON.parse returns) the output is exactly RFC 8785's, byte for byte the
 * `canonicalize` package's (a spec checks both on random values and the RFC's examples). Beyond
 * JSON, where RFC 8785 refuses the input, it serialises as an adapter does with JSON.stringify
 * (toJSON, boxed primitives unwrapped, undefined/function/symbol properties dropped and array items
 * nulled, non-finite numbers as null), so the hash taken before an append equals the hash
 * recomputed from what the store returns, and hashes already written never change
 * (hash-pins.spec.ts).
 *
 * Why in-house rather than the `canonicalize` package: on those non-JSON inputs the package throws
 * (NaN, Infinity) or writes invalid text (`"k":undefined` for a function), so it would change
 * pinned hashes unless every value were first round-tripped through JSON.stringify/JSON.parse; and
 * it cannot embed pre-serialised text (CanonicalJsonText), which lets the audit verifier serialise
 * an event's data once for two hashes. This is one pass over the value; scripts/verify-bundle.js
 * (plain node, no node_modules) carries a copy of it, and a spec proves the two agree byte for
 * byte: change both together.
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
