/**
 * Translation between the port's shapes and EventStoreDB's: metadata, positions, filters.
 * Pure functions, so the adapter reads as "call the client, translate".
 */
import type { Position } from '@eventstore/db-client';
import type { AllFilter, EventMetadata, NewEvent, RecordedEvent } from '../event-store.port';

/** The keys the adapter adds to an event's stored metadata; a caller may not set them itself. */
const CORRELATION_KEY = '$correlationId'; // read by ESDB's $by_correlation_id projection
const CAUSATION_KEY = '$causationId';
const SCHEMA_VERSION_KEY = 'schemaVersion';
const RESERVED_KEYS = [CORRELATION_KEY, CAUSATION_KEY, SCHEMA_VERSION_KEY];

/** What ESDB stores as an event's custom metadata (JSON). */
export type StoredMetadata = Omit<EventMetadata, 'recordedAt'> & {
  [CORRELATION_KEY]: string;
  [CAUSATION_KEY]: string;
  [SCHEMA_VERSION_KEY]: number;
};

export function toStoredMetadata(event: NewEvent): StoredMetadata {
  const { recordedAt: _ignoredRecordedAt, ...metadata } = event.metadata;
  for (const key of RESERVED_KEYS) {
    if (key in metadata) throw new TypeError(`Event metadata key "${key}" is reserved by the EventStoreDB adapter`);
  }
  return {
    ...metadata,
    [CORRELATION_KEY]: metadata.correlationId,
    [CAUSATION_KEY]: metadata.causationId,
    [SCHEMA_VERSION_KEY]: event.schemaVersion,
  };
}

/** The fields of a recorded ESDB event the port needs (shared by stream and $all reads). */
export interface EsdbRecord {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  data: unknown;
  metadata: unknown;
  created: Date;
  position?: Position;
}

export function toRecordedEvent(record: EsdbRecord): RecordedEvent {
  const stored = isPlainObject(record.metadata) ? record.metadata : {};
  const {
    [CORRELATION_KEY]: esdbCorrelationId,
    [CAUSATION_KEY]: esdbCausationId,
    [SCHEMA_VERSION_KEY]: schemaVersion,
    ...metadata
  } = stored as Partial<StoredMetadata> & Record<string, unknown>;
  const recordedAt = record.created.toISOString();
  return {
    streamId: record.streamId,
    streamVersion: Number(record.revision),
    position: encodePosition(record.position ?? { commit: 0n, prepare: 0n }),
    eventId: record.id,
    type: record.type,
    // Events written by other tools may lack our metadata: fall back to ESDB's own keys and version 1.
    schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : 1,
    data: record.data,
    metadata: {
      actorId: '',
      actorRole: '',
      correlationId: typeof esdbCorrelationId === 'string' ? esdbCorrelationId : '',
      causationId: typeof esdbCausationId === 'string' ? esdbCausationId : '',
      ...metadata,
      eventId: record.id,
      recordedAt,
    } as EventMetadata & { recordedAt: string },
    recordedAt: record.created,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

// ESDB positions are two unsigned 64-bit integers: at most 20 decimal digits each. Zero-padding
// makes the opaque string sort like the position itself, as the Postgres adapter's do.
const POSITION_DIGITS = 20;
const POSITION_PATTERN = /^(\d{20})\/(\d{20})$/;

export function encodePosition(position: Position): string {
  return `${position.commit.toString().padStart(POSITION_DIGITS, '0')}/${position.prepare.toString().padStart(POSITION_DIGITS, '0')}`;
}

export function decodePosition(position: string): Position {
  const match = POSITION_PATTERN.exec(position);
  if (!match) throw new RangeError(`Not a position of this event store: ${position}`);
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}

/**
 * ESDB filters $all on the server by ONE criterion: stream name or event type, by prefixes or a
 * regex. The most selective one the port's filter allows goes to the server; `matchesFilter`
 * checks everything again on the client (both port criteria, and no system events at all).
 */
export type ServerFilter = { on: 'streamName'; prefixes: string[] } | { on: 'eventType'; regex: string };

export function serverFilter(filter: AllFilter | undefined): ServerFilter {
  if (filter?.streamPrefixes?.length) return { on: 'streamName', prefixes: [...filter.streamPrefixes] };
  if (filter?.eventTypes?.length) return { on: 'eventType', regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` };
  // System events ($-prefixed types: $metadata, $>, $statsCollected, …).
  return { on: 'eventType', regex: '^[^$]' };
}

export function matchesFilter(event: { streamId: string; type: string }, filter: AllFilter | undefined): boolean {
  if (event.streamId.startsWith('$') || event.type.startsWith('$')) return false;
  if (filter?.streamPrefixes?.length && !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) return false;
  if (filter?.eventTypes?.length && !filter.eventTypes.includes(event.type)) return false;
  return true;
}

/** Escapes the characters special in both JavaScript and .NET regular expressions (the server is .NET). */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
