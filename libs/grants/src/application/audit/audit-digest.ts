import { createHash } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import { canonicalJson, type CanonicalJsonText, GENESIS_HASH } from '@app/event-store/hash-chain';

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
  return createHash('sha256').update(canonicalJson(record), 'utf8').digest();
}

/** h_n = sha256(h_{n-1} || digest_n), over the 32-byte values. scripts/verify-bundle.js repeats it. */
export function nextGlobalHash(previous: string, digest: string): string {
  return nextGlobalHashBytes(Buffer.from(previous, 'hex'), Buffer.from(digest, 'hex')).toString('hex');
}

/** nextGlobalHash over the 32-byte values, without hex round trips (the verifier folds a whole log). */
export function nextGlobalHashBytes(previous: Buffer, digest: Buffer): Buffer {
  return createHash('sha256').update(previous).update(digest).digest();
}
