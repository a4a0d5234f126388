import { hash } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import type { StoredEventTextPage } from '@app/event-store/postgres/postgres-event-store';
import {
  type CanonicalJsonText,
  type CanonicalJsonWriter,
  chainLinkOf,
  GENESIS_HASH,
  isPlainRecord,
  sharedWriter,
  sortedKeys,
  writeChainedContent,
  writeChainedTail,
} from '@app/event-store/hash-chain';
import { textFactsInto } from './verify-text-encoder';

/** The running hash before the first event of the log. */
export const GLOBAL_GENESIS_HASH = GENESIS_HASH;

/**
 * An event exactly as the store holds it, with nothing left out: global position, stream id and
 * version, event id, type, schema version, data (ciphertext envelopes for personal fields), full
 * metadata (including chain and the server's recordedAt) and the recorded_at column. This is both
 * a line of an export bundle and what the global digest covers.
 */
export interface StoredEventRecord {
  position: string;
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

export function storedEventRecord(event: RecordedEvent): StoredEventRecord {
  return {
    position: event.position,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  };
}

/**
 * sha256 (hex) of the canonical JSON of the stored record. scripts/verify-bundle.js repeats it.
 * `data`, when given, is `canonicalJson(event.data)` already computed; the digest is the same.
 */
export function eventDigest(event: RecordedEvent | StoredEventRecord, data?: CanonicalJsonText): string {
  const writer = sharedWriter();
  try {
    writeStoredRecord(writer, event, data);
    return hash('sha256', writer.bytes(), 'hex');
  } finally {
    writer.release();
  }
}

/** eventDigest as its 32 bytes. */
export function eventDigestBytes(event: RecordedEvent | StoredEventRecord, data?: CanonicalJsonText): Buffer {
  return Buffer.from(eventDigest(event, data), 'hex');
}

/** Appends the canonical JSON of the event's stored record (storedEventRecord; a StoredEventRecord as it is). */
function writeStoredRecord(writer: CanonicalJsonWriter, event: RecordedEvent | StoredEventRecord, data?: CanonicalJsonText): void {
  const record = event.recordedAt instanceof Date ? storedEventRecord(event as RecordedEvent) : { ...event };
  if (data) record.data = data;
  writer.value(record);
}

/** h_n = sha256(h_{n-1} || digest_n), over the 32-byte values. scripts/verify-bundle.js repeats it. */
export function nextGlobalHash(previous: string, digest: string): string {
  pair.write(previous, 0, 32, 'hex');
  pair.write(digest, 32, 32, 'hex');
  return hash('sha256', pair, 'hex');
}

/** The 64 bytes hashed by nextGlobalHashBytes; the fold runs on one thread, so one buffer serves. */
const pair = Buffer.alloc(64);

/**
 * nextGlobalHash over the 32-byte values, without hex round trips (the verifier folds a whole log):
 * one-shot hashing of the 64 bytes. `into` (default: a new buffer) receives the 32 bytes.
 * (crypto.hash with a hex answer decoded here costs a third of one that answers a Buffer.)
 */
export function nextGlobalHashBytes(previous: Uint8Array, digest: Uint8Array, into: Buffer = Buffer.allocUnsafe(32)): Buffer {
  pair.set(previous, 0);
  pair.set(digest, 32);
  into.write(hash('sha256', pair, 'hex'), 0, 32, 'hex');
  return into;
}

/**
 * What the verifier needs of one event besides its place in the log, computed apart from the
 * ordered checks (in a worker thread or not): its ids and version, its chain link, whether it
 * still hashes to that link, and its global digest. Kept in columns (a page at a time) so that a
 * worker thread hands a page over cheaply.
 */
export interface EventFactsPage {
  count: number;
  positions: string[];
  streamIds: string[];
  streamVersions: number[];
  eventIds: string[];
  /** metadata.chain.prev and .hash when the event carries a well-formed link, else null. */
  prevs: (string | null)[];
  hashes: (string | null)[];
  /** 1: the event hashes to its chain.hash (chainHashOf over its stored content and chain.prev). */
  linkHolds: Uint8Array;
  /** eventDigestBytes of each event, 32 bytes each. */
  digests: Uint8Array;
  /**
   * Set by a reader thread (foldRunningHash): the running hash it assumed before the page's first
   * event, and the running hash after its last one. The verifier uses runningAfter only when
   * runningFrom is the value it has itself at that point; otherwise it folds the digests itself.
   */
  runningFrom?: string;
  runningAfter?: string;
}

/**
 * An EventFactsPage as a reader thread hands it over: its strings joined in one (per event:
 * position, stream id, event id, and the link's prev and hash when it has one) with their end
 * offsets, everything else in typed arrays that are transferred, not copied. Cloning the page's
 * 25,000 strings one by one cost about 1 µs per event to write and more to read back.
 */
export interface PackedEventFacts {
  count: number;
  text: string;
  /** End offset in `text` of each string, five per event (an event without a link has empty prev and hash). */
  ends: Uint32Array;
  /** 1: the event carries a well-formed link (prev and hash), 0: prevs and hashes are null. */
  linked: Uint8Array;
  streamVersions: Float64Array;
  linkHolds: Uint8Array;
  digests: Uint8Array;
  runningFrom?: string;
  runningAfter?: string;
}

export function packEventFacts(page: EventFactsPage): PackedEventFacts {
  const { count } = page;
  const parts = new Array<string>(count * 5);
  const ends = new Uint32Array(count * 5);
  const linked = new Uint8Array(count);
  let end = 0;
  for (let i = 0; i < count; i++) {
    const prev = page.prevs[i];
    const hash = page.hashes[i];
    linked[i] = prev !== null && hash !== null ? 1 : 0;
    const strings = [page.positions[i], page.streamIds[i], page.eventIds[i], prev ?? '', hash ?? ''];
    for (let k = 0; k < 5; k++) {
      parts[i * 5 + k] = strings[k];
      end += strings[k].length;
      ends[i * 5 + k] = end;
    }
  }
  return {
    count,
    text: parts.join(''),
    ends,
    linked,
    streamVersions: Float64Array.from(page.streamVersions),
    linkHolds: page.linkHolds,
    digests: page.digests,
    ...(page.runningFrom !== undefined ? { runningFrom: page.runningFrom, runningAfter: page.runningAfter } : {}),
  };
}

/** The transferable buffers of a packed page (postMessage's transfer list). */
export function packedTransferList(packed: PackedEventFacts): ArrayBuffer[] {
  return [packed.ends.buffer, packed.linked.buffer, packed.streamVersions.buffer, packed.linkHolds.buffer, packed.digests.buffer] as ArrayBuffer[];
}

export function unpackEventFacts(packed: PackedEventFacts): EventFactsPage {
  const { count, text, ends, linked } = packed;
  const positions: string[] = [];
  const streamIds: string[] = [];
  const eventIds: string[] = [];
  const prevs: (string | null)[] = [];
  const hashes: (string | null)[] = [];
  const streamVersions: number[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const e = i * 5;
    positions.push(text.slice(start, ends[e]));
    streamIds.push(text.slice(ends[e], ends[e + 1]));
    eventIds.push(text.slice(ends[e + 1], ends[e + 2]));
    prevs.push(linked[i] === 1 ? text.slice(ends[e + 2], ends[e + 3]) : null);
    hashes.push(linked[i] === 1 ? text.slice(ends[e + 3], ends[e + 4]) : null);
    streamVersions.push(packed.streamVersions[i]);
    start = ends[e + 4];
  }
  return {
    count,
    positions,
    streamIds,
    streamVersions,
    eventIds,
    prevs,
    hashes,
    linkHolds: packed.linkHolds,
    digests: packed.digests,
    ...(packed.runningFrom !== undefined ? { runningFrom: packed.runningFrom, runningAfter: packed.runningAfter } : {}),
  };
}

/** Folds the page's digests into the running hash from `from` (hex), and records both ends on the page. */
export function foldRunningHash(page: EventFactsPage, from: string): void {
  const hash = Buffer.from(from, 'hex');
  for (let i = 0; i < page.count; i++) nextGlobalHashBytes(hash, page.digests.subarray(i * 32, i * 32 + 32), hash);
  page.runningFrom = from;
  page.runningAfter = hash.toString('hex');
}

export function eventFactsPage(events: readonly RecordedEvent[]): EventFactsPage {
  const count = events.length;
  const page: EventFactsPage = {
    count,
    positions: new Array<string>(count),
    streamIds: new Array<string>(count),
    streamVersions: new Array<number>(count),
    eventIds: new Array<string>(count),
    prevs: new Array<string | null>(count),
    hashes: new Array<string | null>(count),
    linkHolds: new Uint8Array(count),
    digests: new Uint8Array(count * 32),
  };
  const digests = Buffer.from(page.digests.buffer, page.digests.byteOffset, page.digests.byteLength);
  const writer = sharedWriter();
  try {
    for (let i = 0; i < count; i++) {
      const event = events[i];
      const link = chainLinkOf(event.metadata);
      page.positions[i] = event.position;
      page.streamIds[i] = event.streamId;
      page.streamVersions[i] = event.streamVersion;
      page.eventIds[i] = event.eventId;
      page.prevs[i] = link ? link.prev : null;
      page.hashes[i] = link ? link.hash : null;
      writer.reset();
      const chained = writeBothDocuments(writer, event, link?.prev);
      if (chained >= 0) {
        digests.write(hash('sha256', writer.bytes(0, chained), 'hex'), i * 32, 32, 'hex');
        page.linkHolds[i] = link !== undefined && hash('sha256', writer.bytes(chained), 'hex') === link.hash ? 1 : 0;
      } else {
        writer.reset();
        writeStoredRecord(writer, event);
        digests.write(hash('sha256', writer.bytes(), 'hex'), i * 32, 32, 'hex');
        if (link !== undefined) {
          writer.reset();
          writeChainedContent(writer, event, link.prev);
          page.linkHolds[i] = hash('sha256', writer.bytes(), 'hex') === link.hash ? 1 : 0;
        }
      }
    }
  } finally {
    writer.release();
  }
  return page;
}

/** The ISO text of the last recorded time written: the events of one append share it. */
let lastRecorded = { ms: NaN, iso: '' };

/**
 * Writes, for a RecordedEvent whose metadata is a plain record, the two canonical documents the
 * verifier hashes from shared parts: first the stored record (eventDigest's document), then the
 * chained content with `prev` (chainHashOf's; only if `prev` is given). The data, the event id
 * and each metadata entry are serialised once: both documents begin with the same
 * `{"data":…,"eventId":…,"metadata":` and end with the same schemaVersion…type, and the chained
 * metadata is the stored one without chain and recordedAt, so those parts are copied as bytes.
 * Returns where the chained document begins (the stored one begins at 0), or -1 (nothing
 * usable written) where the general path must serialise each document on its own.
 */
function writeBothDocuments(writer: CanonicalJsonWriter, event: RecordedEvent, prev: string | undefined): number {
  const metadata = event.metadata as unknown;
  const recordedAt = event.recordedAt as unknown;
  if (!(recordedAt instanceof Date) || !isPlainRecord(metadata)) return -1;
  writer.ascii('{');
  let comma = writer.field('data', event.data, false);
  comma = writer.field('eventId', event.eventId, comma);
  writer.key('metadata', comma);
  const prefixEnd = writer.length;
  writer.ascii('{');
  // Spans of the entries the chained metadata keeps, as [start, end) pairs.
  const spans = keptSpans;
  let kept = 0;
  let first = true;
  const keys = sortedKeys(metadata);
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i];
    const mark = writer.length;
    if (!first) writer.ascii(',');
    const start = writer.length;
    writer.key(name, false);
    if (!writer.value(metadata[name], name)) {
      writer.truncate(mark);
      continue;
    }
    first = false;
    if (name !== 'chain' && name !== 'recordedAt') {
      spans[kept++] = start;
      spans[kept++] = writer.length;
    }
  }
  writer.ascii('}');
  writer.field('position', event.position, true);
  const ms = recordedAt.getTime();
  if (ms !== lastRecorded.ms) lastRecorded = { ms, iso: recordedAt.toISOString() };
  writer.key('recordedAt', true);
  writer.string(lastRecorded.iso);
  const tailStart = writer.length;
  writeChainedTail(writer, event, true);
  writer.ascii('}');
  const storedEnd = writer.length;
  if (prev === undefined) return storedEnd;

  writer.copy(0, prefixEnd);
  writer.ascii('{');
  for (let k = 0; k < kept; k += 2) {
    if (k > 0) writer.ascii(',');
    writer.copy(spans[k], spans[k + 1]);
  }
  writer.ascii('}');
  writer.key('prev', true);
  writer.string(prev);
  writer.copy(tailStart, storedEnd);
  return storedEnd;
}

