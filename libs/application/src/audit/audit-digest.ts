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
import { LINK_BYTES, textFactsInto } from './verify-text-encoder';

export { LINK_BYTES };

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
  /** 1: the event carries a well-formed link (chainLinkOf: prev and hash, 64 lowercase hex digits each). */
  linked: Uint8Array;
  /**
   * The link of each linked event as bytes, LINK_BYTES per event: chain.prev's 32, then
   * chain.hash's 32 (zeros where not linked). Hex digits that are lowercase by definition, so
   * equal bytes are equal links; bytes, not strings, so that a page is handed between threads
   * without building or joining text.
   */
  links: Uint8Array;
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
  /** Set by a reader thread (markRuns, markSeals): see EventFactsView. */
  inRun?: Uint8Array;
  sealMarks?: Uint8Array;
}

/**
 * An EventFactsPage as a reader thread hands it over (markRuns and markSeals done first): its
 * strings joined in one with their end offsets, everything else in typed arrays that are
 * transferred, not copied. Per event: position and event id always, the stream id only where the
 * verifier checks the event in full (not inRun: an event inside a run is of the run's stream).
 * The links travel as their bytes. Cloning a page's strings one by one cost about 1 µs per event
 * to write and more to read back. With the links as hex among the strings (five per event), on
 * bench:audit's log (streams interleaved), packing cost ~1.0 µs per event and the hand-over and
 * the verifier's reads ~0.6; with the links as bytes, 0.44 and 0.36.
 */
export interface PackedEventFacts {
  count: number;
  text: string;
  /** End offset in `text` of each string, three per event: position, event id, stream id (empty where not sent). */
  ends: Uint32Array;
  linked: Uint8Array;
  links: Uint8Array;
  streamVersions: Float64Array;
  linkHolds: Uint8Array;
  digests: Uint8Array;
  inRun: Uint8Array;
  sealMarks: Uint8Array;
  runningFrom?: string;
  runningAfter?: string;
}

/**
 * Marks the events that continue a run and link to it (inRun): same stream as the event before in
 * the page, the next version, linked, still hashing to its link, and its prev the previous event's
 * hash. If the event before passed the verifier's checks, such an event passes them too (streamLink
 * would answer undefined and make it the stream's head), so the verifier only advances the head.
 */
export function markRuns(page: EventFactsPage): void {
  const { count, streamIds, streamVersions, linked, links, linkHolds } = page;
  const inRun = new Uint8Array(count);
  for (let i = 1; i < count; i++) {
    if (
      linked[i] === 1 &&
      linkHolds[i] === 1 &&
      linked[i - 1] === 1 &&
      streamVersions[i] === streamVersions[i - 1] + 1 &&
      sameHash(links, i * LINK_BYTES, links, (i - 1) * LINK_BYTES + 32) &&
      streamIds[i] === streamIds[i - 1]
    ) {
      inRun[i] = 1;
    }
  }
  page.inRun = inRun;
}

/** The 32 bytes at a[aAt…] and b[bAt…] are the same. */
export function sameHash(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): boolean {
  for (let k = 0; k < 32; k++) if (a[aAt + k] !== b[bAt + k]) return false;
  return true;
}

/** Event i's chain.prev (which 0) or chain.hash (which 32) as hex, from a links column. */
export function linkHex(links: Uint8Array, i: number, which: 0 | 32): string {
  return Buffer.from(links.buffer, links.byteOffset + i * LINK_BYTES + which, 32).toString('hex');
}

/** Marks the events at a sealed position (sealMarks): where the verifier checks the seal's count. */
export function markSeals(page: EventFactsPage, sealPositions: ReadonlySet<string>): void {
  const marks = new Uint8Array(page.count);
  if (sealPositions.size > 0) for (let i = 0; i < page.count; i++) if (sealPositions.has(page.positions[i])) marks[i] = 1;
  page.sealMarks = marks;
}

export function packEventFacts(page: EventFactsPage): PackedEventFacts {
  const { count, positions, eventIds, streamIds } = page;
  const inRun = page.inRun ?? new Uint8Array(count);
  const parts: string[] = [];
  const ends = new Uint32Array(count * 3);
  let end = 0;
  for (let i = 0; i < count; i++) {
    const e = i * 3;
    const position = positions[i];
    const eventId = eventIds[i];
    parts.push(position, eventId);
    end += position.length;
    ends[e] = end;
    end += eventId.length;
    ends[e + 1] = end;
    if (inRun[i] === 0) {
      const streamId = streamIds[i];
      parts.push(streamId);
      end += streamId.length;
    }
    ends[e + 2] = end;
  }
  return {
    count,
    text: parts.join(''),
    ends,
    linked: page.linked,
    links: page.links,
    streamVersions: Float64Array.from(page.streamVersions),
    linkHolds: page.linkHolds,
    digests: page.digests,
    inRun,
    sealMarks: page.sealMarks ?? new Uint8Array(count),
    ...(page.runningFrom !== undefined ? { runningFrom: page.runningFrom, runningAfter: page.runningAfter } : {}),
  };
}

/** The transferable buffers of a packed page (postMessage's transfer list). */
export function packedTransferList(packed: PackedEventFacts): ArrayBuffer[] {
  return [packed.ends.buffer, packed.linked.buffer, packed.links.buffer, packed.streamVersions.buffer, packed.linkHolds.buffer, packed.digests.buffer, packed.inRun.buffer, packed.sealMarks.buffer] as ArrayBuffer[];
}

