import { createHash } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import { canonicalJson, GENESIS_HASH } from '@app/event-store/hash-chain';

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

/** sha256 (hex) of the canonical JSON of the stored record. scripts/verify-bundle.js repeats it. */
export function eventDigest(event: RecordedEvent | StoredEventRecord): string {
  const record = event.recordedAt instanceof Date ? storedEventRecord(event as RecordedEvent) : event;
  return createHash('sha256').update(canonicalJson(record), 'utf8').digest('hex');
}

/** h_n = sha256(h_{n-1} || digest_n), over the 32-byte values. scripts/verify-bundle.js repeats it. */
export function nextGlobalHash(previous: string, digest: string): string {
  return createHash('sha256').update(Buffer.from(previous, 'hex')).update(Buffer.from(digest, 'hex')).digest('hex');
}
