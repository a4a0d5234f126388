import { hash } from 'node:crypto';
import type { StoredEventTextPage } from '@app/event-store/postgres/postgres-event-store';

/** Bytes per event in a facts page's links (audit-digest.ts's EventFactsPage): prev (32), then hash (32). */
export const LINK_BYTES = 64;

/**
 * The audit verifier's two canonical documents of an event, written as UTF-8 bytes from
 * PostgreSQL's jsonb text into buffers that are reused (no strings built, joined or flattened, no
 * UTF-8 conversion before a hash): what audit-digest.ts's eventFactsPageFromText hashes, byte for
 * byte the canonicalJson (RFC 8785) of the values readAll would return.
 *
 * jsonb's text output (jsonb_out) differs from the canonical form only in its whitespace (": " and
 * ", "), its key order (by length, then bytes) and its numbers (numeric's text: "1.50", "1000"):
 * its string literals are byte for byte JSON.stringify's, and without a backslash they hold no
 * escape at all, so a string is copied as its bytes and a key compares as its bytes. Anything else
 * is left to the caller's general path (parsed, then canonicalJson): a backslash anywhere, a key
 * with a byte outside ASCII (UTF-8's byte order is code points', RFC 8785 sorts by UTF-16 units),
 * a repeated key, a text that is not JSON as jsonb writes it.
 *
 * One encoder per thread (module state: a recursive descent without closures or allocations).
 */

/** The bytes being read (the UTF-8 of a jsonb text) and where: `src` is a plain view of `srcBuffer` (a Buffer's subarray is slower to make). */
let srcBuffer = Buffer.allocUnsafe(1 << 14);
let src = new Uint8Array(srcBuffer.buffer, srcBuffer.byteOffset, srcBuffer.length);
let srcEnd = 0;
let at = 0;

/**
 * Where everything is written: an event's metadata (canonical) from 0, then its two documents;
 * past `pos`, scratch for an object's entries while they are sorted. One buffer, so that bytes
 * move within it (copyWithin, native) rather than between buffers.
 */
let out = new Uint8Array(1 << 16);
let pos = 0;

/**
 * Entries of the objects being read, three numbers each: start and end in `out` of `"key":value`,
 * and the key's length (its bytes follow the entry's opening quote). An object's entries sit above
 * those of the objects that contain it; once it is written they are left there, in canonical
 * order, `entriesCount` of them (a top-level object's at 0, read before anything else is read).
 */
let entries = new Int32Array(3 * 256);
let top = 0;
let entriesCount = 0;

function load(text: string): void {
  if (src.length <= text.length * 3) {
    srcBuffer = Buffer.allocUnsafe(text.length * 3 + 1024);
    src = new Uint8Array(srcBuffer.buffer, srcBuffer.byteOffset, srcBuffer.length);
  }
  srcEnd = srcBuffer.write(text, 0, 'utf8');
  // A sentinel: whatever reads one byte past the end (a space, a digit) stops there.
  src[srcEnd] = 0;
  at = 0;
}

/** Room for n more bytes in `out`. */
function room(n: number): void {
  if (pos + n > out.length) grow(n);
}

function grow(n: number): void {
  const bigger = new Uint8Array(Math.max(out.length * 2, pos + n + 1024));
  bigger.set(out.subarray(0, pos), 0);
  out = bigger;
}

/** src[from, to) to out, a byte loop for short runs (cheaper than a native call). */
function copyFromSrc(from: number, to: number): void {
  const n = to - from;
  if (pos + n > out.length) grow(n);
  const o = out;
  const p = pos;
  if (n > 64) o.set(src.subarray(from, to), p);
  else {
    const s = src;
    for (let k = 0; k < n; k++) o[p + k] = s[from + k];
  }
  pos = p + n;
}

function skipSpace(): void {
  const s = src;
  let k = at;
  let c = s[k];
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s[++k];
  at = k;
}

