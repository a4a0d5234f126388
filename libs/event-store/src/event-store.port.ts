/**
 * The event-store port. Every adapter (Postgres, EventStoreDB) implements it and
 * passes the same contract suite (libs/event-store/test/contract.ts).
 *
 * Version numbering follows EventStoreDB: the first event of a stream has version 0,
 * a stream that does not exist has version -1. Global positions are opaque strings:
 * compare them only through the store (readAll/subscribe `after`), never by parsing.
 */

export const EVENT_STORE = Symbol('EVENT_STORE');

/** Expected stream version for an append. A number is the exact version of the stream's last event. */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

export const NO_STREAM_VERSION = -1;

export interface EventMetadata {
  eventId: string;
  actorId: string;
  actorRole: string;
  correlationId: string;
  causationId: string;
  /** Set by the store on append (server time); ignored if given. */
  recordedAt?: string;
  idempotencyKey?: string;
  /** Room for later additions (e.g. hash chain) without changing the port. */
  [key: string]: unknown;
}

export interface NewEvent<TType extends string = string, TData = unknown> {
  type: TType;
  schemaVersion: number;
  data: TData;
  metadata: EventMetadata;
}

export interface RecordedEvent<TType extends string = string, TData = unknown> {
  streamId: string;
  streamVersion: number;
  /** Opaque, ordered global position in the all-stream. */
  position: string;
  eventId: string;
  type: TType;
  schemaVersion: number;
  data: TData;
  metadata: EventMetadata & { recordedAt: string };
  recordedAt: Date;
}

/**
 * Another stream the decision behind an append was made on, at the version it was read. The append
 * happens only if that stream is still at `version` (-1: it still does not exist); otherwise
 * nothing is appended and WrongExpectedVersionError names that stream and its actual version.
 * Used when a rule of one stream depends on another's state, e.g. a proposal is submitted only
 * while its call is open: a CloseCall appended after the call was read refuses the submission.
 */
export interface StreamCondition {
  streamId: string;
  version: number;
}

export interface AppendOptions {
  /**
   * Streams that must not have moved. How atomic the check is depends on the adapter:
   * - PostgreSQL: atomic with the insert. The conditional append holds a shared lock on each named
   *   stream from before the check until its commit, and every append to a stream takes that
   *   stream's lock exclusively, so no append to a named stream can commit between the check and
   *   the insert (no write skew under READ COMMITTED).
   * - EventStoreDB: no multi-stream transactions; each named stream's head is read just before the
   *   append. An append to a named stream that lands in that one round trip is not seen.
   */
  conditions?: readonly StreamCondition[];
  /**
   * A keyed command's answer, to be remembered with its effect: an adapter that can write it in the
   * append's own transaction does, and says so (AppendResult.answerRemembered); one that cannot
   * ignores it, and the caller remembers the answer itself afterwards (EventStore.remembersAnswers
   * says which). PostgreSQL writes it into `idempotency_keys` in the append's statement, only if the
   * events were inserted, and refuses the whole append with IdempotencyKeyTakenError when the key
   * already holds an answer (another request's, or a concurrent one's): nothing is appended then, so
   * a caller that did not look the key up first can still answer 422 or replay. EventStoreDB cannot.
   */
  answer?: AnswerToRemember;
}

/**
 * An answer `{ id, version }` to an HTTP request sent with `Idempotency-Key` (see IdempotencyKeyGuard):
 * `version` is the stream version the append reaches, so the adapter fills it in.
 */
export interface AnswerToRemember {
  /** Whose key it is (the actor). */
  scope: string;
  key: string;
  /** The request it answers (method, route, If-Match, body), hashed. */
  requestHash: string;
  /** The HTTP status of the answer. */
  status: number;
  id: string;
}

export interface AppendResult {
  /** Version of the last event now in the stream: pass it as the next expected version. */
  nextExpectedVersion: number;
  /** Global position of the last appended event. */
  position: string;
  /**
   * Nothing was written: exactly these event ids were already stored at these versions by an
   * earlier append (a retry recognised, or a concurrent attempt of a keyed command that won). The
   * stored events' content may differ from the events passed now (a command decided twice, at two
   * instants), so a caller must not take what it passed for what the stream holds. Set by adapters
   * that can tell (PostgreSQL); an adapter that cannot leaves it undefined.
   */
  alreadyStored?: boolean;
  /** AppendOptions.answer was written with the events, in the same transaction. */
  answerRemembered?: boolean;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive start version. Forwards default 0, backwards default the last event. */
  fromVersion?: number;
  maxCount?: number;
  /**
   * 'actor': each event's metadata need hold only `actorId` (what upcasting reads): for a reader that
   * hands events to projections, which read none of it (an as-of replay). The metadata is most of an
   * event's bytes (chain link, ids); an adapter may still return it whole. Default 'all'.
   */
  metadata?: 'all' | 'actor';
}

