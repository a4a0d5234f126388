import { createHash } from 'node:crypto';
import type { EventMetadata } from '../event-store.port';
import { canonicalJson, CanonicalJsonText } from './canonical-json';

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
 * `data`, when given, is `canonicalJson(event.data)` already computed (the verifier shares it with
 * the global digest); the hash is the same either way.
 */
export function chainHashOf(event: ChainedContent, prev: string, data?: CanonicalJsonText): string {
  const { chain: _chain, recordedAt: _recordedAt, ...metadata } = event.metadata;
  const content = {
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: data ?? event.data,
    metadata,
    prev,
  };
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
}

const HEX_64 = /^[0-9a-f]{64}$/;

/** The event's chain link, or undefined if it has none (or a malformed one). */
export function chainLinkOf(metadata: EventMetadata): ChainLink | undefined {
  const chain = metadata.chain as Partial<ChainLink> | undefined;
  if (!chain || typeof chain.prev !== 'string' || typeof chain.hash !== 'string') return undefined;
  if (!HEX_64.test(chain.prev) || !HEX_64.test(chain.hash)) return undefined;
  return { prev: chain.prev, hash: chain.hash };
}
