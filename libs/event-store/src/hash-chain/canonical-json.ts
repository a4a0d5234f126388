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
 * an event's data once for two hashes. This is one pass over the value, written as UTF-8 bytes
 * into a reused buffer (CanonicalJsonWriter: no string concatenation; hashes take the bytes as
 * they are, and chainHashOf and the audit digests write their documents field by field into it);
 * about twice as fast as the string-building version it replaced. scripts/verify-bundle.js (plain
 * node, no node_modules) carries a copy of the string-building version, and a spec proves the two
 * agree byte for byte: change both together.
 */
export function canonicalJson(value: unknown): string {
  const writer = sharedWriter();
  try {
    if (!writer.value(value)) return 'null';
    return writer.text();
  } finally {
    writer.release();
  }
}

/**
 * Text already in canonical form, written as is where it appears inside a value: lets a caller
 * serialise a large part (an event's data) once and embed it in several canonical documents.
 */
export class CanonicalJsonText {
  constructor(readonly text: string) {}
}

/**
 * Canonical JSON written as UTF-8 bytes into a buffer that is reused: what `canonicalJson` returns,
 * encoded, without building strings (no concatenation, no flattening, no UTF-8 conversion before a
 * hash). Hashes take `bytes()` directly. Several documents can share one writer: `length` marks a
 * place, `copy` repeats bytes already written (the verifier writes an event's data once for two
 * hashes), `truncate` takes back what a value turned out not to need.
 *
 * `value` follows canonicalJson exactly (toJSON, boxed primitives, CanonicalJsonText, dropped
 * undefined/function/symbol properties, nulled array items, non-finite numbers as null); a spec
 * checks the two against each other and against the `canonicalize` package.
 */
export class CanonicalJsonWriter {
  private buffer: Buffer;
  /** Bytes written. */
  length = 0;
  private busy = false;

