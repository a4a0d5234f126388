import { hash } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import { canonicalJson, CanonicalJsonText, chainHashOf, chainLinkOf, GENESIS_HASH } from '@app/event-store/hash-chain';

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
  return eventDigestBytes(event, data).toString('hex');
}

/** eventDigest as its 32 bytes. */
export function eventDigestBytes(event: RecordedEvent | StoredEventRecord, data?: CanonicalJsonText): Buffer {
  const record = event.recordedAt instanceof Date ? storedEventRecord(event as RecordedEvent) : { ...event };
  if (data) record.data = data;
  return hash('sha256', canonicalJson(record), 'buffer' as 'hex') as unknown as Buffer;
}

/** h_n = sha256(h_{n-1} || digest_n), over the 32-byte values. scripts/verify-bundle.js repeats it. */
export function nextGlobalHash(previous: string, digest: string): string {
  return nextGlobalHashBytes(Buffer.from(previous, 'hex'), Buffer.from(digest, 'hex')).toString('hex');
}

/** The 64 bytes hashed by nextGlobalHashBytes; the fold runs on one thread, so one buffer serves. */
const pair = Buffer.alloc(64);

/**
 * nextGlobalHash over the 32-byte values, without hex round trips (the verifier folds a whole log):
 * one-shot hashing of the 64 bytes, a third of the cost of a Hash object for input this small.
 */
export function nextGlobalHashBytes(previous: Uint8Array, digest: Uint8Array): Buffer {
  pair.set(previous, 0);
  pair.set(digest, 32);
  return hash('sha256', pair, 'buffer' as 'hex') as unknown as Buffer;
}

/**
 * What the verifier needs of one event besides its place in the log, computed apart from the
 * ordered checks (in a worker thread or not): its ids and version, its chain link, whether it
 * still hashes to that link, and its global digest. The event's data is serialised once for both
 * hashes. Kept in columns (a page at a time) so that a worker thread hands a page over cheaply.
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
  for (let i = 0; i < count; i++) {
    const event = events[i];
    const link = chainLinkOf(event.metadata);
    page.positions[i] = event.position;
    page.streamIds[i] = event.streamId;
    page.streamVersions[i] = event.streamVersion;
    page.eventIds[i] = event.eventId;
    page.prevs[i] = link ? link.prev : null;
    page.hashes[i] = link ? link.hash : null;
    const texts = plainJsonTexts(event, link?.prev);
    if (texts) {
      page.linkHolds[i] = link !== undefined && hash('sha256', texts.chained, 'hex') === link.hash ? 1 : 0;
      page.digests.set(hash('sha256', texts.stored, 'buffer' as 'hex') as unknown as Buffer, i * 32);
    } else {
      const data = sharedData(event);
      page.linkHolds[i] = link !== undefined && chainHashOf(event, link.prev, data) === link.hash ? 1 : 0;
      page.digests.set(eventDigestBytes(event, data), i * 32);
    }
  }
  return page;
}

/**
 * For an event whose data and metadata are plain JSON (what a store reads back), the two canonical
 * documents the verifier hashes, built from shared parts: the data and each metadata entry are
 * serialised once, where chainHashOf and eventDigestBytes would serialise the metadata twice and
 * copy it on the way. `chained` is what chainHashOf hashes (with `prev`; metadata without chain
 * and recordedAt), `stored` what eventDigest hashes (storedEventRecord). Equal byte for byte to
 * those (audit-digest.spec.ts); undefined where a value is not plain JSON (the general path then).
 */
function plainJsonTexts(event: RecordedEvent, prev: string | undefined): { chained: string; stored: string } | undefined {
  const data = event.data;
  if (data === undefined || !(event.recordedAt instanceof Date)) return undefined;
  // The scalar fields as a store returns them (the general path handles anything else).
  if (typeof event.eventId !== 'string' || typeof event.streamId !== 'string' || typeof event.type !== 'string' || typeof event.position !== 'string') return undefined;
  if (typeof event.schemaVersion !== 'number' || typeof event.streamVersion !== 'number') return undefined;
  if (data !== null && typeof data === 'object' && typeof (data as { toJSON?: unknown }).toJSON === 'function') return undefined;
  const metadata = event.metadata as Record<string, unknown>;
  const keys = Object.keys(metadata).sort();
  let all = '';
  let chainless = '';
  for (const key of keys) {
    const value = metadata[key];
    // undefined, functions, symbols and toJSON are the general path's to handle.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
    if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
    const entry = `${JSON.stringify(key)}:${canonicalJson(value)}`;
    all += all === '' ? entry : `,${entry}`;
    if (key !== 'chain' && key !== 'recordedAt') chainless += chainless === '' ? entry : `,${entry}`;
  }
  const dataText = canonicalJson(data);
  const eventId = JSON.stringify(event.eventId);
  const tail = `,"schemaVersion":${canonicalJson(event.schemaVersion)},"streamId":${JSON.stringify(event.streamId)},"streamVersion":${canonicalJson(event.streamVersion)},"type":${JSON.stringify(event.type)}}`;
  return {
    chained: prev === undefined ? '' : `{"data":${dataText},"eventId":${eventId},"metadata":{${chainless}},"prev":${JSON.stringify(prev)}${tail}`,
    stored: `{"data":${dataText},"eventId":${eventId},"metadata":{${all}},"position":${JSON.stringify(event.position)},"recordedAt":${JSON.stringify(event.recordedAt.toISOString())}${tail}`,
  };
}

/** The event's data in canonical JSON, computed once for both hashes (plain stored JSON only). */
function sharedData(event: RecordedEvent): CanonicalJsonText | undefined {
  const data = event.data as { toJSON?: unknown } | null | undefined;
  if (data === undefined || (data !== null && typeof data === 'object' && typeof data.toJSON === 'function')) return undefined;
  return new CanonicalJsonText(canonicalJson(data));
}
