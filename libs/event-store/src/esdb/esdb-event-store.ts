import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  eventTypeFilter,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type CurrentRevision,
  type EventData,
  type Position,
} from '@eventstore/db-client';
import {
  AppendOptions,
  AppendResult,
  EventStore,
  EventSubscription,
  ExpectedVersion,
  NewEvent,
  NO_STREAM_VERSION,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamCondition,
  SubscribeOptions,
  WrongExpectedVersionError,
} from '../event-store.port';
import {
  decodePosition,
  EsdbRecord,
  encodePosition,
  matchesFilter,
  serverFilter,
  toRecordedEvent,
  toStoredMetadata,
} from './esdb-codec';
import { readAllFiltered } from './filtered-read-all';

const DEFAULT_READ_ALL_MAX_COUNT = 1000;
/** A subscription stops pulling from the server while this many events wait for the consumer. */
const SUBSCRIPTION_HIGH_WATER = 256;
/** The position reported for a stream that has no event yet (only by an empty append). */
const NO_POSITION: Position = { commit: 0n, prepare: 0n };
/** Read by ping(): any stream name does, reading one that does not exist is the cheapest call. */
const PING_STREAM = 'grant-ledger-ping';

/**
 * The event-store port over EventStoreDB / KurrentDB (gRPC client v6). Stream names, versions and
 * expected-version semantics are ESDB's own (the port follows them). What the adapter adds:
 * metadata as JSON with `$correlationId`/`$causationId` (for ESDB's by-correlation projection) and
 * the schema version; positions as opaque strings; system events kept out of `readAll`/`subscribe`.
 */
export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<EsdbSubscription>();

  /** @param connectionString e.g. `esdb://localhost:2113?tls=false` */
  constructor(connectionString: string) {
    this.client = EventStoreDBClient.connectionString(connectionString);
  }

  /**
   * With `conditions`, each named stream's head is read just before the append (EventStoreDB has no
   * transaction across streams): an append to a named stream that commits during that round trip
   * is not seen. See the README (a submission and a call's closing) for what that leaves open.
   */
  async append(streamId: string, events: NewEvent[], expected: ExpectedVersion, options: AppendOptions = {}): Promise<AppendResult> {
    const expectedRevision = toExpectedRevision(expected);
    if (options.conditions?.length) {
      const moved = await this.movedCondition(streamId, options.conditions);
      if (moved) {
        // A retry of an append that committed while the condition held is answered as the first time.
        const earlier = events.length > 0 ? await this.earlierAppend(streamId, events, expected) : undefined;
        if (earlier) return earlier;
        throw moved;
      }
    }
    if (events.length === 0) return this.checkExpectedVersion(streamId, expected);
    const proposed = events.map((event) => ({
      id: event.metadata.eventId,
      contentType: 'application/json',
      type: event.type,
      data: event.data,
      metadata: toStoredMetadata(event),
    })) as EventData[];

    let result;
    try {
      result = await this.client.appendToStream(streamId, proposed, { expectedRevision });
    } catch (error) {
      if (error instanceof EsdbWrongExpectedVersionError) {
        throw new WrongExpectedVersionError(streamId, expected, toVersion(error.actualVersion));
      }
      throw error;
    }
    // A retried (idempotent) append may come back without a position: look the event up.
    const position = result.position ?? (await this.positionOf(streamId, result.nextExpectedRevision));
    return { nextExpectedVersion: Number(result.nextExpectedRevision), position: encodePosition(position) };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    if (options.fromVersion !== undefined) checkNonNegative('fromVersion', options.fromVersion);
    if (options.maxCount !== undefined) checkMaxCount(options.maxCount);
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromVersion === undefined ? (backwards ? END : START) : BigInt(options.fromVersion),
        maxCount: options.maxCount,
      });
      for await (const resolved of read) {
        if (resolved.event) events.push(toRecordedEvent(resolved.event as EsdbRecord));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = checkMaxCount(options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT);
    const filter = serverFilter(options.filter);
    const events: RecordedEvent[] = [];
    let from: Position | 'start' = options.after === undefined ? 'start' : decodePosition(options.after);
    // A forwards read of $all from a position includes the event at it; `after` is exclusive.
    let skipFirstAt: string | undefined = options.after;
    // The server applies one criterion; events the client-side check drops leave the page short,
    // so read on from the last position seen until the page is full or the log ends.
    while (events.length < limit) {
      const wanted = limit - events.length + (skipFirstAt === undefined ? 0 : 1);
      const page = await readAllFiltered(this.client, from, wanted, filter);
      let lastPosition: Position | undefined;
      for (const resolved of page) {
        const record = resolved.event;
        if (!record?.position) continue;
        lastPosition = record.position;
        if (encodePosition(record.position) === skipFirstAt) continue;
        if (!matchesFilter(record, options.filter)) continue;
        events.push(toRecordedEvent(record as EsdbRecord));
      }
      if (page.length < wanted || lastPosition === undefined) break;
      from = lastPosition;
      skipFirstAt = encodePosition(lastPosition);
    }
    return events.slice(0, limit);
  }

  /** EventStore.isBeyondHead: after the last record of $all (system records included, so never a position handed out). */
  async isBeyondHead(position: string): Promise<boolean> {
    const { commit, prepare } = decodePosition(position);
    let head: Position | undefined;
    // Read to its end (one record), never left early: an abandoned read keeps its call open.
    for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) head ??= resolved.event?.position;
    if (head === undefined) return true; // an empty log holds no position
    return commit > head.commit || (commit === head.commit && prepare > head.prepare);
  }

  subscribe(options: SubscribeOptions = {}): EventSubscription {
    const filter = serverFilter(options.filter);
    const source = this.client.subscribeToAll({
      // ESDB's subscription position is exclusive, as the port's `after` is.
      fromPosition: options.after === undefined ? START : decodePosition(options.after),
      filter: filter.on === 'streamName' ? streamNameFilter({ prefixes: filter.prefixes }) : eventTypeFilter({ regex: filter.regex }),
    });
    const subscription: EsdbSubscription = new EsdbSubscription(
      source,
      (event) => matchesFilter(event, options.filter),
      () => this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async ping(): Promise<void> {
    await this.readStream(PING_STREAM, { maxCount: 1 });
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  /** The error for the first condition whose stream moved, or undefined when all hold. */
  private async movedCondition(streamId: string, conditions: readonly StreamCondition[]): Promise<WrongExpectedVersionError | undefined> {
    for (const condition of conditions) {
      if (!Number.isSafeInteger(condition.version) || condition.version < NO_STREAM_VERSION) {
        throw new RangeError(`Invalid condition version for ${condition.streamId}: ${String(condition.version)}`);
      }
      if (condition.streamId === streamId) throw new RangeError(`A condition on the appended stream ${streamId} itself: use the expected version`);
    }
    const heads = await Promise.all(conditions.map((condition) => this.readStream(condition.streamId, { direction: 'backwards', maxCount: 1 })));
    for (const [index, condition] of conditions.entries()) {
      const actual = heads[index][0]?.streamVersion ?? NO_STREAM_VERSION;
      if (actual !== condition.version) return new WrongExpectedVersionError(condition.streamId, condition.version, actual);
    }
    return undefined;
  }

  /** The result of an earlier, committed append of exactly these events, if there was one. */
  private async earlierAppend(streamId: string, events: NewEvent[], expected: ExpectedVersion): Promise<AppendResult | undefined> {
    const ids = events.map((event) => event.metadata.eventId);
    const exact = expected === 'no_stream' ? NO_STREAM_VERSION : expected;
    const stored =
      typeof exact === 'number'
        ? await this.readStream(streamId, { fromVersion: exact + 1, maxCount: ids.length })
        : (await this.readStream(streamId)).filter((event) => ids.includes(event.eventId));
    if (stored.length !== ids.length || stored.some((event, index) => event.eventId !== ids[index])) return undefined;
    const last = stored[stored.length - 1];
    if (stored.some((event, index) => event.streamVersion !== stored[0].streamVersion + index)) return undefined;
    return { nextExpectedVersion: last.streamVersion, position: last.position };
  }

  /** An empty append writes nothing; it only checks the expected version, as the port asks. */
  private async checkExpectedVersion(streamId: string, expected: ExpectedVersion): Promise<AppendResult> {
    const [last] = await this.readStream(streamId, { direction: 'backwards', maxCount: 1 });
    const actual = last?.streamVersion ?? NO_STREAM_VERSION;
    const satisfied =
      expected === 'any' ||
      (expected === 'no_stream' && actual === NO_STREAM_VERSION) ||
      (expected === 'stream_exists' && actual !== NO_STREAM_VERSION) ||
      expected === actual;
    if (!satisfied) throw new WrongExpectedVersionError(streamId, expected, actual);
    return { nextExpectedVersion: actual, position: last?.position ?? encodePosition(NO_POSITION) };
  }

  private async positionOf(streamId: string, revision: bigint): Promise<Position> {
    const [event] = await this.readStream(streamId, { fromVersion: Number(revision), maxCount: 1 });
    if (!event) throw new Error(`Stream ${streamId} has no event at version ${revision} right after appending it`);
    return decodePosition(event.position);
  }
}

function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      if (expected === NO_STREAM_VERSION) return NO_STREAM;
      checkNonNegative('expected version', expected);
      return BigInt(expected);
  }
}