export interface AllFilter {
  eventTypes?: string[];
  streamPrefixes?: string[];
}

export interface ReadAllOptions {
  /** Exclusive: return events after this position. Omitted = from the start. */
  after?: string;
  maxCount?: number;
  filter?: AllFilter;
  /**
   * Read-your-writes (default true): an adapter whose order can hold events back (PostgreSQL) waits
   * briefly for transactions begun before the call. False for a quick look that may see less
   * (health checks): it never waits.
   */
  readYourWrites?: boolean;
  /**
   * As ReadStreamOptions.metadata: 'actor', each event's metadata need hold only `actorId` (what
   * upcasting reads), for a reader that hands events to projections only (a rebuild). An adapter may
   * still return it whole. Default 'all'.
   */
  metadata?: 'all' | 'actor';
}

export interface SubscribeOptions {
  after?: string;
  filter?: AllFilter;
}

/** A catch-up subscription to the global log: first history after `after`, then live events. */
export interface EventSubscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
  /**
   * Optional: how far the log has been examined. Every event matching the filter at or before it
   * has been handed out by the iterator, so a consumer that has processed all it was handed may
   * move its checkpoint here, even past events its filter skips (it then never scans them again).
   */
  readonly examinedPosition?: string;
}

/** See EventStore.heldBack. */
export interface HeldBackEvents {
  events: number;
  /** Recorded time of the oldest of them; null when there are none. */
  oldestRecordedAt: Date | null;
}

export interface EventStore {
  /**
   * The adapter refuses an event id it already holds, anywhere in the log, with DuplicateEventIdError
   * (or answers `alreadyStored` for a retry of the same append at the same versions). A command with
   * an Idempotency-Key derives its event ids from the key, so on such a store it need not search
   * its stream for an earlier attempt before deciding: appending again would be refused. Unset
   * (EventStoreDB, whose idempotence only covers a retry at the same expected version): callers
   * search the stream.
   */
  readonly refusesDuplicateEventIds?: boolean;
  /**
   * The adapter writes AppendOptions.answer in the append's own transaction and refuses an append
   * whose key already holds an answer (IdempotencyKeyTakenError). A caller may then run a keyed
   * command without looking its key up first, as long as every effect comes after that append.
   * Unset (EventStoreDB): the caller must look the key up before its first effect.
   */
  readonly remembersAnswers?: boolean;
  append(streamId: string, events: NewEvent[], expected: ExpectedVersion, options?: AppendOptions): Promise<AppendResult>;
  /** Events of one stream; an empty array if the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The global log in commit-safe order (a reader never skips an event committed late). */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribe(options?: SubscribeOptions): EventSubscription;
  /**
   * Events committed but not yet handed out by commit-safe reads (readAll, subscriptions) because
   * the adapter's order holds them back (PostgreSQL: behind a transaction that began before them and
   * is still open anywhere on the server), only those `filter` matches if given: how many, and when
   * the oldest was recorded. For health: a transaction left open stops every reader of the log
   * (projections, reactions, webhooks, the sealer) while their own reads see nothing waiting.
   * Absent: the adapter holds nothing back (EventStoreDB).
   */
  heldBack?(filter?: AllFilter): Promise<HeldBackEvents>;
  /**
   * Is `position` (in this store's form) after the last event the log holds, i.e. a position this
   * log never handed out — one from another store, or from this database before it was restored to
   * an earlier point? The last event's own position is not beyond. For the feed, which must refuse
   * such a cursor rather than read it as "up to date". Absent: the adapter cannot tell.
   */
  isBeyondHead?(position: string): Promise<boolean>;
  /** Is the store reachable? Used by /health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class WrongExpectedVersionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    /** Version of the stream's last event, -1 if the stream does not exist. */
    readonly actual: number,
  ) {
    super(`Stream ${streamId}: expected version ${String(expected)}, actual ${actual}`);
    this.name = 'WrongExpectedVersionError';
  }
}

/**
 * An append carrying an answer (AppendOptions.answer) was refused because its key already holds an
 * answer: another request sent with the same Idempotency-Key by the same actor, or a concurrent
 * attempt of this one, remembered first. Nothing of the append was written.
 */
export class IdempotencyKeyTakenError extends Error {
  constructor() {
    super('An answer is already remembered for this Idempotency-Key; nothing was appended');
    this.name = 'IdempotencyKeyTakenError';
  }
}

export class DuplicateEventIdError extends Error {
  constructor(readonly eventId: string) {
    super(`Event ${eventId} already stored at a different position`);
    this.name = 'DuplicateEventIdError';
  }
}
