/**
 * What an upcaster may know about the stored event besides its data: facts the log already holds
 * for every event (the stream, the event id, who acted, when the server recorded it). Plain data,
 * so the domain stays free of the event-store port.
 */
export interface StoredEventFacts {
  streamId: string;
  eventId: string;
  /** metadata.actorId: who sent the command that appended the event. */
  actorId: string;
  /** ISO 8601, the server's time of the append. */
  recordedAt: string;
}

/**
 * Turns the data of an event stored at schema version `fromVersion` into its shape at
 * `fromVersion + 1`. Pure and total, like a decider: the same stored event always gives the same
 * data, so replays, projections and as-of reads agree. The codec applies upcasters on read, one
 * version at a time until the current one; the stored event is never rewritten (its hash chain
 * covers the bytes as stored).
 */
export interface EventUpcaster {
  readonly type: string;
  readonly fromVersion: number;
  upcast(data: unknown, stored: StoredEventFacts): unknown;
}

/** A typed upcaster: `from` is the data as stored at `fromVersion`, the result the next version's. */
export function upcaster<From, To>(type: string, fromVersion: number, upcast: (data: From, stored: StoredEventFacts) => To): EventUpcaster {
  return { type, fromVersion, upcast: (data, stored) => upcast(data as From, stored) };
}