function value(): boolean {
  skipSpace();
  if (at >= srcEnd) return false;
  const c = src[at];
  if (c === 0x22) return string();
  if (c === 0x7b) return object();
  if (c === 0x5b) return array();
  if (c === 0x74) return literal(0x74, 0x72, 0x75, 0x65, -1); // true
  if (c === 0x66) return literal(0x66, 0x61, 0x6c, 0x73, 0x65); // false
  if (c === 0x6e) return literal(0x6e, 0x75, 0x6c, 0x6c, -1); // null
  return number();
}

function literal(a: number, b: number, c: number, d: number, e: number): boolean {
  const n = e < 0 ? 4 : 5;
  if (at + n > srcEnd || src[at] !== a || src[at + 1] !== b || src[at + 2] !== c || src[at + 3] !== d || (e >= 0 && src[at + 4] !== e)) return false;
  copyFromSrc(at, at + n);
  at += n;
  return true;
}

/** A string literal, copied as it is (the caller made sure the text holds no backslash). */
function string(): boolean {
  const s = src;
  const end = srcEnd;
  // Found and copied in one pass: room for the rest of the text at most.
  if (pos + (end - at) > out.length) grow(end - at);
  const o = out;
  let p = pos;
  let k = at + 1;
  o[p++] = 0x22;
  let c = s[k];
  while (c !== 0x22 && k < end) {
    o[p++] = c;
    c = s[++k];
  }
  if (k >= end) return false;
  o[p++] = 0x22;
  pos = p;
  at = k + 1;
  return true;
}

function array(): boolean {
  at++;
  room(1);
  out[pos++] = 0x5b;
  skipSpace();
  if (src[at] === 0x5d) {
    at++;
    room(1);
    out[pos++] = 0x5d;
    return true;
  }
  for (;;) {
    if (!value()) return false;
    skipSpace();
    const next = src[at++];
    room(1);
    if (next === 0x5d) {
      out[pos++] = 0x5d;
      return true;
    }
    if (next !== 0x2c) return false;
    out[pos++] = 0x2c;
  }
}

/** A number token as JSON.stringify writes the double it parses to. */
function number(): boolean {
  const start = at;
  const s = src;
  let k = at;
  let plain = true; // digits only, no sign, no leading zero
  let c = s[k];
  if (c === 0x2d) {
    plain = false;
    c = s[++k];
  }
  if (c === 0x30) plain = false;
  while ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) {
    if (c > 0x39 || c < 0x30) plain = false;
    c = s[++k];
  }
  at = k;
  const length = at - start;
  if (length === 0) return false;
  // Up to 15 digits a double holds exactly, and String() writes them back as they are.
  if (plain && length <= 15) {
    copyFromSrc(start, at);
    return true;
  }
  const parsed = Number(srcBuffer.toString('latin1', start, at));
  if (Number.isNaN(parsed)) return false;
  writeAscii(canonicalNumber(parsed));
  return true;
}

export function canonicalNumber(value: number): string {
  return !Number.isFinite(value) ? 'null' : value === 0 ? '0' : String(value);
}