/** Scratch for writeBothDocuments: grows to the most metadata entries seen. */
const keptSpans: number[] = [];

/**
 * The EventFactsPage of a page of PostgreSQL's stored text (PostgresEventStore.readAllStoredText),
 * the same facts eventFactsPage gives for the events readAll would return, computed without
 * parsing: an event's canonical documents are written as bytes from its jsonb text
 * (verify-text-encoder.ts), and an event whose text that does not handle (a backslash anywhere, a
 * non-ASCII key, metadata not an object, an unusual chain) goes through eventFactsPage's own path,
 * parsed as readAll parses it.
 */
export function eventFactsPageFromText(page: StoredEventTextPage): EventFactsPage {
  const { count } = page;
  const facts: EventFactsPage = {
    count,
    positions: page.positions,
    streamIds: page.streamIds,
    streamVersions: page.streamVersions,
    eventIds: page.eventIds,
    prevs: new Array<string | null>(count),
    hashes: new Array<string | null>(count),
    linkHolds: new Uint8Array(count),
    digests: new Uint8Array(count * 32),
  };
  const digests = Buffer.from(facts.digests.buffer, facts.digests.byteOffset, facts.digests.byteLength);
  for (let i = 0; i < count; i++) {
    if (!textFactsInto(page, i, facts, digests)) parsedFacts(page, i, facts, digests);
  }
  return facts;
}

/** An event of the page as readAll returns it (PostgresEventStore's rowToRecordedEvent), for the general path. */
function parsedFacts(page: StoredEventTextPage, i: number, facts: EventFactsPage, digests: Buffer): void {
  const recordedMs = page.recordedMs[i];
  const metadata = JSON.parse(page.metadata[i]) as RecordedEvent['metadata'];
  metadata.recordedAt = new Date(recordedMs).toISOString();
  const event: RecordedEvent = {
    streamId: page.streamIds[i],
    streamVersion: page.streamVersions[i],
    position: page.positions[i],
    eventId: page.eventIds[i],
    type: page.types[i],
    schemaVersion: page.schemaVersions[i],
    data: JSON.parse(page.data[i]) as unknown,
    metadata,
    recordedAt: new Date(recordedMs),
  };
  const one = eventFactsPage([event]);
  facts.prevs[i] = one.prevs[0];
  facts.hashes[i] = one.hashes[0];
  facts.linkHolds[i] = one.linkHolds[0];
  digests.set(one.digests, i * 32);
}