  constructor(initialBytes = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** The bytes written from `start` (default: all), as a view: valid until the next write or reset. */
  bytes(start = 0, end = this.length): Buffer {
    return this.buffer.subarray(start, end);
  }

  /** The bytes written as text. */
  text(start = 0, end = this.length): string {
    return this.buffer.toString('utf8', start, end);
  }

  reset(): this {
    this.length = 0;
    return this;
  }

  /** Takes back what was written after `length`. */
  truncate(length: number): void {
    this.length = length;
  }

  /** Writes again the bytes [start, end) already written, at the end. */
  copy(start: number, end: number): void {
    this.reserve(end - start);
    this.buffer.copyWithin(this.length, start, end);
    this.length += end - start;
  }

  /**
   * Writes the value's canonical JSON; false, with nothing written, where JSON.stringify leaves the
   * value out (undefined, a function, a symbol: a property is then dropped, an array item nulled).
   * `key` is what toJSON receives (the property name or array index; '' at the top).
   */
  value(input: unknown, key: string | number = ''): boolean {
    let value = input;
    if (value !== null && typeof value === 'object') {
      if (value instanceof CanonicalJsonText) {
        this.utf8(value.text);
        return true;
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = toJSON.call(value, String(key)) as unknown;
    }
    switch (typeof value) {
      case 'string':
        this.string(value);
        return true;
      case 'number':
        this.number(value);
        return true;
      case 'boolean':
        this.ascii(value ? 'true' : 'false');
        return true;
      case 'bigint':
        this.ascii(JSON.stringify(value)); // throws, as JSON.stringify does
        return true;
      case 'object':
        break;
      default:
        return false; // undefined, function, symbol
    }
    if (value === null) {
      this.ascii('null');
      return true;
    }
    if (value instanceof Number || value instanceof String || value instanceof Boolean) return this.value(value.valueOf(), key);
    if (value instanceof CanonicalJsonText) {
      this.utf8(value.text);
      return true;
    }
    if (Array.isArray(value)) {
      this.byte(0x5b); // [
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.byte(0x2c); // ,
        if (!this.value(value[i], i)) this.ascii('null');
      }
      this.byte(0x5d); // ]
      return true;
    }
    const record = value as Record<string, unknown>;
    const keys = sortedKeys(record);
    this.byte(0x7b); // {
    let first = true;
    for (let i = 0; i < keys.length; i++) {
      const name = keys[i];
      const mark = this.length;
      if (!first) this.byte(0x2c);
      this.string(name);
      this.byte(0x3a); // :
      if (this.value(record[name], name)) first = false;
      else this.length = mark;
    }
    this.byte(0x7d); // }
    return true;
  }

  /** `"name":` — a property name and its colon (after a comma if `comma`), for documents whose keys the caller writes in order. */
  key(name: string, comma: boolean): void {
    if (comma) this.byte(0x2c);
    this.string(name);
    this.byte(0x3a);
  }

  /**
   * A property of a document whose keys the caller writes in sorted order: `"name":value` (after a
   * comma if `comma`), or nothing where the value is left out. Returns whether a comma is due next:
   * `comma`, or true if this one was written.
   */
  field(name: string, value: unknown, comma: boolean): boolean {
    const mark = this.length;
    this.key(name, comma);
    if (this.value(value, name)) return true;
    this.length = mark;
    return comma;
  }

  /** A JSON string literal as JSON.stringify writes it (lone surrogates escaped), in UTF-8. */
  string(text: string): void {
    const count = text.length;
    this.reserve(count * 6 + 2); // at most \uXXXX per UTF-16 unit
    const out = this.buffer;
    let at = this.length;
    out[at++] = 0x22;
    for (let i = 0; i < count; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
          out[at++] = c;
          continue;
        }
        out[at++] = 0x5c;
        const short = SHORT_ESCAPES[c];
        if (short !== 0) out[at++] = short;
        else at = writeUnicodeEscape(out, at, c);
      } else if (c < 0x800) {
        out[at++] = 0xc0 | (c >> 6);
        out[at++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        out[at++] = 0xe0 | (c >> 12);
        out[at++] = 0x80 | ((c >> 6) & 0x3f);
        out[at++] = 0x80 | (c & 0x3f);
      } else {
        const next = i + 1 < count ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const point = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          out[at++] = 0xf0 | (point >> 18);
          out[at++] = 0x80 | ((point >> 12) & 0x3f);
          out[at++] = 0x80 | ((point >> 6) & 0x3f);
          out[at++] = 0x80 | (point & 0x3f);
          i++;
        } else {
          out[at++] = 0x5c;
          at = writeUnicodeEscape(out, at, c); // a lone surrogate, as well-formed JSON.stringify writes it
        }
      }
    }
    out[at++] = 0x22;
    this.length = at;
  }

  /** A number as JSON.stringify writes it (RFC 8785 section 3.2.2.3); non-finite as null. */
  number(value: number): void {
    if (!Number.isFinite(value)) this.ascii('null');
    else if (value === 0) this.byte(0x30); // -0 too
    else this.ascii(String(value));
  }

  /** Text known to be ASCII, as is. */
  ascii(text: string): void {
    const count = text.length;
    this.reserve(count);
    const out = this.buffer;
    let at = this.length;
    for (let i = 0; i < count; i++) out[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** Any text as is, in UTF-8 (pre-serialised canonical text). */
  utf8(text: string): void {
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  private byte(value: number): void {
    if (this.length >= this.buffer.length) this.reserve(1);
    this.buffer[this.length++] = value;
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** For sharedWriter: a writer handed out is not handed out again until released (toJSON may nest calls). */
  claim(): boolean {
    if (this.busy) return false;
    this.busy = true;
    this.length = 0;
    return true;
  }

  release(): void {
    this.busy = false;
    // A rare huge document does not keep its buffer.
    if (this.buffer.length > MAX_KEPT_BYTES) this.buffer = Buffer.allocUnsafe(16 * 1024);
  }
}

const MAX_KEPT_BYTES = 4 * 1024 * 1024;
const SHARED = new CanonicalJsonWriter();

/** The module's writer, or a fresh one if it is in use (canonicalJson called from within a toJSON). */
export function sharedWriter(): CanonicalJsonWriter {
  if (SHARED.claim()) return SHARED;
  const writer = new CanonicalJsonWriter(1024);
  writer.claim();
  return writer;
}

/** The second character of a two-character escape, by code unit (0: none, \u00XX instead). */
const SHORT_ESCAPES = new Uint8Array(0x80);
SHORT_ESCAPES[0x08] = 0x62; // b
SHORT_ESCAPES[0x09] = 0x74; // t
SHORT_ESCAPES[0x0a] = 0x6e; // n
SHORT_ESCAPES[0x0c] = 0x66; // f
SHORT_ESCAPES[0x0d] = 0x72; // r
SHORT_ESCAPES[0x22] = 0x22; // "
SHORT_ESCAPES[0x5c] = 0x5c; // \

const HEX_DIGITS = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];

/** uXXXX (after the backslash), lowercase hex as JSON.stringify writes it. */
function writeUnicodeEscape(out: Buffer, at: number, c: number): number {
  out[at++] = 0x75;
  out[at++] = HEX_DIGITS[(c >> 12) & 0xf];
  out[at++] = HEX_DIGITS[(c >> 8) & 0xf];
  out[at++] = HEX_DIGITS[(c >> 4) & 0xf];
  out[at++] = HEX_DIGITS[c & 0xf];
  return at;
}

/**
 * An object's own enumerable string keys sorted by UTF-16 code units, as RFC 8785 wants (`<` on
 * strings compares code units, as Array.prototype.sort does by default). Objects have few keys:
 * an insertion sort beats the generic sort there.
 */
export function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  const count = keys.length;
  if (count > 24) return keys.sort();
  for (let i = 1; i < count; i++) {
    const name = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > name) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = name;
  }
  return keys;
}