/** ESDB reports a missing stream as `no_stream`; the port as -1. */
function toVersion(revision: CurrentRevision): number {
  return typeof revision === 'bigint' ? Number(revision) : NO_STREAM_VERSION;
}

function checkNonNegative(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Invalid ${name}: ${value}`);
}

function checkMaxCount(maxCount: number): number {
  if (!Number.isSafeInteger(maxCount) || maxCount < 1) throw new RangeError(`Invalid maxCount: ${maxCount}`);
  return maxCount;
}

/**
 * A catch-up subscription to $all as the port's async iterable. The client's stream is read into a
 * small buffer (paused when it fills) so that `close()` can end a waiting iteration at once.
 */
class EsdbSubscription implements EventSubscription {
  private readonly buffer: RecordedEvent[] = [];
  private wake: (() => void) | undefined;
  private failure: unknown;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly source: AllStreamSubscription,
    accept: (event: { streamId: string; type: string }) => boolean,
    private readonly onClose: () => void,
  ) {
    source.on('data', (resolved: AllStreamResolvedEvent) => {
      const record = resolved.event;
      if (this.closed || !record || !accept(record)) return;
      this.buffer.push(toRecordedEvent(record as EsdbRecord));
      if (this.buffer.length >= SUBSCRIPTION_HIGH_WATER) source.pause();
      this.notify();
    });
    source.on('error', (error: unknown) => this.fail(error));
    // A catch-up subscription never ends by itself: an end means the server dropped it.
    source.on('end', () => this.fail(new Error('EventStoreDB ended the subscription')));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      for (;;) {
        if (this.closed) return;
        const event = this.buffer.shift();
        if (event) {
          if (this.source.isPaused() && this.buffer.length < SUBSCRIPTION_HIGH_WATER / 2) this.source.resume();
          yield event;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      await this.close();
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.buffer.length = 0;
    this.notify();
    this.onClose();
    await this.source.unsubscribe();
    this.source.destroy();
  }

  private fail(error: unknown): void {
    if (this.closed || this.failure !== undefined) return;
    this.failure = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