/**
 * What the verifier reads of a page, whether computed in its own thread (factsView) or handed over
 * packed (unpackEventFacts): the columns, and the strings by accessor, so that a packed page's
 * strings are cut from its text only where they are read.
 */
export interface EventFactsView {
  count: number;
  streamVersions: ArrayLike<number>;
  linked: Uint8Array;
  links: Uint8Array;
  linkHolds: Uint8Array;
  digests: Uint8Array;
  /** Set: 1 where the event continues a run and links to it (markRuns); unset: every event is checked in full. */
  inRun?: Uint8Array;
  /** Set: 1 where the event is at a sealed position (markSeals); unset: the verifier looks each position up. */
  sealMarks?: Uint8Array;
  runningFrom?: string;
  runningAfter?: string;
  position(i: number): string;
  eventId(i: number): string;
  streamId(i: number): string;
}

class PageView implements EventFactsView {
  readonly count: number;
  readonly streamVersions: ArrayLike<number>;
  readonly linked: Uint8Array;
  readonly links: Uint8Array;
  readonly linkHolds: Uint8Array;
  readonly digests: Uint8Array;
  readonly inRun?: Uint8Array;
  readonly sealMarks?: Uint8Array;
  readonly runningFrom?: string;
  readonly runningAfter?: string;
  constructor(private readonly page: EventFactsPage) {
    this.count = page.count;
    this.streamVersions = page.streamVersions;
    this.linked = page.linked;
    this.links = page.links;
    this.linkHolds = page.linkHolds;
    this.digests = page.digests;
    if (page.inRun !== undefined) this.inRun = page.inRun;
    if (page.sealMarks !== undefined) this.sealMarks = page.sealMarks;
    if (page.runningFrom !== undefined) {
      this.runningFrom = page.runningFrom;
      this.runningAfter = page.runningAfter;
    }
  }
  position(i: number): string {
    return this.page.positions[i];
  }
  eventId(i: number): string {
    return this.page.eventIds[i];
  }
  streamId(i: number): string {
    return this.page.streamIds[i];
  }
}

/** A page computed in this thread, as the verifier reads it. */
export function factsView(page: EventFactsPage): EventFactsView {
  return new PageView(page);
}

class PackedView implements EventFactsView {
  readonly count: number;
  readonly streamVersions: Float64Array;
  readonly linked: Uint8Array;
  readonly links: Uint8Array;
  readonly linkHolds: Uint8Array;
  readonly digests: Uint8Array;
  readonly inRun: Uint8Array;
  readonly sealMarks: Uint8Array;
  readonly runningFrom?: string;
  readonly runningAfter?: string;
  private readonly text: string;
  private readonly ends: Uint32Array;
  constructor(packed: PackedEventFacts) {
    this.count = packed.count;
    this.text = packed.text;
    this.ends = packed.ends;
    this.linked = packed.linked;
    this.links = packed.links;
    this.streamVersions = packed.streamVersions;
    this.linkHolds = packed.linkHolds;
    this.digests = packed.digests;
    this.inRun = packed.inRun;
    this.sealMarks = packed.sealMarks;
    if (packed.runningFrom !== undefined) {
      this.runningFrom = packed.runningFrom;
      this.runningAfter = packed.runningAfter;
    }
  }
  /** String k (0-2) of event i. */
  private part(i: number, k: number): string {
    const e = i * 3 + k;
    return this.text.slice(e === 0 ? 0 : this.ends[e - 1], this.ends[e]);
  }
  position(i: number): string {
    return this.part(i, 0);
  }
  eventId(i: number): string {
    return this.part(i, 1);
  }
  streamId(i: number): string {
    let j = i;
    while (j > 0 && this.inRun[j] === 1) j--;
    return this.part(j, 2);
  }
}

export function unpackEventFacts(packed: PackedEventFacts): EventFactsView {
  return new PackedView(packed);
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
    linked: new Uint8Array(count),
    links: new Uint8Array(count * LINK_BYTES),
    linkHolds: new Uint8Array(count),
    digests: new Uint8Array(count * 32),
  };
  const digests = Buffer.from(page.digests.buffer, page.digests.byteOffset, page.digests.byteLength);
  const links = Buffer.from(page.links.buffer, page.links.byteOffset, page.links.byteLength);
  const writer = sharedWriter();
  try {
    for (let i = 0; i < count; i++) {
      const event = events[i];
      const link = chainLinkOf(event.metadata);
      page.positions[i] = event.position;
      page.streamIds[i] = event.streamId;
      page.streamVersions[i] = event.streamVersion;
      page.eventIds[i] = event.eventId;
      if (link) {
        page.linked[i] = 1;
        links.write(link.prev, i * LINK_BYTES, 32, 'hex');
        links.write(link.hash, i * LINK_BYTES + 32, 32, 'hex');
      }
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
    linked: new Uint8Array(count),
    links: new Uint8Array(count * LINK_BYTES),
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
  facts.linked[i] = one.linked[0];
  facts.links.set(one.links, i * LINK_BYTES);
  facts.linkHolds[i] = one.linkHolds[0];
  digests.set(one.digests, i * 32);
}