/** -1, 0, 1: the keys of entries a and b (indexes into `entries`) by their bytes (ASCII: UTF-16 order). */
function compareKeys(a: number, b: number): number {
  const aStart = entries[a] + 1;
  const bStart = entries[b] + 1;
  const aLength = entries[a + 2];
  const bLength = entries[b + 2];
  const n = aLength < bLength ? aLength : bLength;
  for (let k = 0; k < n; k++) {
    const d = out[aStart + k] - out[bStart + k];
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return aLength === bLength ? 0 : aLength < bLength ? -1 : 1;
}

function object(): boolean {
  at++;
  room(1);
  out[pos++] = 0x7b;
  const regionStart = pos;
  skipSpace();
  const base = top;
  if (src[at] === 0x7d) {
    at++;
    room(1);
    out[pos++] = 0x7d;
    entriesCount = 0;
    return true;
  }
  for (;;) {
    skipSpace();
    if (src[at] !== 0x22) return false;
    const s = src;
    const end = srcEnd;
    if (top > base) {
      room(1);
      out[pos++] = 0x2c;
    }
    const start = pos;
    // The key found and copied in one pass (room for the rest of the text at most).
    if (pos + (end - at) > out.length) grow(end - at);
    const o = out;
    let p = pos;
    let k = at + 1;
    let high = 0;
    o[p++] = 0x22;
    let c = s[k];
    while (c !== 0x22 && k < end) {
      high |= c;
      o[p++] = c;
      c = s[++k];
    }
    if (k >= end || high >= 0x80) return false;
    o[p++] = 0x22;
    pos = p;
    const keyLength = k - at - 1;
    at = k + 1;
    skipSpace();
    if (src[at++] !== 0x3a) return false;
    room(1);
    out[pos++] = 0x3a;
    if (!value()) return false;
    if (top + 3 > entries.length) {
      const bigger = new Int32Array(entries.length * 2);
      bigger.set(entries);
      entries = bigger;
    }
    entries[top] = start;
    entries[top + 1] = pos;
    entries[top + 2] = keyLength;
    top += 3;
    skipSpace();
    const next = src[at++];
    if (next === 0x7d) break;
    if (next !== 0x2c) return false;
  }
  // Sorted already (often: few keys), or sorted here: an insertion sort of the entries, then the
  // object's bytes rewritten in that order from a copy.
  let sorted = true;
  for (let e = base + 3; e < top; e += 3) {
    const order = compareKeys(e - 3, e);
    if (order === 0) return false; // a repeated key: not jsonb's output
    if (order > 0) sorted = false;
  }
  if (!sorted) {
    for (let e = base + 3; e < top; e += 3) {
      const start = entries[e];
      const end = entries[e + 1];
      const keyLength = entries[e + 2];
      let j = e;
      while (j > base && compareEntryKey(j - 3, start, keyLength) > 0) {
        entries[j] = entries[j - 3];
        entries[j + 1] = entries[j - 2];
        entries[j + 2] = entries[j - 1];
        j -= 3;
      }
      entries[j] = start;
      entries[j + 1] = end;
      entries[j + 2] = keyLength;
    }
    // The object's entries copied past pos, then back in order.
    const size = pos - regionStart;
    room(size);
    const o = out;
    const scratch = pos - regionStart;
    o.copyWithin(pos, regionStart, pos);
    let w = regionStart;
    for (let e = base; e < top; e += 3) {
      if (e > base) o[w++] = 0x2c;
      const from = entries[e] + scratch;
      const n = entries[e + 1] - entries[e];
      if (n > 32) o.copyWithin(w, from, from + n);
      else for (let b = 0; b < n; b++) o[w + b] = o[from + b];
      entries[e] = w;
      entries[e + 1] = w + n;
      w += n;
    }
  }
  room(1);
  out[pos++] = 0x7d;
  entriesCount = (top - base) / 3;
  top = base;
  return true;
}

/** compareKeys of entry j against a key at `start` (an entry's start) of `keyLength` bytes. */
function compareEntryKey(j: number, start: number, keyLength: number): number {
  const aStart = entries[j] + 1;
  const aLength = entries[j + 2];
  const n = aLength < keyLength ? aLength : keyLength;
  for (let k = 0; k < n; k++) {
    const d = out[aStart + k] - out[start + 1 + k];
    if (d !== 0) return d;
  }
  return aLength - keyLength;
}

/** An ASCII string's bytes (the caller knows it is ASCII). */
function writeAscii(text: string): void {
  const n = text.length;
  if (pos + n > out.length) grow(n);
  const o = out;
  const p = pos;
  for (let k = 0; k < n; k++) o[p + k] = text.charCodeAt(k);
  pos = p + n;
}

/** Bytes known in advance (ASCII). */
function writeBytes(bytes: Uint8Array): void {
  const n = bytes.length;
  if (pos + n > out.length) grow(n);
  const o = out;
  const p = pos;
  for (let k = 0; k < n; k++) o[p + k] = bytes[k];
  pos = p + n;
}

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const DATA_KEY = ascii('{"data":');
const EVENT_ID_KEY = ascii(',"eventId":');
const METADATA_KEY = ascii(',"metadata":{');
const POSITION_KEY = ascii('},"position":');
const RECORDED_AT_KEY = ascii(',"recordedAt":"');
const RECORDED_AT_ENTRY = RECORDED_AT_KEY.subarray(1);
const QUOTE = ascii('"');
const SCHEMA_VERSION_KEY = ascii(',"schemaVersion":');
const STREAM_ID_KEY = ascii(',"streamId":');
const STREAM_VERSION_KEY = ascii(',"streamVersion":');
const TYPE_KEY = ascii(',"type":');
const CLOSE = ascii('}');
const PREV_KEY = ascii('},"prev":"');

const HASH_OPEN = ascii('{"hash":"');
const PREV_OPEN = ascii('","prev":"');

/** out[from…] begins with `bytes`. */
function bytesAt(from: number, bytes: Uint8Array): boolean {
  for (let k = 0; k < bytes.length; k++) if (out[from + k] !== bytes[k]) return false;
  return true;
}

/** out[from, from + 64) are 64 lowercase hex digits. */
function hex64At(from: number): boolean {
  const o = out;
  for (let k = from; k < from + 64; k++) {
    const c = o[k];
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** A string's JSON literal when it needs no escape (printable ASCII but " and \\); false (nothing kept) otherwise. */
function writePlainLiteral(text: string): boolean {
  const n = text.length;
  room(n + 2);
  const o = out;
  const p = pos;
  o[p] = 0x22;
  let bad = false;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(k);
    bad ||= c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c;
    o[p + 1 + k] = c;
  }
  o[p + 1 + n] = 0x22;
  if (bad) return false;
  pos = p + n + 2;
  return true;
}

/** A stream or schema version: digits written directly for the usual integers. */
function writeNumber(value: number): void {
  if (Number.isInteger(value) && value > 0 && value < 1e15) {
    let digits = 1;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
    room(digits);
    let v = value;
    for (let k = digits - 1; k >= 0; k--) {
      out[pos + k] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    pos += digits;
  } else writeAscii(canonicalNumber(value));
}

/**
 * The canonical JSON (canonicalJson of JSON.parse of it) of a jsonb text as UTF-8 bytes, or
 * undefined where the general path must do it. A copy: for tests; the verifier writes in place.
 */
export function jsonbCanonicalBytes(text: string): Buffer | undefined {
  if (text.indexOf('\\') >= 0) return undefined;
  load(text);
  pos = 0;
  top = 0;
  if (!value()) return undefined;
  skipSpace();
  return at === srcEnd ? Buffer.from(out.subarray(0, pos)) : undefined;
}

/** The last recorded time seen and its ISO text (an append's events share it). */
let lastRecordedMs = NaN;
let lastRecordedIso = '';

const CHAIN = [0x63, 0x68, 0x61, 0x69, 0x6e];
const RECORDED_AT = [0x72, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x65, 0x64, 0x41, 0x74];

/** -1, 0, 1: metadata entry e's key against `key`'s bytes. */
function compareMetaKey(e: number, key: readonly number[]): number {
  const start = entries[e] + 1;
  const length = entries[e + 2];
  const n = length < key.length ? length : key.length;
  for (let k = 0; k < n; k++) {
    const d = out[start + k] - key[k];
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return length === key.length ? 0 : length < key.length ? -1 : 1;
}

/**
 * The metadata entries from index `from` to `to` (exclusive, indexes into the canonical entries,
 * `skip` and `skipToo` left out) appended to the document being written, each preceded by a comma unless it is the object's first
 * (`first`); adjacent entries are copied as one run. Returns whether anything was written.
 */
function copyMetaEntries(from: number, to: number, skip: number, skipToo: number, first: boolean): boolean {
  let runStart = -1;
  let runEnd = -1;
  for (let e = from; e < to; e += 3) {
    if (e === skip || e === skipToo) continue;
    const start = entries[e];
    const end = entries[e + 1];
    if (runStart >= 0 && start === runEnd + 1) {
      runEnd = end;
      continue;
    }
    if (runStart >= 0) {
      copyMeta(runStart, runEnd, first);
      first = false;
    }
    runStart = start;
    runEnd = end;
  }
  if (runStart >= 0) {
    copyMeta(runStart, runEnd, first);
    first = false;
  }
  return !first;
}

function copyMeta(from: number, to: number, first: boolean): void {
  room(to - from + 1);
  if (!first) out[pos++] = 0x2c;
  out.copyWithin(pos, from, to);
  pos += to - from;
}

/**
 * The facts of event i of a stored-text page from its text, written into `facts` and `digests`
 * (its 32 bytes at i * 32): false (nothing set) where the general path must do it. The two
 * documents: the stored record (storedEventRecord: the metadata with the recorded time as
 * recordedAt) and the chained content (chainHashOf's: the metadata without chain and recordedAt,
 * and prev), sharing their `{"data":…,"eventId":…,"metadata":` and their schemaVersion…type tail.
 */
export function textFactsInto(
  page: StoredEventTextPage,
  i: number,
  facts: { linked: Uint8Array; links: Uint8Array; linkHolds: Uint8Array },
  digests: Buffer,
): boolean {
  const dataText = page.data[i];
  const metadataText = page.metadata[i];
  if (metadataText.charCodeAt(0) !== 0x7b || metadataText.indexOf('\\') >= 0 || dataText.indexOf('\\') >= 0) return false;

  // The metadata, canonical, from 0; its entries stay at entries[0…) in canonical order.
  load(metadataText);
  pos = 0;
  top = 0;
  if (!object()) return false;
  skipSpace();
  if (at !== srcEnd) return false;
  const metaEntries = entriesCount * 3;
  // Where the chain and recordedAt entries are, and where the record's recordedAt goes.
  let chain = -1;
  let recorded = -1;
  let recordedBefore = metaEntries;
  for (let e = 0; e < metaEntries; e += 3) {
    const length = entries[e + 2];
    if (length === 5 && compareMetaKey(e, CHAIN) === 0) chain = e;
    const order = compareMetaKey(e, RECORDED_AT);
    if (order === 0) recorded = e;
    else if (order > 0 && recordedBefore === metaEntries) recordedBefore = e;
  }
  // A link as chainLinkOf reads it: exactly { hash, prev }, both 64 lowercase hex digits; anything else the general path judges.
  let hashAt = -1;
  let prevAt = -1;
  if (chain >= 0) {
    const v = entries[chain] + 8; // past "chain":
    if (
      entries[chain + 1] - v !== 149 ||
      !bytesAt(v, HASH_OPEN) ||
      !bytesAt(v + 73, PREV_OPEN) ||
      out[v + 147] !== 0x22 ||
      out[v + 148] !== 0x7d
    ) {
      return false;
    }
    // The hash is checked below only where it differs from the hash computed (hex by construction).
    if (!hex64At(v + 83)) return false;
    hashAt = v + 9;
    prevAt = v + 83;
  }

  // The data, canonical, into the stored record after {"data":, past the metadata.
  const metaEnd = pos;
  load(dataText);
  top = metaEntries; // the metadata's entries stay below
  writeBytes(DATA_KEY);
  if (!value()) return false;
  skipSpace();
  if (at !== srcEnd) return false;
  writeBytes(EVENT_ID_KEY);
  if (!writePlainLiteral(page.eventIds[i])) return false;
  writeBytes(METADATA_KEY);
  const prefixEnd = pos;

  // The stored record: metadata with recordedAt the recorded time, position, recordedAt, the tail.
  const recordedMs = page.recordedMs[i];
  if (recordedMs !== lastRecordedMs) {
    lastRecordedIso = new Date(recordedMs).toISOString();
    lastRecordedMs = recordedMs;
  }
  const wrote = copyMetaEntries(0, recordedBefore, recorded, -1, true);
  if (wrote) {
    room(1);
    out[pos++] = 0x2c;
  }
  writeBytes(RECORDED_AT_ENTRY);
  writeAscii(lastRecordedIso);
  writeBytes(QUOTE);
  copyMetaEntries(recordedBefore, metaEntries, recorded, -1, false);
  writeBytes(POSITION_KEY);
  if (!writePlainLiteral(page.positions[i])) return false;
  writeBytes(RECORDED_AT_KEY);
  writeAscii(lastRecordedIso);
  writeBytes(QUOTE);
  const tailStart = pos;
  writeBytes(SCHEMA_VERSION_KEY);
  writeNumber(page.schemaVersions[i]);
  writeBytes(STREAM_ID_KEY);
  if (!writePlainLiteral(page.streamIds[i])) return false;
  writeBytes(STREAM_VERSION_KEY);
  writeNumber(page.streamVersions[i]);
  writeBytes(TYPE_KEY);
  if (!writePlainLiteral(page.types[i])) return false;
  writeBytes(CLOSE);
  const storedEnd = pos;

  let holds = false;
  if (prevAt >= 0) {
    // The chained content: the same prefix, metadata without chain and recordedAt, prev, the same tail.
    room(prefixEnd - metaEnd);
    out.copyWithin(pos, metaEnd, prefixEnd);
    pos += prefixEnd - metaEnd;
    copyMetaEntries(0, metaEntries, chain, recorded, true);
    writeBytes(PREV_KEY);
    room(65);
    out.copyWithin(pos, prevAt, prevAt + 64);
    pos += 64;
    out[pos++] = 0x22;
    room(storedEnd - tailStart);
    out.copyWithin(pos, tailStart, storedEnd);
    pos += storedEnd - tailStart;
    holds = hexAt(hash('sha256', out.subarray(storedEnd, pos), 'hex'), hashAt);
  }
  digests.write(hash('sha256', out.subarray(metaEnd, storedEnd), 'hex'), i * 32, 32, 'hex');
  if (prevAt >= 0) {
    if (!holds && !hex64At(hashAt)) return false;
    facts.linked[i] = 1;
    hexBytesInto(prevAt, facts.links, i * LINK_BYTES);
    hexBytesInto(hashAt, facts.links, i * LINK_BYTES + 32);
  }
  facts.linkHolds[i] = holds ? 1 : 0;
  return true;
}

/** out[from, from + 64) are `hex`'s characters. */
function hexAt(hex: string, from: number): boolean {
  const o = out;
  for (let k = 0; k < 64; k++) if (o[from + k] !== hex.charCodeAt(k)) return false;
  return true;
}

/** The 64 lowercase hex digits at out[from…] as 32 bytes into `into` at `at`. */
function hexBytesInto(from: number, into: Uint8Array, at: number): void {
  const o = out;
  const high = HEX_HIGH;
  const low = HEX_LOW;
  for (let k = 0; k < 32; k++) into[at + k] = high[o[from + 2 * k]] | low[o[from + 2 * k + 1]];
}

/** A hex digit's value by its byte, shifted for the high half of a byte and not. */
const HEX_LOW = new Uint8Array(256);
const HEX_HIGH = new Uint8Array(256);
for (const [digit, value] of [...'0123456789abcdef'].entries()) {
  HEX_LOW[value.charCodeAt(0)] = digit;
  HEX_HIGH[value.charCodeAt(0)] = digit << 4;
}
