import {
  type AllFilter,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type EventSubscription,
  type ExpectedVersion,
  type HeldBackEvents,
  type NewEvent,
  NO_STREAM_VERSION,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  WrongExpectedVersionError,
} from '../event-store.port';
import { chainHashOf, chainLinkOf, GENESIS_HASH, type ChainLink } from './chain-hash';

/**
 * Per-stream hash chain, as a decorator over any adapter of the port (Postgres, EventStoreDB).
 *
 * On append every event gets `metadata.chain = { prev, hash }`: `prev` is the chain hash of the
 * stream's previous event (GENESIS_HASH for version 0) and `hash` is sha256 over the canonical JSON
 * of { streamId, streamVersion, eventId, type, schemaVersion, data, metadata without chain and
 * recordedAt, prev } (chain-hash.ts). Data is hashed as stored: personal fields are already AES-GCM
 * envelopes, so erasing a subject's key (crypto-shredding) changes nothing that is hashed.
 *
 * What the chain proves and what it does not:
 * - Altering a chained field, deleting an event in the middle of a stream, or reordering a stream
 *   breaks it. recordedAt is set by the server after the hash is taken, and the global position is
 *   unknown until commit, so neither is covered: the global seals (grants/application/audit) cover
 *   them, and also catch what the chain alone cannot — the last events of a stream deleted, or a
 *   forged event appended by someone who knows this algorithm (it has no secret).
 *
 * The chain needs the version and hash of the previous event before the append:
 * - exact expected version N: the event at version N is read (backwards from N, one event). If it is
 *   not there the append cannot succeed, so WrongExpectedVersionError is thrown without trying; if
 *   another writer appends meanwhile, the adapter's own expected-version check refuses ours, so a
 *   link can never point at the wrong predecessor.
 * - 'any' / 'stream_exists': converted to the exact version of the stream's head, read just before;
 *   on a conflict (someone appended in between) the head is read again, up to MAX_ATTEMPTS times.
 *   A retry of an append that already committed is recognised when the head is our last event.
 * - The read is skipped when this process already knows the predecessor: the last event of a stream
 *   it just read (command handlers fold the whole stream first) or appended. Events never change, so a
 *   remembered (version, hash) is either still right or the append's version check refuses it.
 * - A predecessor without a link (written before chaining was enabled, or past this decorator) is
 *   linked to by its recomputed hash with prev = GENESIS_HASH; the verifier reports it as 'unchained'.
 */
export class HashChainingEventStore implements EventStore {
  static readonly MAX_ATTEMPTS = 5;
  /** Streams whose last known link we remember (least recently used dropped first). */
  static readonly REMEMBERED_STREAMS = 10_000;

  private readonly heads = new Map<string, Link>();

  /** `inner`: the adapter this decorates; its reads are this store's (readers of stored events, such as the audit verifier, may use the adapter's own). */
  constructor(readonly inner: EventStore) {}

  get refusesDuplicateEventIds(): boolean | undefined {
    return this.inner.refusesDuplicateEventIds;
  }

  get remembersAnswers(): boolean | undefined {
    return this.inner.remembersAnswers;
  }

