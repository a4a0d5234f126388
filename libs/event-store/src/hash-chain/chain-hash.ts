import { hash } from 'node:crypto';
import type { EventMetadata } from '../event-store.port';
import { CanonicalJsonText, type CanonicalJsonWriter, sharedWriter, sortedKeys } from './canonical-json';

/** `prev` of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** What every chained event carries in `metadata.chain`. */
export interface ChainLink {
  /** chain.hash of the previous event of the same stream, GENESIS_HASH for version 0. */
  prev: string;
  /** sha256 (hex) of the canonical JSON of the event's chained content and `prev`. */
  hash: string;
}

/** The fields the stream chain covers: everything the writer decides. */
export interface ChainedContent {
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
}

/**
 * The chain hash of an event. metadata.chain (the link itself) and metadata.recordedAt (set by the
 * server after the hash is taken) are left out; the global seals cover recordedAt.
 *
 * `data`, when given, is `canonicalJson(event.data)` already computed; the hash is the same either way.
 *
 * Written straight into canonical bytes (writeChainedContent) and hashed once, without building the
 * content object or its text: the document's keys are fixed and known, so their order is too.
 */
export function chainHashOf(event: ChainedContent, prev: string, data?: CanonicalJsonText): string {
  const writer = sharedWriter();
  try {
    writeChainedContent(writer, event, prev, data);
    return hash('sha256', writer.bytes(), 'hex');
  } finally {
    writer.release();
  }
}

/**
 * Appends to `writer` the canonical JSON of what chainHashOf hashes: { data, eventId, metadata
 * without chain and recordedAt, prev, schemaVersion, streamId, streamVersion, type }, in that (the
 * sorted) order, byte for byte `canonicalJson` of that object.
 */
export function writeChainedContent(writer: CanonicalJsonWriter, event: ChainedContent, prev: string, data?: CanonicalJsonText): void {
  const metadata = event.metadata as unknown;
  if (!isPlainRecord(metadata)) {
    // Anything unusual (no object, a toJSON of its own): the content object, as first written.
    const { chain: _chain, recordedAt: _recordedAt, ...rest } = event.metadata;
    writer.value({ ...chainedFields(event, prev, data), metadata: rest });
    return;
  }
  writer.ascii('{');
  let comma = writer.field('data', data ?? event.data, false);
  comma = writer.field('eventId', event.eventId, comma);
  writer.key('metadata', comma);
  writer.ascii('{');
  let first = true;
  const keys = sortedKeys(metadata);
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i];
    if (name === 'chain' || name === 'recordedAt') continue;
    if (writer.field(name, metadata[name], !first)) first = false;
  }
  writer.ascii('}');
  writer.key('prev', true);
  writer.value(prev, 'prev');
  writeChainedTail(writer, event, true);
  writer.ascii('}');
}

/** The fields after `prev` (and after the stored record's recordedAt): schemaVersion, streamId, streamVersion, type. */
export function writeChainedTail(writer: CanonicalJsonWriter, event: Pick<ChainedContent, 'schemaVersion' | 'streamId' | 'streamVersion' | 'type'>, comma: boolean): void {
  let more = writer.field('schemaVersion', event.schemaVersion, comma);
  more = writer.field('streamId', event.streamId, more);
  more = writer.field('streamVersion', event.streamVersion, more);
  writer.field('type', event.type, more);
}

/**
 * A metadata object whose canonical form is its own entries: no toJSON (own or inherited), not an
 * array. Its entries can then be written one by one, some left out, as a copy without them would be.
 */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof CanonicalJsonText) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

function chainedFields(event: ChainedContent, prev: string, data: CanonicalJsonText | undefined) {
  return {
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: data ?? event.data,
    prev,
  };
}

/** The event's chain link, or undefined if it has none (or a malformed one). */
export function chainLinkOf(metadata: EventMetadata): ChainLink | undefined {
  const chain = metadata.chain as Partial<ChainLink> | undefined;
  if (!chain || typeof chain.prev !== 'string' || typeof chain.hash !== 'string') return undefined;
  if (!isHex64(chain.prev) || !isHex64(chain.hash)) return undefined;
  return { prev: chain.prev, hash: chain.hash };
}

/** /^[0-9a-f]{64}$/, without a regular expression (this runs twice per event a verifier checks). */
export function isHex64(text: string): boolean {
  if (text.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}