  /** Conditions on other streams (AppendOptions) pass through to the adapter unchanged. */
  async append(streamId: string, events: NewEvent[], expected: ExpectedVersion, options?: AppendOptions): Promise<AppendResult> {
    if (events.length === 0) return this.inner.append(streamId, events, expected, options);
    if (expected !== 'any' && expected !== 'stream_exists') return this.appendAtExactVersion(streamId, events, expected, options);

    const lastEventId = events[events.length - 1].metadata.eventId;
    for (let attempt = 1; ; attempt++) {
      const head = await this.head(streamId);
      if (!head && expected === 'stream_exists') throw new WrongExpectedVersionError(streamId, expected, NO_STREAM_VERSION);
      if (head && head.eventId === lastEventId) return { nextExpectedVersion: head.streamVersion, position: head.position, alreadyStored: true };
      try {
        return await this.appendChained(streamId, events, head ? linkOf(head) : undefined, head ? head.streamVersion : 'no_stream', options);
      } catch (error) {
        // A condition on another stream that failed is the caller's to handle, not a race on this head.
        if (!(error instanceof WrongExpectedVersionError) || error.streamId !== streamId) throw error;
        if (attempt >= HashChainingEventStore.MAX_ATTEMPTS) throw new WrongExpectedVersionError(streamId, expected, error.actual);
      }
    }
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const events = await this.inner.readStream(streamId, options);
    // Without the metadata (a replay's read) there is no link to remember.
    if (options?.metadata === 'actor') return events;
    const newest = events.reduce<RecordedEvent | undefined>((latest, event) => (!latest || event.streamVersion > latest.streamVersion ? event : latest), undefined);
    const known = this.heads.get(streamId);
    if (newest && (!known || newest.streamVersion >= known.version)) this.remember(streamId, linkOf(newest));
    return events;
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  subscribe(options?: SubscribeOptions): EventSubscription {
    return this.inner.subscribe(options);
  }

  async heldBack(filter?: AllFilter): Promise<HeldBackEvents> {
    return this.inner.heldBack ? this.inner.heldBack(filter) : { events: 0, oldestRecordedAt: null };
  }

  async isBeyondHead(position: string): Promise<boolean> {
    return this.inner.isBeyondHead ? this.inner.isBeyondHead(position) : false;
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async appendAtExactVersion(streamId: string, events: NewEvent[], expected: number | 'no_stream', options?: AppendOptions): Promise<AppendResult> {
    const exact = expected === 'no_stream' ? NO_STREAM_VERSION : expected;
    // Invalid numbers are the adapter's to refuse, with its own error.
    if (!Number.isSafeInteger(exact) || exact < NO_STREAM_VERSION) return this.inner.append(streamId, events, expected, options);
    let previous: Link | undefined;
    if (exact >= 0) {
      const known = this.heads.get(streamId);
      if (known?.version === exact) previous = known;
      else {
        const [event] = await this.inner.readStream(streamId, { direction: 'backwards', fromVersion: exact, maxCount: 1 });
        if (event?.streamVersion !== exact) {
          throw new WrongExpectedVersionError(streamId, expected, event?.streamVersion ?? NO_STREAM_VERSION);
        }
        previous = linkOf(event);
      }
    }
    return this.appendChained(streamId, events, previous, expected, options);
  }

  private async appendChained(
    streamId: string,
    events: NewEvent[],
    previous: Link | undefined,
    expected: ExpectedVersion,
    options?: AppendOptions,
  ): Promise<AppendResult> {
    const chained = chain(streamId, events, previous);
    const result = await this.inner.append(streamId, chained, expected, options);
    if (result.alreadyStored) {
      // The stream holds an earlier append of these ids, perhaps with other content (hashes): its
      // head is not ours to remember. The next append reads it.
      this.heads.delete(streamId);
      return result;
    }
    const last = chained[chained.length - 1];
    this.remember(streamId, { version: result.nextExpectedVersion, hash: (last.metadata.chain as ChainLink).hash });
    return result;
  }

  private remember(streamId: string, link: Link): void {
    this.heads.delete(streamId);
    this.heads.set(streamId, link);
    if (this.heads.size > HashChainingEventStore.REMEMBERED_STREAMS) {
      const oldest = this.heads.keys().next().value;
      if (oldest !== undefined) this.heads.delete(oldest);
    }
  }

  private async head(streamId: string): Promise<RecordedEvent | undefined> {
    const [head] = await this.inner.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    return head;
  }
}

/** The chain hash an event's successor links to (see the class comment for unchained events). */
export function linkTargetOf(event: RecordedEvent): string {
  return chainLinkOf(event.metadata)?.hash ?? chainHashOf(event, GENESIS_HASH);
}

/** A stream event's version and the hash its successor links to. */
interface Link {
  version: number;
  hash: string;
}

function linkOf(event: RecordedEvent): Link {
  return { version: event.streamVersion, hash: linkTargetOf(event) };
}

/** The events with their links, following `previous` (undefined: a new stream). */
function chain(streamId: string, events: NewEvent[], previous: Link | undefined): NewEvent[] {
  let prev = previous ? previous.hash : GENESIS_HASH;
  let streamVersion = previous ? previous.version + 1 : 0;
  return events.map((event) => {
    const { chain: _chain, recordedAt: _recordedAt, ...metadata } = event.metadata;
    const hash = chainHashOf(
      { streamId, streamVersion, eventId: metadata.eventId, type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata },
      prev,
    );
    const link: ChainLink = { prev, hash };
    prev = hash;
    streamVersion += 1;
    return { ...event, metadata: { ...metadata, chain: link } };
  });
}
