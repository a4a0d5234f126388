import { Client, ClientConfig, Pool, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import {
  AllFilter,
  AnswerToRemember,
  AppendOptions,
  AppendResult,
  DuplicateEventIdError,
  IdempotencyKeyTakenError,
  EventMetadata,
  EventStore,
  EventSubscription,
  ExpectedVersion,
  HeldBackEvents,
  NewEvent,
  NO_STREAM_VERSION,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamCondition,
  SubscribeOptions,
  WrongExpectedVersionError,
} from '../event-store.port';
import { GuardedClient, queryKeepingConnection } from '@app/platform/database/pg-pool';
import { AppendGroups } from './append-groups';

/**
 * Either a connection string (the store creates and owns a pool and closes it in `close()`), or
 * an existing pool (the caller keeps owning it; `close()` leaves it open). LISTEN always uses a
 * dedicated client of its own, built from the same connection settings, so it never pins a pool slot.
 */
export type PostgresEventStoreOptions = (
  | { connectionString: string; poolSize?: number; connectionTimeoutMs?: number }
  | { pool: Pool }
) & {
  /**
   * Group commit (AppendGroups): at most this many appends in flight; single-event appends that
   * arrive meanwhile go together, as one statement and one commit. 0 (the default): every append
   * goes alone.
   */
  appendsInFlight?: number;
};

/**
 * The planner settings of every connection the store opens, sent as the startup packet's `options`
 * (no round trip): no parallel plans and no JIT compilation. Every statement of the store is an
 * append, a key look-up or a LIMITed read in primary-key order, which neither helps. But with the
 * log's statistics missing or stale (a freshly loaded or restored log, before autovacuum analyzes
 * it) or a rare stream prefix, the planner took a filtered catch-up page for a long scan: a Gather
 * Merge with two parallel workers started for each page, and JIT compilation (cost over
 * jit_above_cost) — 222 ms a page against 3.9 ms (EXPLAIN ANALYZE on the 1,000,000-event bench log
 * without statistics; the rebuild's PostgreSQL CPU per event was 82-85 µs with it, 35 on a log
 * analyzed in time). A DATABASE_URL that sets `options` itself keeps its own (pg lets the URL's win).
 */
export const EVENT_STORE_SESSION_OPTIONS = '-c jit=off -c max_parallel_workers_per_gather=0';

/** The pool settings a store (or a pool handed to one) should open its connections with: EVENT_STORE_SESSION_OPTIONS. */
export function eventStorePoolConfig(connectionString: string): { connectionString: string; options: string } {
  return { connectionString, options: EVENT_STORE_SESSION_OPTIONS };
}

/** Subscribers LISTEN on this channel; every store NOTIFYs it after its appends commit. */
export const EVENTS_NOTIFY_CHANNEL = 'grant_ledger_events';

const UNIQUE_VIOLATION = '23505';
const DEADLOCK_DETECTED = '40P01';
/**
 * The first key of the advisory locks that order appends against conditional appends (the second
 * is hashtext(stream_id)); two-key advisory locks live apart from one-key ones, so these collide
 * with nothing else that locks. A hash collision between two stream ids only makes one wait.
 */
const STREAM_LOCK_CLASS = 0x474c; // 'GL'
const STREAM_VERSION_TAKEN = 'events_stream_version_key';
const EVENT_ID_TAKEN = 'events_event_id_key';
/**
 * Conflicts that are retried rather than reported: another append to the stream committed between
 * our snapshot and our insert (with "any"/"stream_exists" under contention, or an exact version
 * that became current just after the statement began). Each retry means some other append made
 * progress, so the bound is only a guard against a pathological livelock.
 */
const MAX_APPEND_ATTEMPTS = 100;

/** The wake-up (see CommitNotifier). */
const NOTIFY_QUERY = {
  name: 'grant_ledger_notify',
  text: "SELECT pg_notify($1, NULL), set_config('synchronous_commit', 'off', true)",
  values: [EVENTS_NOTIFY_CHANNEL],
};
/**
 * Least time between the starts of two NOTIFYs: the most a wake-up waits behind the previous one
 * (plus one in flight). Was 5 ms after the previous one's end, which included the flush of its
 * commit record (1-5 ms); now that it commits asynchronously (see CommitNotifier), 10 ms from its
 * start keeps about the same rate (at most 100 a second) and the same worst-case wait.
 */
const NOTIFY_INTERVAL_MS = 10;
const DEFAULT_READ_ALL_MAX_COUNT = 1000;
/** How long readAll waits for transactions that began before it to end (read-your-writes). */
const READ_ALL_SETTLE_MS = 500;
const READ_ALL_SETTLE_POLL_MS = 3;
/** Events a subscription reads per page when it reads the whole log (every row comes with its data). */
const SUBSCRIPTION_PAGE_SIZE = 1_000;
/**
 * Rows of the log a filtered subscription examines per page: only the matching rows come with
 * their data, so a consumer that reads few event types moves through a backlog in a few large
 * steps (one statement and one checkpoint move each) instead of many small ones.
 */
const FILTERED_SUBSCRIPTION_PAGE_ROWS = 5_000;
/** Re-read this soon when events were held back by an older in-flight transaction: if that
 *  transaction aborts (or never appends), no NOTIFY will come to wake us. */
const HELD_BACK_RECHECK_MS = 50;
/** Last resort against a lost notification (e.g. the listener connection dropped). */
const SAFETY_POLL_MS = 3000;

/**
 * The recorded time as whole milliseconds since the epoch: building a Date from a number costs a
 * fraction of parsing the timestamptz text, which was ~5 % of a catch-up's CPU. recorded_at is
 * stored truncated to milliseconds (RECORDED_AT), and floor() truncates any finer value exactly as
 * the timestamptz parser does.
 */
const RECORDED_MS = 'floor(extract(epoch FROM recorded_at) * 1000)::bigint';
/**
 * An event as one JSON array per row (STREAM_EVENT; PAGE_EVENT adds the stream id), in the order of
 * the C_* indices, parsed by one JSON.parse. Measured on a 10,000-event stream against one column
 * per field (rows as arrays, jsonb parsed): client CPU 9.7 → 6.9 µs per event (one parse instead of
 * two, one string decoded instead of nine), the server's 6.9 → 7.9 µs; the rows still stream, so the
 * client parses while the server reads. (One json_agg per page cut the client to 5.4 µs, but the
 * server to 11 µs, and its page arrives only once complete.) jsonb is written into the array as its
 * own text, so data and metadata parse exactly as before; positions stay text (xid8 and bigint do
 * not fit a double), versions and the time are numbers.
 */
const STREAM_EVENT = `json_build_array(position::text, transaction_id::text, stream_version, event_id, type, schema_version, data, metadata, ${RECORDED_MS})`;
/**
 * STREAM_EVENT with only the metadata's actorId (ReadStreamOptions.metadata 'actor'), as the element
 * itself: the client makes it `{ actorId }` (actorOnly), exactly what `jsonb_build_object('actorId',
 * metadata->'actorId')` gave, for ~1.1 ms less of the server's CPU per 1,000 rows (~9.5 → 8.4 ms,
 * measured on the as-of bench's 10,000-event call stream): an as-of replay's pages are written by
 * the server while the client applies the previous ones, and on two cores the server's share is
 * most of a cold read's critical path.
 */
const STREAM_EVENT_ACTOR_ONLY = `json_build_array(position::text, transaction_id::text, stream_version, event_id, type, schema_version, data, metadata->'actorId', ${RECORDED_MS})`;
const PAGE_EVENT = `json_build_array(position::text, transaction_id::text, stream_version, event_id, type, schema_version, data, metadata, ${RECORDED_MS}, stream_id)`;
/** PAGE_EVENT with only the metadata's actorId (ReadAllOptions.metadata 'actor'), as STREAM_EVENT_ACTOR_ONLY has it. */
const PAGE_EVENT_ACTOR_ONLY = `json_build_array(position::text, transaction_id::text, stream_version, event_id, type, schema_version, data, metadata->'actorId', ${RECORDED_MS}, stream_id)`;
/** Indices of an event's fields in a parsed STREAM_EVENT or PAGE_EVENT, and in a filtered subscription page's columns. */
const C_POSITION = 0;
const C_TRANSACTION_ID = 1;
const C_STREAM_VERSION = 2;
const C_EVENT_ID = 3;
const C_TYPE = 4;
const C_SCHEMA_VERSION = 5;
const C_DATA = 6;
const C_METADATA = 7;
const C_RECORDED_MS = 8;
const C_STREAM_ID = 9;
/** After the event's columns in a filtered subscription's page: its summary row's count of examined rows, and whether any is held back. */
const C_EXAMINED_ROWS = 11;
const C_HELD_BACK = 12;
/**
 * The shared tail (LogTail) keeps at most this many of the newest events in memory for the
 * subscriptions that have caught up; one that falls further behind reads pages of its own again.
 */
const TAIL_CAPACITY = 2_000;
/** Where a subscription from the start of the log stands: before every position. */
const LOG_START = '00000000000000000000-00000000000000000000';

/** A pg pool or a single client: either can run a query. */
interface Queryable {
  query<R extends QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>>;
}

/**
 * An event's fields in the order of the C_* indices: a parsed STREAM_EVENT or PAGE_EVENT, or a row
 * of a filtered subscription page (its numbers as text).
 */
type EventRow = unknown[];

const JSON_OID = 114;
const JSONB_OID = 3802;
const parseJson = (text: string): unknown => JSON.parse(text);
const keepText = (text: string): string => text;

/**
 * The query options of every read that returns events: rows as arrays (pg's default rows are
 * objects built by spreading a template and setting each column by name), json and jsonb parsed
 * with JSON.parse, nothing else parsed (int8, xid8, bool, text stay text: no regex test per int8
 * value). Scoped to these queries: the process-wide pg type parsers are neither used nor changed.
 */
const EVENT_ROW = {
  rowMode: 'array',
  types: { getTypeParser: (oid: number) => (oid === JSON_OID || oid === JSONB_OID ? parseJson : keepText) },
} as const;

/**
 * Events of the global log in columns, data and metadata as PostgreSQL's jsonb text (keys in jsonb's
 * order, `": "` and `", "` between tokens), the metadata as stored (no recordedAt added), the time
 * as whole milliseconds (readAllStoredText).
 */
export interface StoredEventTextPage {
  count: number;
  positions: string[];
  streamIds: string[];
  streamVersions: number[];
  eventIds: string[];
  types: string[];
  schemaVersions: number[];
  data: string[];
  metadata: string[];
  recordedMs: number[];
}

/** Rows as arrays of text: nothing parsed, jsonb included (readAllStoredText). */
const TEXT_ROW_TYPES_ARRAY = { rowMode: 'array', types: { getTypeParser: () => keepText } } as const;

interface GlobalPage {
  /** Events safe to hand out: every transaction that could still add an earlier one has ended. */
  events: RecordedEvent[];
  /** A committed matching event exists after these but waits for an older transaction to end. */
  heldBack: boolean;
  /** The page hit its limit: more events may be ready right now. */
  full: boolean;
}

/**
 * The event store on one PostgreSQL table (see the migration for the schema and the ordering).
 *
 * An append is one autocommit INSERT ... SELECT, with no stored procedure and no stream table:
 * the expected-version check is part of the statement (appendStatement), and the unique
 * (stream_id, stream_version) and event_id indexes settle every race. On the rare conflict, a few
 * extra reads (resolveConflict) tell an idempotent retry from a wrong expected version or a
 * duplicate event id. Subscribers are woken by a coalesced NOTIFY sent after the commit.
 */
export class PostgresEventStore implements EventStore {
  /** The event_id index refuses an id stored anywhere in the log (resolveConflict). */
  readonly refusesDuplicateEventIds = true;
  readonly remembersAnswers = true;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly listener: ChangeListener;
  private readonly notifier: CommitNotifier;
  private readonly subscriptions = new Set<PostgresSubscription>();
  private closed = false;

  constructor(options: PostgresEventStoreOptions) {
    const inFlight = options.appendsInFlight ?? 0;
    if (!Number.isSafeInteger(inFlight) || inFlight < 0) throw new RangeError(`appendsInFlight must be a whole number >= 0, got ${String(inFlight)}`);
    if ('pool' in options) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      // A bounded wait for a connection: an exhausted pool is an error the caller sees (and retries
      // or answers 503 for), never a hang.
      this.pool = new Pool({
        Client: GuardedClient,
        ...eventStorePoolConfig(options.connectionString),
        max: options.poolSize ?? 10,
        connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
        idleTimeoutMillis: 30_000,
      });
      this.ownsPool = true;
      // An idle client that loses its connection is emitted here; without a handler the process
      // would crash. The pool discards the client and the next query opens a fresh one.
      this.pool.on('error', () => undefined);
    }
    this.listener = new ChangeListener(this.pool.options as ClientConfig);
    // The NOTIFY and the shared tail's reads go over the LISTEN connection while it is up: on the
    // pool they queued behind every request's appends (measured at 300 commands/s: the pool had
    // hundreds of waiters, and a NOTIFY took 0.3–1.8 s to be sent).
    this.notifier = new CommitNotifier(() => this.listener.connection() ?? this.pool);
    this.tail = new LogTail((after) => this.readGlobalPage(after, SUBSCRIPTION_PAGE_SIZE, {}, this.listener.connection() ?? this.pool));
    this.groups = inFlight > 0 ? new AppendGroups((items) => this.appendGroup(items), (item) => item.streamId, inFlight, MAX_APPEND_GROUP) : undefined;
  }

  private readonly tail: LogTail;
  private readonly groups: AppendGroups<GroupedAppend, AppendResult> | undefined;

  /** Appends sent in groups, and the groups (group commit; a diagnostic). */
  get appendGroupStats(): { groups: number; appends: number } {
    return this.groups?.stats ?? { groups: 0, appends: 0 };
  }

  /** After an append committed: wake this process's subscriptions at once, and the others' by NOTIFY. */
  private committed(): void {
    this.listener.localChange();
    this.notifier.notify();
  }

  /**
   * The fast path is one INSERT ... SELECT (see appendStatement): it checks the expected version
   * and inserts in one statement and one round trip, and it either inserts every event or none.
   * Only when it inserts nothing or hits a unique violation does resolveConflict work out why.
   */
  async append(streamId: string, events: NewEvent[], expected: ExpectedVersion, options: AppendOptions = {}): Promise<AppendResult> {
    const mode = appendMode(expected);
    if (options.conditions?.length) return this.appendIfUnchanged(streamId, events, expected, options.conditions, options.answer);
    if (events.length === 0) return this.checkVersionOnly(streamId, expected);
    if (this.groups && events.length === 1 && (mode === 'exact' || mode === 'no_stream')) {
      const item: GroupedAppend = { streamId, event: events[0], expected: expected as number | 'no_stream', answer: options.answer };
      const grouped = await this.groups.submit(item, () => this.appendAlone(streamId, events, expected, mode, options));
      if (grouped) return grouped;
    }
    return this.appendAlone(streamId, events, expected, mode, options);
  }

  /**
   * A group of single-event appends to distinct streams, unkeyed, each expecting an exact version or
   * no stream (AppendGroups), in one statement (APPEND_GROUP): the result of each, or `undefined` for
   * one the group did not append, which the caller then appends alone.
   */
  private async appendGroup(items: readonly GroupedAppend[]): Promise<(AppendResult | undefined)[]> {
    const values: unknown[] = [
      items.map((item) => item.streamId),
      items.map((item) => (item.expected === 'no_stream' ? NO_STREAM_VERSION : item.expected)),
      items.map((item) => item.event.metadata.eventId),
      items.map((item) => item.event.type),
      items.map((item) => item.event.schemaVersion),
      `[${items.map((item) => JSON.stringify(item.event.data ?? null)).join(',')}]`,
      `[${items.map((item) => storedMetadata(item.event.metadata)).join(',')}]`,
    ];
    const answered = items.some((item) => item.answer);
    if (answered) {
      values.push(
        items.map((item) => item.answer?.scope ?? null),
        items.map((item) => item.answer?.key ?? null),
        items.map((item) => item.answer?.requestHash ?? null),
        items.map((item) => item.answer?.status ?? null),
        items.map((item) => item.answer?.id ?? null),
      );
    }
    const { rows } = await queryKeepingConnection<[string]>(this.pool, { ...(answered ? APPEND_GROUP_ANSWERED : APPEND_GROUP), values } as QueryConfig);
    if (rows.length > 0) this.committed();
    const appended = new Map<string, AppendResult>();
    for (const [text] of rows) {
      const [streamId, version, transactionId, position] = splitGroupResult(text);
      appended.set(streamId, { nextExpectedVersion: Number(version), position: encodePosition(transactionId, position) });
    }
    return items.map((item) => {
      const result = appended.get(item.streamId);
      return result && item.answer ? { ...result, answerRemembered: true } : result;
    });
  }

  /** An append on its own: one statement, and on a conflict, what resolveConflict finds. */
  private async appendAlone(streamId: string, events: NewEvent[], expected: ExpectedVersion, mode: AppendMode, options: AppendOptions): Promise<AppendResult> {
    const query = appendQuery(mode, streamId, events, expected, options.answer);
    for (let attempt = 1; ; attempt++) {
      let conflict: unknown;
      try {
        const result = appendResult((await queryKeepingConnection<[string | null]>(this.pool, query)).rows, options.answer);
        if (result) {
          this.committed();
          return result;
        }
      } catch (error) {
        if (!isUniqueViolation(error)) throw answerKeyTaken(error) ?? error;
        conflict = error;
      }
      const stored = await this.resolveConflict(streamId, events, expected, conflict);
      if (stored) return stored;
      if (attempt >= MAX_APPEND_ATTEMPTS) {
        throw new WrongExpectedVersionError(streamId, expected, (await this.streamHead(streamId))?.version ?? NO_STREAM_VERSION);
      }
    }
  }

  /**
   * An append that also requires other streams to be unchanged (AppendOptions.conditions), in one
   * transaction on one connection:
   * 1. take each named stream's advisory lock in SHARE mode (held until commit). Every append takes
   *    its own stream's lock EXCLUSIVELY inside its INSERT (appendStatement), so this waits for an
   *    append to a named stream that is in flight, and holds back any that starts later;
   * 2. read the named streams' heads in a new statement: in READ COMMITTED its snapshot sees every
   *    append that committed before the locks were granted — exactly what a plain subquery check
   *    inside the INSERT could miss (write skew: both transactions pass, both commit);
   * 3. insert with the expected-version check as usual, and commit.
   * An append to a named stream therefore commits either before the check (which then refuses) or
   * after this append's commit, with a later transaction id, so after it in the global log too.
   * Conditional appends on the same stream share the lock and do not wait for each other.
   */
  private async appendIfUnchanged(
    streamId: string,
    events: NewEvent[],
    expected: ExpectedVersion,
    conditions: readonly StreamCondition[],
    answer: AnswerToRemember | undefined,
  ): Promise<AppendResult> {
    for (const condition of conditions) {
      if (!Number.isSafeInteger(condition.version) || condition.version < NO_STREAM_VERSION) {
        throw new RangeError(`Invalid condition version for ${condition.streamId}: ${String(condition.version)}`);
      }
      if (condition.streamId === streamId) throw new RangeError(`A condition on the appended stream ${streamId} itself: use the expected version`);
    }
    // One lock order for every conditional append; the shared locks never wait for each other anyway.
    const named = [...new Set(conditions.map((condition) => condition.streamId))].sort();
    const query = events.length > 0 ? appendQuery(appendMode(expected), streamId, events, expected, answer) : undefined;
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      let conflict: unknown;
      // A connection lost while checked out is emitted on the client, which has no listener then
      // (pg-pool removes its idle one): without this the process would crash on a database restart.
      const onError = (error: Error) => (broken = error);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        await client.query({
          name: 'grant_ledger_lock_conditions',
          text: `SELECT pg_advisory_xact_lock_shared(${STREAM_LOCK_CLASS}, hashtext(s)) FROM unnest($1::text[]) AS s`,
          values: [named],
        });
        const { rows: heads } = await client.query<{ stream_id: string; version: string | null }>({
          name: 'grant_ledger_condition_heads',
          text: 'SELECT s AS stream_id, (SELECT max(stream_version) FROM events WHERE stream_id = s) AS version FROM unnest($1::text[]) AS s',
          values: [named],
        });
        const actual = new Map(heads.map((head) => [head.stream_id, head.version === null ? NO_STREAM_VERSION : Number(head.version)]));
        const moved = conditions.find((condition) => actual.get(condition.streamId) !== condition.version);
        if (moved) {
          await client.query('ROLLBACK');
          // A retry of an append that committed while the condition held is answered as the first time.
          const stored = events.length > 0 ? await this.earlierAppend(streamId, events, expected) : undefined;
          if (stored) return stored;
          throw new WrongExpectedVersionError(moved.streamId, moved.version, actual.get(moved.streamId) ?? NO_STREAM_VERSION);
        }
        if (!query) {
          const result = await this.checkVersionOnly(streamId, expected);
          await client.query('COMMIT');
          return result;
        }
        const result = appendResult((await client.query<[string | null]>(query)).rows, answer);
        if (result) {
          await client.query('COMMIT');
          this.committed();
          return result;
        }
        await client.query('ROLLBACK');
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) throw error;
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        // A deadlock needs two conditional appends naming each other's streams; one of them is
        // chosen to fail, and simply tries again.
        if ((error as { code?: string }).code === DEADLOCK_DETECTED && attempt < MAX_APPEND_ATTEMPTS) continue;
        if (!isUniqueViolation(error)) throw answerKeyTaken(error) ?? error;
        conflict = error;
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
      const stored = await this.resolveConflict(streamId, events, expected, conflict);
      if (stored) return stored;
      if (attempt >= MAX_APPEND_ATTEMPTS) {
        throw new WrongExpectedVersionError(streamId, expected, (await this.streamHead(streamId))?.version ?? NO_STREAM_VERSION);
      }
    }
  }

  /** The result of an earlier, committed append of exactly these events, if there was one. */
  private async earlierAppend(streamId: string, events: NewEvent[], expected: ExpectedVersion): Promise<AppendResult | undefined> {
    const eventIds = events.map((event) => event.metadata.eventId);
    if (expected !== 'any' && expected !== 'stream_exists') {
      return this.storedResult(streamId, (expected === 'no_stream' ? NO_STREAM_VERSION : expected) + 1, eventIds);
    }
    const { rows } = await this.pool.query<{ stream_version: string }>({
      name: 'grant_ledger_find_event',
      text: 'SELECT stream_version FROM events WHERE event_id = $1 AND stream_id = $2',
      values: [eventIds[0], streamId],
    });
    return rows.length ? this.storedResult(streamId, Number(rows[0].stream_version), eventIds) : undefined;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    // Backwards reads are never lean (the hash chain reads heads with them).
    const lean = options.metadata === 'actor' && !backwards;
    const limit = options.maxCount === undefined ? null : checkMaxCount(options.maxCount);
    // Named statements (parsed and planned once per connection); rows become events as the global
    // log's pages do (rowToRecordedEvent): a cold as-of read of a 10,000-event stream spent a fifth
    // of its CPU parsing timestamps, copying metadata and collecting the copies.
    const { rows } = await this.pool.query<[EventRow]>(
      backwards
        ? {
            ...EVENT_ROW,
            name: 'grant_ledger_read_stream_backwards',
            text: `SELECT ${STREAM_EVENT} FROM events
                    WHERE stream_id = $1 AND ($2::bigint IS NULL OR stream_version <= $2)
                    ORDER BY stream_version DESC LIMIT $3`,
            values: [streamId, options.fromVersion ?? null, limit],
          }
        : {
            ...EVENT_ROW,
            // metadata 'actor' (a replay for projections, as-of): the metadata, ~2/3 of an event's JSON, left out but its actorId.
            name: lean ? 'grant_ledger_read_stream_forwards_actor_only' : 'grant_ledger_read_stream_forwards',
            text: `SELECT ${lean ? STREAM_EVENT_ACTOR_ONLY : STREAM_EVENT} FROM events
                    WHERE stream_id = $1 AND stream_version >= coalesce($2::bigint, 0)
                    ORDER BY stream_version LIMIT $3`,
            values: [streamId, options.fromVersion ?? null, limit],
          },
    );
    const events = new Array<RecordedEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[i] = rowToRecordedEvent(lean ? actorOnly(rows[i][0]) : rows[i][0], streamId);
    return events;
  }

  /**
   * The global log after `after`, in commit-safe order. Read-your-writes: an event committed before
   * this call can be held back only while a transaction that began earlier is still open somewhere on
   * the server (xmin is server-wide). Then we wait, at most READ_ALL_SETTLE_MS, for every transaction
   * that began before the call to end, and read again, so a caller sees what was committed before it
   * asked. A transaction open longer than that only delays the rest to a later read: never skipped.
   */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = checkMaxCount(options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT);
    const read = () => this.readGlobalPage(options.after, limit, options.filter, this.pool, options.metadata ?? 'all');
    if (options.readYourWrites === false) return (await read()).events;
    const horizon = await this.transactionHorizon();
    let page = await read();
    if (page.heldBack && page.events.length < limit && (await this.waitForTransactionsBefore(horizon))) {
      page = await read();
    }
    return page.events;
  }

  /**
   * readAll (no filter) with each event's data and metadata as PostgreSQL's jsonb text, unparsed,
   * in columns: for the audit verifier, which hashes canonical JSON it can write from that text
   * without building objects (metadata as stored: recordedAt is the recordedMs column here). Same
   * order, same read-your-writes wait as readAll. Internal to the adapter's users; not in the port.
   */
  async readAllStoredText(options: Pick<ReadAllOptions, 'after' | 'maxCount'> = {}): Promise<StoredEventTextPage> {
    const limit = checkMaxCount(options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT);
    const horizon = await this.transactionHorizon();
    let page = await this.readStoredTextPage(options.after, limit);
    if (page.heldBack && page.count < limit && (await this.waitForTransactionsBefore(horizon))) page = await this.readStoredTextPage(options.after, limit);
    return page;
  }

  /**
   * EventStore.heldBack: committed rows at or above the snapshot's xmin (what readGlobalPage fetches
   * but does not hand out), matching `filter`. One statement; an index range scan of the newest rows
   * (the primary key leads with transaction_id), so cheap enough for every readiness probe.
   */
  async heldBack(filter: AllFilter = {}): Promise<HeldBackEvents> {
    const { eventTypes, streamPatterns } = filterParameters(filter);
    const { rows } = await this.pool.query<{ events: number; oldest_ms: string | null }>({
      name: 'grant_ledger_held_back',
      text: `WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
             SELECT count(*)::int AS events, min(${RECORDED_MS}) AS oldest_ms
               FROM events, s
              WHERE transaction_id >= s.xmin
                AND ($1::text[] IS NULL OR type = ANY ($1::text[]))
                AND ($2::text[] IS NULL OR stream_id LIKE ANY ($2::text[]))`,
      values: [eventTypes, streamPatterns],
    });
    const { events, oldest_ms: oldestMs } = rows[0];
    return { events, oldestRecordedAt: oldestMs === null ? null : new Date(Number(oldestMs)) };
  }

  /** EventStore.isBeyondHead: no committed event at or after the position (one index probe). */
  async isBeyondHead(position: string): Promise<boolean> {
    const [transactionId, globalPosition] = decodePosition(position);
    const { rows } = await this.pool.query<{ beyond: boolean }>({
      name: 'grant_ledger_is_beyond_head',
      text: 'SELECT NOT EXISTS (SELECT 1 FROM events WHERE (transaction_id, position) >= ($1::xid8, $2::bigint)) AS beyond',
      values: [transactionId, globalPosition],
    });
    return rows[0].beyond;
  }

  /**
   * How many events the log holds after `after` (commit-safe order; undefined: from the start), and
   * how many of them are held back: committed, but behind a transaction that began before them and
   * is still open, so no commit-safe read hands them out until it ends. One statement. For the audit
   * verifier's report (what it could not check). Internal to the adapter's users; not in the port.
   */
  async eventsAfter(after: string | undefined): Promise<{ events: number; heldBack: number }> {
    const [afterTransaction, afterPosition] = after === undefined ? ['0', '0'] : decodePosition(after);
    const { rows } = await this.pool.query<{ events: number; held_back: number }>({
      name: 'grant_ledger_events_after',
      text: `WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
             SELECT count(*)::int AS events, count(*) FILTER (WHERE transaction_id >= s.xmin)::int AS held_back
               FROM events, s
              WHERE (transaction_id, position) > ($1::xid8, $2::bigint)`,
      values: [afterTransaction, afterPosition],
    });
    return { events: rows[0].events, heldBack: rows[0].held_back };
  }

  private async readStoredTextPage(after: string | undefined, limit: number): Promise<StoredEventTextPage & { heldBack: boolean }> {
    const [afterTransaction, afterPosition] = after === undefined ? ['0', '0'] : decodePosition(after);
    const { rows } = await this.pool.query<string[]>({
      ...TEXT_ROW_TYPES_ARRAY,
      name: 'grant_ledger_read_all_stored_text',
      // The snapshot's xmin once per statement (a CTE), not once per row.
      text: `WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
             SELECT transaction_id::text AS transaction_text, position::text AS position_text, stream_id, stream_version, event_id, type, schema_version, data, metadata, ${RECORDED_MS}, transaction_id < s.xmin
               FROM events, s
              WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
              ORDER BY transaction_id, position
              LIMIT $3`,
      values: [afterTransaction, afterPosition, limit],
    });
    let count = rows.length;
    for (let i = 0; i < rows.length; i++) {
      if (rows[i][10] !== 't') {
        count = i;
        break;
      }
    }
    const page: StoredEventTextPage & { heldBack: boolean } = {
      count,
      positions: new Array<string>(count),
      streamIds: new Array<string>(count),
      streamVersions: new Array<number>(count),
      eventIds: new Array<string>(count),
      types: new Array<string>(count),
      schemaVersions: new Array<number>(count),
      data: new Array<string>(count),
      metadata: new Array<string>(count),
      recordedMs: new Array<number>(count),
      heldBack: count < rows.length,
    };
    for (let i = 0; i < count; i++) {
      const row = rows[i];
      page.positions[i] = encodePosition(row[0], row[1]);
      page.streamIds[i] = row[2];
      page.streamVersions[i] = Number(row[3]);
      page.eventIds[i] = row[4];
      page.types[i] = row[5];
      page.schemaVersions[i] = Number(row[6]);
      page.data[i] = row[7];
      page.metadata[i] = row[8];
      page.recordedMs[i] = Number(row[9]);
    }
    return page;
  }

  /** The first transaction id not yet begun: every transaction below it began before now. */
  private async transactionHorizon(): Promise<string> {
    const { rows } = await this.pool.query<{ horizon: string }>({
      name: 'grant_ledger_horizon',
      text: 'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS horizon',
    });
    return rows[0].horizon;
  }

  /** Waits until every transaction below `horizon` has ended; false if that takes too long. */
  private async waitForTransactionsBefore(horizon: string): Promise<boolean> {
    const deadline = Date.now() + READ_ALL_SETTLE_MS;
    for (;;) {
      const { rows } = await this.pool.query<{ done: boolean }>({
        name: 'grant_ledger_settled',
        text: 'SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS done',
        values: [horizon],
      });
      if (rows[0].done) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, READ_ALL_SETTLE_POLL_MS));
    }
  }

  subscribe(options: SubscribeOptions = {}): EventSubscription {
    if (this.closed) throw new Error('PostgresEventStore is closed');
    const subscription = new PostgresSubscription(this, this.listener, this.tail, options, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.tail.reset();
    await this.listener.close();
    await this.notifier.flush();
    if (this.ownsPool) await this.pool.end();
  }

  /**
   * Reads the global log in commit-safe order: by (transaction id, position), and only events
   * whose transaction id is below the snapshot's xmin. Every transaction below xmin has ended, and
   * any transaction that could still commit has an id >= xmin, so nothing can later appear before
   * the last event returned. Rows at or above xmin are fetched too (they sort last) only to tell
   * the caller that something is held back.
   */
  /** Internal to the adapter (its subscriptions use it); not part of the port. */
  async readGlobalPage(after: string | undefined, limit: number, filter: AllFilter = {}, via: Queryable = this.pool, metadata: 'all' | 'actor' = 'all'): Promise<GlobalPage> {
    const [afterTransaction, afterPosition] = after === undefined ? ['0', '0'] : decodePosition(after);
    const { eventTypes, streamPatterns } = filterParameters(filter);
    const { rows } = await via.query<[EventRow, string]>({
      ...EVENT_ROW,
      // metadata 'actor' (ReadAllOptions.metadata: a projection rebuild) reads only the metadata's
      // actorId, ~60 % of an event's JSON less: on the 1,000,000-event bench log, writing it as text
      // cost PostgreSQL ~2.8 s of the page reads' ~10.5 s. A statement of its own, so readAll's
      // default reads and the subscriptions' pages are unchanged.
      name: metadata === 'actor' ? 'grant_ledger_read_all_page_actor_only' : 'grant_ledger_read_all_page',
      text: `SELECT ${metadata === 'actor' ? PAGE_EVENT_ACTOR_ONLY : PAGE_EVENT}, transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AS settled
               FROM events
              WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
                AND ($3::text[] IS NULL OR type = ANY ($3::text[]))
                AND ($4::text[] IS NULL OR stream_id LIKE ANY ($4::text[]))
              ORDER BY transaction_id, position
              LIMIT $5`,
      values: [afterTransaction, afterPosition, eventTypes, streamPatterns, limit],
    });
    const events: RecordedEvent[] = [];
    for (let i = 0; i < rows.length; i++) {
      const [event, settled] = rows[i];
      if (settled === 't') events.push(rowToRecordedEvent(metadata === 'actor' ? actorOnly(event) : event, event[C_STREAM_ID] as string));
    }
    return { events, heldBack: events.length < rows.length, full: rows.length === limit };
  }

  /**
   * A subscription's page: up to `limit` rows of the log EXAMINED after `after` (the filter decides
   * which are handed out, and only their data is fetched), and the position up to which the log
   * has been examined. So a filtered subscription whose filter matches little moves through the log
   * a page at a time instead of scanning from its last match to the head on every wake-up.
   * Internal to the adapter.
   */
  async readSubscriptionPage(after: string | undefined, limit: number, filter: AllFilter = {}): Promise<GlobalPage & { examined: string | undefined }> {
    const { eventTypes, streamPatterns } = filterParameters(filter);
    if (eventTypes === null && streamPatterns === null) {
      const page = await this.readGlobalPage(after, limit, filter);
      return { ...page, examined: page.events.at(-1)?.position };
    }
    const [afterTransaction, afterPosition] = after === undefined ? ['0', '0'] : decodePosition(after);
    // Only the matching events come back, then one summary row (summary = true) of the examined
    // page: how many rows it had, whether any is held back, and its last settled row's position in
    // transaction_id/position. Parsing the rows a filter skips cost the six consumers that read few
    // events more CPU than their whole work during a catch-up.
    const { rows } = await this.pool.query<EventRow>({
      ...EVENT_ROW,
      name: 'grant_ledger_subscription_page_matches',
      text: `WITH page AS MATERIALIZED (
               SELECT e.transaction_id, e.position,
                      e.transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AS settled,
                      ($3::text[] IS NULL OR e.type = ANY ($3::text[])) AND ($4::text[] IS NULL OR e.stream_id LIKE ANY ($4::text[])) AS wanted
                 FROM events e
                WHERE (e.transaction_id, e.position) > ($1::xid8, $2::bigint)
                ORDER BY e.transaction_id, e.position
                LIMIT $5)
             SELECT e.position, e.transaction_id, e.stream_version, e.event_id, e.type, e.schema_version, e.data, e.metadata,
                    floor(extract(epoch FROM e.recorded_at) * 1000)::bigint::text, e.stream_id,
                    false AS summary, NULL::bigint AS examined_rows, NULL::boolean AS held_back
               FROM page p JOIN events e ON e.transaction_id = p.transaction_id AND e.position = p.position
              WHERE p.wanted AND p.settled
             UNION ALL
             SELECT last.position, last.transaction_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true,
                    (SELECT count(*) FROM page), (SELECT coalesce(bool_or(NOT settled), false) FROM page)
               FROM (SELECT NULL) one
               LEFT JOIN (SELECT transaction_id, position FROM page WHERE settled ORDER BY transaction_id DESC, position DESC LIMIT 1) last ON true
             ORDER BY summary, transaction_id, position`,
      values: [afterTransaction, afterPosition, eventTypes, streamPatterns, limit],
    });
    const summary = rows[rows.length - 1];
    const events = new Array<RecordedEvent>(rows.length - 1);
    for (let i = 0; i < events.length; i++) events[i] = rowToRecordedEvent(rows[i], rows[i][C_STREAM_ID] as string);
    const examinedTransaction = summary[C_TRANSACTION_ID] as string | null;
    return {
      events,
      heldBack: summary[C_HELD_BACK] === 't',
      full: Number(summary[C_EXAMINED_ROWS]) === limit,
      examined: examinedTransaction === null ? undefined : encodePosition(examinedTransaction, summary[C_POSITION] as string),
    };
  }

  /** An append of no events only checks the expected version (as EventStoreDB does). */
  private async checkVersionOnly(streamId: string, expected: ExpectedVersion): Promise<AppendResult> {
    const head = await this.streamHead(streamId);
    const actual = head?.version ?? NO_STREAM_VERSION;
    const matches =
      expected === 'any' ||
      (expected === 'no_stream' && actual === NO_STREAM_VERSION) ||
      (expected === 'stream_exists' && actual !== NO_STREAM_VERSION) ||
      expected === actual;
    if (!matches) throw new WrongExpectedVersionError(streamId, expected, actual);
    return { nextExpectedVersion: actual, position: head?.position ?? encodePosition('0', '0') };
  }

  /**
   * Why did an append insert nothing (`conflict` undefined) or hit a unique violation? Returns the
   * original result when the append is a retry of one that already committed, throws
   * WrongExpectedVersionError or DuplicateEventIdError, or returns undefined: try again.
   * Every read here sees only committed events, which are never removed, so whatever it finds
   * stays true.
   */
  private async resolveConflict(
    streamId: string,
    events: NewEvent[],
    expected: ExpectedVersion,
    conflict: unknown,
  ): Promise<AppendResult | undefined> {
    const eventIds = events.map((event) => event.metadata.eventId);
    const duplicateId = conflict === undefined ? undefined : duplicateEventId(conflict);

    if (expected === 'any' || expected === 'stream_exists') {
      if (duplicateId !== undefined) {
        // No position to compare with: a retry is recognised by where its first event is stored.
        const { rows } = await this.pool.query<{ stream_version: string }>({
          name: 'grant_ledger_find_event',
          text: 'SELECT stream_version FROM events WHERE event_id = $1 AND stream_id = $2',
          values: [eventIds[0], streamId],
        });
        const stored = rows.length ? await this.storedResult(streamId, Number(rows[0].stream_version), eventIds) : undefined;
        if (stored) return stored;
        throw new DuplicateEventIdError(duplicateId);
      }
      if (conflict === undefined) {
        // Only "stream_exists" inserts nothing: there was no stream.
        const head = await this.streamHead(streamId);
        if (!head) throw new WrongExpectedVersionError(streamId, expected, NO_STREAM_VERSION);
      }
      return undefined; // another append took the next version first
    }

    const exact = expected === 'no_stream' ? NO_STREAM_VERSION : expected;
    const stored = await this.storedResult(streamId, exact + 1, eventIds);
    if (stored) return stored;
    const actual = (await this.streamHead(streamId))?.version ?? NO_STREAM_VERSION;
    if (actual !== exact) throw new WrongExpectedVersionError(streamId, expected, actual);
    if (duplicateId !== undefined) throw new DuplicateEventIdError(duplicateId);
    // The expected version was committed just after the insert's snapshot was taken.
    return undefined;
  }

  /** The last event of a stream, or undefined if it does not exist. */
  private async streamHead(streamId: string): Promise<{ version: number; position: string } | undefined> {
    const { rows } = await this.pool.query<{ stream_version: string; transaction_id: string; position: string }>({
      name: 'grant_ledger_stream_head',
      text: `SELECT stream_version, transaction_id, position FROM events
              WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1`,
      values: [streamId],
    });
    if (!rows.length) return undefined;
    return { version: Number(rows[0].stream_version), position: encodePosition(rows[0].transaction_id, rows[0].position) };
  }

  /**
   * The result of an earlier append of exactly these events at versions `firstVersion`.. of the
   * stream, or undefined if they are not stored there that way.
   */
  private async storedResult(streamId: string, firstVersion: number, eventIds: string[]): Promise<AppendResult | undefined> {
    const { rows } = await this.pool.query<{ stream_version: string; transaction_id: string; position: string }>({
      name: 'grant_ledger_stored_result',
      text: `SELECT tail.stream_version, tail.transaction_id, tail.position
               FROM events tail
              WHERE tail.stream_id = $1
                AND tail.stream_version = $2::bigint + cardinality($3::uuid[]) - 1
                AND tail.event_id = ($3::uuid[])[cardinality($3::uuid[])]
                AND (SELECT count(*)
                       FROM unnest($3::uuid[]) WITH ORDINALITY AS t(event_id, ord)
                       JOIN events e ON e.stream_id = $1
                                    AND e.stream_version = $2::bigint + t.ord - 1
                                    AND e.event_id = t.event_id) = cardinality($3::uuid[])`,
      values: [streamId, firstVersion, eventIds],
    });
    if (!rows.length) return undefined;
    return {
      nextExpectedVersion: Number(rows[0].stream_version),
      position: encodePosition(rows[0].transaction_id, rows[0].position),
      alreadyStored: true,
    };
  }
}

/**
 * Wakes subscribers in every process after appends commit. The NOTIFY is its own tiny
 * transaction, sent after the append returns rather than inside it: a transaction that notifies
 * holds a cluster-wide lock from its commit until its commit record is flushed, which serialises
 * every concurrent append and defeats group commit (measured: a quarter of the plain-INSERT rate
 * at fsync on). Notifications are also coalesced: one is in flight at a time, and the next starts
 * no sooner than NOTIFY_INTERVAL_MS after it started, covering every append that committed
 * meanwhile. A NOTIFY still costs more than its share suggests (measured with 8 writers at ~1,300
 * appends/s: about 0.1 per append, and 30-60 µs of client and server CPU per append, found by
 * turning it off), CPU that a subscriber, which reads whole pages per wake-up, gains nothing from.
 * Should the process die between commit and NOTIFY, subscribers' safety poll picks the events up.
 *
 * The NOTIFY's transaction commits asynchronously (synchronous_commit off for it alone, via
 * set_config(..., true) in the same statement): it writes no data, and a notification is delivered
 * at commit, not at the flush of its commit record, so waiting for that flush only held a connection
 * (the pool's, when no subscription runs here) and the server. Its record is flushed with the next
 * append's. A notification lost in a crash would be lost anyway (they are not durable), and the
 * appends it announces were committed durably before it was sent.
 */
class CommitNotifier {
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** An append committed after the last NOTIFY was sent. */
  private pending = false;
  /** When the last NOTIFY was sent (performance.now()). */
  private sentAt = -Infinity;

  constructor(private readonly connection: () => Queryable) {}

  notify(): void {
    this.pending = true;
    if (!this.inFlight && !this.timer) this.sendWhenDue();
  }

  /** Sends what is pending now and waits for the notifications in flight (before the pool closes). */
  async flush(): Promise<void> {
    while (this.inFlight || this.timer) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.send();
      }
      await this.inFlight;
    }
  }

  /** At once if the last NOTIFY was sent NOTIFY_INTERVAL_MS ago or more, else when it will have been. */
  private sendWhenDue(): void {
    const wait = this.sentAt + NOTIFY_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.send();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending) this.send();
    }, wait);
  }

  private send(): void {
    this.pending = false;
    this.sentAt = performance.now();
    this.inFlight = this.connection()
      .query(NOTIFY_QUERY)
      .then(
        () => undefined,
        () => undefined, // best effort: subscribers fall back to their re-check timers
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.pending && !this.timer) this.sendWhenDue();
      });
  }
}

/**
 * A catch-up subscription: pages through the log from `after` with reads of its own until it has
 * caught up, then takes what follows from the store's shared tail (LogTail), which reads the head of
 * the log once for every caught-up subscription of the process. One that falls behind the tail's
 * window (a slow consumer, or the tail reset by an error) reads pages of its own again. It holds no
 * connection while waiting. Single consumer.
 */
class PostgresSubscription implements EventSubscription {
  examinedPosition: string | undefined;
  private closed = false;
  /** Set by every wake-up; a read that started before it may have missed the new events. */
  private signalled = false;
  private wake: (() => void) | undefined;
  private readonly stopListening: () => void;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly listener: ChangeListener,
    private readonly tail: LogTail,
    private readonly options: SubscribeOptions,
    private readonly onClose: () => void,
  ) {
    this.stopListening = listener.add(() => {
      this.signal();
      tail.signal();
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    let cursor = this.options.after ?? LOG_START;
    const filter = this.options.filter ?? {};
    try {
      while (!this.closed) {
        const taken = this.tail.take(cursor, filter);
        if (taken) {
          const from = cursor;
          for (const event of taken.events) {
            if (this.closed) return;
            yield event;
            cursor = event.position;
          }
          // Set only once every matching event up to it has been handed out (see the port).
          if (taken.examined >= cursor) {
            cursor = taken.examined;
            this.examinedPosition = taken.examined;
          }
          if (cursor === from && !this.closed) await this.tail.advanced(this.wakeOnClose());
          continue;
        }
        this.signalled = false;
        const filtered = Boolean(filter.eventTypes?.length || filter.streamPrefixes?.length);
        const page = await this.store.readSubscriptionPage(cursor, filtered ? FILTERED_SUBSCRIPTION_PAGE_ROWS : SUBSCRIPTION_PAGE_SIZE, this.options.filter);
        for (const event of page.events) {
          if (this.closed) return;
          yield event;
          cursor = event.position;
        }
        if (page.examined !== undefined) {
          cursor = page.examined;
          this.examinedPosition = page.examined;
        }
        if (page.full && !page.heldBack) continue;
        // Caught up (as far as the log is settled): go on with the shared tail.
        if (this.tail.join(cursor)) continue;
        if (!this.signalled && !this.closed) await this.sleep(page.heldBack ? HELD_BACK_RECHECK_MS : SAFETY_POLL_MS);
        this.listener.reconnectIfNeeded();
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopListening();
    this.onClose();
    this.signal();
    this.closeWaiter?.();
  }

  private closeWaiter: (() => void) | undefined;

  /** A promise that resolves when the subscription closes (so a wait on the tail ends with it). */
  private wakeOnClose(): Promise<void> {
    return new Promise((resolve) => (this.closeWaiter = resolve));
  }

  private signal(): void {
    this.signalled = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * The head of the log, read once for every caught-up subscription of the store: it holds every
 * event (any type, data included) in (base, head] — at most TAIL_CAPACITY of the newest, so memory
 * stays bounded — and reads the next page only while some subscription waits for it, woken by this
 * process's appends, a NOTIFY, a re-check while a read is held back, or the safety poll. Its reads
 * are the subscriptions' own commit-safe pages (readGlobalPage): nothing is handed out before every
 * transaction that could still add an earlier event has ended. A failed read resets it; the
 * subscriptions then read pages of their own, which meet the same failure as before and retry.
 * With about ten consumers per process, one read per wake-up replaces ten (and the JSON of each
 * event is parsed once instead of once per consumer that reads its data).
 */
class LogTail {
  private events: RecordedEvent[] = [];
  private base: string | undefined;
  private head = LOG_START;
  private readonly waiters = new Set<() => void>();
  private running = false;
  private signalled = false;
  private wake: (() => void) | undefined;

  constructor(private readonly readPage: (after: string) => Promise<GlobalPage>) {}

  /**
   * The events after `cursor` that match `filter`, and how far the log has been examined — or
   * undefined when the tail does not hold everything after `cursor` (not running, or `cursor` lies
   * before its window).
   */
  take(cursor: string, filter: AllFilter): { events: RecordedEvent[]; examined: string } | undefined {
    if (this.base === undefined || cursor < this.base) return undefined;
    if (cursor >= this.head) return { events: [], examined: this.head };
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.events[middle].position <= cursor) low = middle + 1;
      else high = middle;
    }
    const after = this.events.slice(low);
    return { events: filter.eventTypes?.length || filter.streamPrefixes?.length ? after.filter((event) => matches(event, filter)) : after, examined: this.head };
  }

  /** A subscription that caught up at `position`: starts the tail there if it is not running. True if the tail now covers it. */
  join(position: string): boolean {
    if (this.base === undefined) {
      this.base = position;
      this.head = position;
      this.events = [];
    }
    return position >= this.base;
  }

  /** Resolves when the tail has read further (or was reset), or when `orWhen` resolves. */
  advanced(orWhen: Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      void orWhen.then(done);
      if (!this.running) void this.run();
    });
  }

  /** Something may have been appended. */
  signal(): void {
    this.signalled = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Forgets everything: every subscription reads pages of its own until one joins again. */
  reset(): void {
    this.base = undefined;
    this.head = LOG_START;
    this.events = [];
    this.signal();
    this.wakeWaiters();
  }

  private async run(): Promise<void> {
    this.running = true;
    this.signalled = true; // whatever was appended while nobody waited
    try {
      while (this.waiters.size > 0 && this.base !== undefined) {
        const from = this.base;
        let heldBack = false;
        if (this.signalled) {
          this.signalled = false;
          let page: GlobalPage;
          try {
            page = await this.readPage(this.head);
          } catch {
            this.reset();
            return;
          }
          if (this.base !== from) continue; // reset (and maybe joined again) meanwhile
          if (page.events.length > 0) {
            this.events.push(...page.events);
            this.head = page.events[page.events.length - 1].position;
            if (this.events.length > TAIL_CAPACITY) {
              const dropped = this.events.splice(0, this.events.length - TAIL_CAPACITY);
              this.base = dropped[dropped.length - 1].position;
            }
            this.wakeWaiters();
          }
          if (page.full && !page.heldBack) {
            this.signalled = true;
            continue;
          }
          heldBack = page.heldBack;
        }
        if (this.waiters.size === 0) break;
        if (!this.signalled) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              this.wake = undefined;
              this.signalled = true;
              resolve();
            }, heldBack ? HELD_BACK_RECHECK_MS : SAFETY_POLL_MS);
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      }
    } finally {
      this.running = false;
    }
  }

  private wakeWaiters(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * A client that is handed one statement at a time: each waits for the one before it to end. The
 * LISTEN connection serves the shared tail's reads and the coalesced NOTIFYs, one of each at most
 * at a time; pg 8 queues a statement sent while another runs (as this does, so the order and the
 * round trips are the same), pg 9 will refuse it.
 */
function oneAtATime(client: Client): Queryable {
  let last: Promise<unknown> = Promise.resolve();
  return {
    query<R extends QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>> {
      const result = last.then(() => client.query<R>(config));
      last = result.then(
        () => undefined, // not the rows: a tail page would be kept until the next statement
        () => undefined,
      );
      return result;
    },
  };
}

/** Does the event pass the filter (as the SQL of readSubscriptionPage decides)? */
function matches(event: RecordedEvent, filter: AllFilter): boolean {
  if (filter.eventTypes?.length && !filter.eventTypes.includes(event.type)) return false;
  if (filter.streamPrefixes?.length && !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix))) return false;
  return true;
}

/**
 * One LISTEN connection shared by all subscriptions of a store. It is opened with the first
 * subscription and closed with the last; if it drops, subscriptions fall back to their timers
 * and the next re-check reconnects.
 */
class ChangeListener {
  private client: Client | undefined;
  /** The client's statements, one at a time (see oneAtATime). */
  private serial: Queryable | undefined;
  private connecting: Promise<void> | undefined;
  private readonly onChange = new Set<() => void>();
  private closed = false;

  constructor(private readonly config: ClientConfig) {}

  /** Registers a callback for every append; returns the function that unregisters it. */
  add(callback: () => void): () => void {
    this.onChange.add(callback);
    this.reconnectIfNeeded();
    return () => {
      this.onChange.delete(callback);
      if (this.onChange.size === 0) void this.disconnect();
    };
  }

  /**
   * The LISTEN connection while it is up, else undefined. The tail's reads and the NOTIFYs go over
   * it, one statement at a time.
   */
  connection(): Queryable | undefined {
    return this.closed || !this.client ? undefined : this.serial;
  }

  /** An append of this process committed: the same as a NOTIFY, without the round trip. */
  localChange(): void {
    this.notifyAll();
  }

  reconnectIfNeeded(): void {
    if (this.closed || this.client || this.connecting || this.onChange.size === 0) return;
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.disconnect();
  }

  private async connect(): Promise<void> {
    const client = new Client(this.config);
    const forget = () => {
      if (this.client === client) this.client = undefined;
    };
    client.on('notification', () => this.notifyAll());
    client.on('error', forget);
    client.on('end', forget);
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_NOTIFY_CHANNEL}`);
    } catch {
      await client.end().catch(() => undefined);
      return; // subscriptions keep polling and retry on their next re-check
    }
    if (this.closed || this.onChange.size === 0) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.serial = oneAtATime(client);
    // Appends committed before LISTEN took effect sent no notification we could see.
    this.notifyAll();
  }

  private async disconnect(): Promise<void> {
    await this.connecting;
    if (!this.closed && this.onChange.size > 0) return; // a new subscription arrived meanwhile
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private notifyAll(): void {
    for (const callback of this.onChange) callback();
  }
}

type AppendMode = 'exact' | 'no_stream' | 'any' | 'stream_exists';

function appendMode(expected: ExpectedVersion): AppendMode {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return expected;
  if (!Number.isSafeInteger(expected) || expected < NO_STREAM_VERSION) {
    throw new RangeError(`Invalid expected version: ${String(expected)}`);
  }
  return expected === NO_STREAM_VERSION ? 'no_stream' : 'exact';
}

/**
 * How each expectation becomes part of the INSERT ... SELECT: `base` is the version of the stream's
 * last event before the append (event i of the batch gets base + i), `head` an optional FROM item
 * it reads, `guard` the condition without which nothing is inserted.
 * - exact N: base N, and only if the event at version N is committed. With the unique
 *   (stream_id, stream_version) index that rules out both a stale and a future expected version,
 *   and so any gap. (A concurrent append at N + 1 makes the insert wait for it, then fail.)
 * - no_stream: base -1. Version 0 is taken only once, by the unique index.
 * - any / stream_exists: the current last version (-1 / no stream for a missing stream). A
 *   concurrent append can take the next version first; the unique index refuses ours and the
 *   store retries.
 * The guard is an uncorrelated subquery, so it runs once, before any row is built.
 */
const EXPECTATION: Record<AppendMode, { base: string; head?: string; guard?: string }> = {
  exact: {
    base: '$7::bigint',
    guard: 'EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND stream_version = $7::bigint)',
  },
  no_stream: { base: '-1::bigint' },
  any: {
    base: 'head.version',
    head: '(SELECT coalesce(max(stream_version), -1) AS version FROM events WHERE stream_id = $1) AS head',
  },
  stream_exists: {
    base: 'head.version',
    head: '(SELECT max(stream_version) AS version FROM events WHERE stream_id = $1) AS head',
    guard: 'head.version IS NOT NULL',
  },
};

/**
 * One server time per append (now() is the transaction's start), truncated to milliseconds so that
 * a JS Date holds it exactly. It is stored once, in recorded_at, and handed out as
 * metadata.recordedAt on every read (building it into the jsonb on insert cost server CPU on the
 * hot path). A recordedAt the client sends is dropped.
 */
const RECORDED_AT = `date_trunc('milliseconds', now())`;

/** A named append statement: its query config, which each append's config takes as prototype. */
interface AppendStatement {
  readonly name: string;
  readonly text: string;
  readonly rowMode: 'array';
  readonly types: { getTypeParser: (oid: number) => (text: string) => string };
}

const statements = new Map<string, AppendStatement>();

/**
 * What an append returns, as one text column: the stream's last version, the transaction id and the
 * last position, separated by spaces (NULL when nothing was inserted). One column of text, left
 * unparsed, costs the client less than three (pg builds a parser and a row template per column for
 * every result).
 */
const APPEND_RESULT = (version: string, position: string, transactionId = 'transaction_id') =>
  `${version}::text || ' ' || ${transactionId}::text || ' ' || ${position}::text`;

/**
 * The append INSERT for an expectation and a batch shape, as a named statement: parsed and planned
 * once per connection. A single event is passed as scalars (no array literal to build on the
 * client and to parse on the server) and its plan is a bare Result node under the Insert. A batch
 * passes its data and its metadata as one JSON array each (jsonb_array_elements hands out each
 * element without parsing it again), not as jsonb[] literals, whose every quote pg escapes on the
 * client and PostgreSQL unescapes before parsing each element's JSON. `answered`: the statement
 * also remembers a keyed command's answer (AppendOptions.answer), see answeredText.
 */
function appendStatement(mode: AppendMode, shape: 'single' | 'batch', answered: boolean): AppendStatement {
  const key = `${mode}_${shape}${answered ? '_answered' : ''}`;
  let statement = statements.get(key);
  if (statement) return statement;
  const insert = appendInsert(mode, shape);
  const text = answered ? answeredText(insert, mode === 'exact' ? 8 : 7) : shape === 'single' ? `${insert} RETURNING ${APPEND_RESULT('stream_version', 'position')}` : summarised(insert);
  statement = { name: `grant_ledger_append_${key}`, text, rowMode: 'array', types: TEXT_ROW_TYPES };
  statements.set(key, statement);
  return statement;
}

/** The INSERT ... SELECT of an append, without its RETURNING. */
function appendInsert(mode: AppendMode, shape: 'single' | 'batch'): string {
  const { base, head, guard } = EXPECTATION[mode];
  // The stream's advisory lock, exclusive until commit (see appendIfUnchanged), taken before any row
  // is inserted, so before the transaction has an id. (The function returns void, read as ''.)
  const takeLock = `pg_advisory_xact_lock(${STREAM_LOCK_CLASS}, hashtext($1))::text = ''`;
  const columns = 'stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at';
  const single = (from: string) => `INSERT INTO events (${columns})
         SELECT $1, ${base} + 1, $2::uuid, $3::text, $4::int, $5::jsonb, $6::jsonb, ${RECORDED_AT}
           ${from}`;
  if (shape === 'single' && mode === 'exact') {
    // The hot path (a command on an existing stream): the event at version N is the row the INSERT
    // selects from, by the unique index, and the lock is a filter on that one row, instead of a
    // Result node over two InitPlans (executor start-up and subplans were ~15 % of the server's CPU
    // of an append in a profile). Taking the lock after reading the row changes nothing: the
    // transaction gets its id only when it inserts, after the lock, so it still lands after a
    // conditional append it waited for. The lock names $1, not the row: any plan locks only this stream.
    return single(`FROM events head WHERE head.stream_id = $1 AND head.stream_version = $7::bigint AND ${takeLock}`);
  }
  if (shape === 'single' && mode === 'no_stream') return single(`WHERE ${takeLock}`); // no FROM: one row, one evaluation
  // Elsewhere the lock is an uncorrelated subquery, so it runs once whatever the plan.
  const where = `WHERE (SELECT ${takeLock})${guard ? ` AND ${guard}` : ''}`;
  if (shape === 'single') return single(`${head ? `FROM ${head}` : ''} ${where}`);
  // Positions follow the batch order.
  return `INSERT INTO events (${columns})
           SELECT $1, ${base} + e.ord, e.event_id, e.type, e.schema_version, e.data, e.metadata, ${RECORDED_AT}
             FROM ROWS FROM (unnest($2::uuid[]), unnest($3::text[]), unnest($4::int[]), jsonb_array_elements($5::jsonb), jsonb_array_elements($6::jsonb))
                  WITH ORDINALITY AS e(event_id, type, schema_version, data, metadata, ord)
                  ${head ? `CROSS JOIN ${head}` : ''}
            ${where}
            ORDER BY e.ord`;
}

/** An append's one summary row (NULL if nothing was inserted), after any other parts of the statement. */
function summarised(insert: string, more = ''): string {
  return `WITH appended AS (${insert} RETURNING stream_version, position)${more}
         SELECT ${APPEND_RESULT('max(stream_version)', 'max(position)', 'pg_current_xact_id()')} FROM appended`;
}

/**
 * The append that also remembers a keyed command's answer `{ id, version }` (AppendOptions.answer,
 * parameters from $first on: scope, key, request hash, status, id), in the same statement, so in
 * the same transaction: a second round trip and a second commit fewer for every keyed command
 * (issue 11). The answer is written only if the events were, with the version they reached. A key
 * that already holds an answer refuses it, and with it the whole statement, events included
 * (IdempotencyKeyTakenError): the caller need not look the key up before the command runs, and two
 * requests with one key at the same moment cannot both take effect (the second waits for the first's
 * row and fails once it commits).
 */
function answeredText(insert: string, first: number): string {
  const [scope, key, requestHash, status, id] = [0, 1, 2, 3, 4].map((offset) => `$${first + offset}`);
  return summarised(
    insert,
    `,
         answered AS (
           INSERT INTO idempotency_keys (scope, key, request_hash, state, status, response)
           SELECT ${scope}::text, ${key}::text, ${requestHash}::text, 'done', ${status}::int, jsonb_build_object('id', ${id}::text, 'version', max(stream_version))
             FROM appended HAVING count(*) > 0
         )`,
  );
}

const TEXT_ROW_TYPES = { getTypeParser: () => keepText };

/** A single-event append that may go in a group (see AppendGroups). */
interface GroupedAppend {
  readonly streamId: string;
  readonly event: NewEvent;
  readonly expected: number | 'no_stream';
  /** A keyed command's answer, remembered in the group's transaction as the single append does (answeredText). */
  readonly answer?: AnswerToRemember;
}

/** The most appends one group statement carries. */
const MAX_APPEND_GROUP = 64;

/**
 * A group's appends in one statement, each as its single append would be, or not at all:
 * - each member's stream lock is TRIED (pg_try_advisory_xact_lock): a member whose stream is locked
 *   (an append or a conditional append in flight on it) is left out, so the group never waits for a
 *   lock and can never be part of a deadlock;
 * - an exact expected version N needs the event at N; the row at N + 1 (or 0 for no stream) and the
 *   event id are taken by the unique indexes, and ON CONFLICT DO NOTHING leaves a member that meets
 *   either out instead of failing the group. With the lock held, a conflicting row is one committed
 *   already (the indexes check against the latest committed rows, not the statement's snapshot);
 * - a member left out is not in the result, and the caller appends it alone, which tells a
 *   conflict, a retry of an append already stored and a duplicate event id apart as it always does.
 * Positions follow the members' order. One row per member appended: its version, transaction id,
 * position and stream id, as one text column (see APPEND_RESULT).
 */
const APPEND_GROUP = appendGroupStatement(false);

/**
 * APPEND_GROUP with keyed commands' answers ($8-$12: scope, key, request hash, status and id per
 * member, NULL for an unkeyed one), each written in the same statement as its member's event and
 * only if that event was, as answeredText does for one append. A key that holds an answer already
 * fails the whole statement (a unique violation, not skipped), so every member is then appended
 * alone, and the one whose key was taken meets IdempotencyKeyTakenError there.
 */
const APPEND_GROUP_ANSWERED = appendGroupStatement(true);

/** The group statements' texts (plain, answered): for the test that checks their plans never scan the log. */
export const APPEND_GROUP_TEXTS: readonly [string, string] = [APPEND_GROUP.text, APPEND_GROUP_ANSWERED.text];

function appendGroupStatement(answered: boolean): { name: string; text: string; rowMode: 'array'; types: typeof TEXT_ROW_TYPES } {
  const answerColumns = answered ? ', unnest($8::text[]), unnest($9::text[]), unnest($10::text[]), unnest($11::int[]), unnest($12::text[])' : '';
  const answerNames = answered ? ', scope, key, request_hash, status, answer_id' : '';
  const answers = answered
    ? `,
         answered AS (
           INSERT INTO idempotency_keys (scope, key, request_hash, state, status, response)
           SELECT i.scope, i.key, i.request_hash, 'done', i.status, jsonb_build_object('id', i.answer_id, 'version', a.stream_version)
             FROM appended a JOIN input i ON i.stream_id = a.stream_id
            WHERE i.key IS NOT NULL
         )`
    : '';
  return {
    name: `grant_ledger_append_group${answered ? '_answered' : ''}`,
    text: `WITH input AS MATERIALIZED (
           SELECT * FROM ROWS FROM (unnest($1::text[]), unnest($2::bigint[]), unnest($3::uuid[]), unnest($4::text[]), unnest($5::int[]),
                                    jsonb_array_elements($6::jsonb), jsonb_array_elements($7::jsonb)${answerColumns})
                    WITH ORDINALITY AS e(stream_id, expected, event_id, type, schema_version, data, metadata${answerNames}, ord)
         ),
         locked AS MATERIALIZED (
           SELECT ord FROM input WHERE pg_try_advisory_xact_lock(${STREAM_LOCK_CLASS}, hashtext(stream_id))
         ),
         appended AS (
           INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
           SELECT i.stream_id, i.expected + 1, i.event_id, i.type, i.schema_version, i.data, i.metadata, ${RECORDED_AT}
             FROM input i JOIN locked USING (ord)
             -- The event at the expected version, probed per member through the unique index: as a
             -- correlated EXISTS the planner took a hashed subplan over a scan of the whole log
             -- (4-8 ms a group at 10,000-100,000 events, growing with the log). The LIMIT keeps the
             -- lateral subquery from being flattened into a join it could hash the same way.
             LEFT JOIN LATERAL (SELECT true AS found FROM events head WHERE head.stream_id = i.stream_id AND head.stream_version = i.expected LIMIT 1) head ON true
            WHERE i.expected = -1 OR head.found
            ORDER BY i.ord
           ON CONFLICT DO NOTHING
           RETURNING stream_id, stream_version, transaction_id, position
         )${answers}
         SELECT stream_version::text || ' ' || transaction_id::text || ' ' || position::text || ' ' || stream_id FROM appended`,
    rowMode: 'array',
    types: TEXT_ROW_TYPES,
  };
}

/** A group result row as [streamId, version, transactionId, position] (the stream id is last in the text: it may hold spaces). */
function splitGroupResult(text: string): [string, string, string, string] {
  const first = text.indexOf(' ');
  const second = text.indexOf(' ', first + 1);
  const third = text.indexOf(' ', second + 1);
  return [text.slice(third + 1), text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1, third)];
}

/**
 * An append's query config. Its own properties are the values only, the statement is its prototype:
 * pg copies every query config it is given, property by property, and that copy (a few µs with the
 * statement's own properties) was one of the larger items of an append's client CPU.
 */
function appendQuery(mode: AppendMode, streamId: string, events: NewEvent[], expected: ExpectedVersion, answer?: AnswerToRemember): QueryConfig {
  const query = Object.create(appendStatement(mode, events.length === 1 ? 'single' : 'batch', answer !== undefined)) as QueryConfig;
  const values = appendValues(streamId, events, expected);
  if (answer) values.push(answer.scope, answer.key, answer.requestHash, answer.status, answer.id);
  query.values = values;
  return query;
}

/** The result of an append from its one row (none, or NULL: nothing was inserted); with an answer, it was written too. */
function appendResult(rows: [string | null][], answer?: AnswerToRemember): AppendResult | undefined {
  const result = rows[0]?.[0];
  if (result == null) return undefined;
  const [version, transactionId, position] = result.split(' ');
  const appended = { nextExpectedVersion: Number(version), position: encodePosition(transactionId, position) };
  return answer ? { ...appended, answerRemembered: true } : appended;
}

function appendValues(streamId: string, events: NewEvent[], expected: ExpectedVersion): unknown[] {
  // data is serialised here: pg would pass a string `data` through unquoted, which is not JSON.
  const values: unknown[] =
    events.length === 1
      ? [
          streamId,
          events[0].metadata.eventId,
          events[0].type,
          events[0].schemaVersion,
          JSON.stringify(events[0].data ?? null),
          storedMetadata(events[0].metadata),
        ]
      : [
          streamId,
          events.map((event) => event.metadata.eventId),
          events.map((event) => event.type),
          events.map((event) => event.schemaVersion),
          `[${events.map((event) => JSON.stringify(event.data ?? null)).join(',')}]`,
          `[${events.map((event) => storedMetadata(event.metadata)).join(',')}]`,
        ];
  if (typeof expected === 'number' && expected !== NO_STREAM_VERSION) values.push(expected);
  return values;
}

/** Metadata as stored: everything but recordedAt, which is the recorded_at column's (server time). */
function storedMetadata(metadata: EventMetadata): string {
  if (metadata.recordedAt === undefined) return JSON.stringify(metadata);
  const { recordedAt: _ignored, ...rest } = metadata;
  return JSON.stringify(rest);
}

function isUniqueViolation(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === UNIQUE_VIOLATION && (constraint === STREAM_VERSION_TAKEN || constraint === EVENT_ID_TAKEN);
}

/** The primary key of idempotency_keys (scope, key). */
const ANSWER_KEY_TAKEN = 'idempotency_keys_pkey';

/** An answered append refused because its key holds an answer already (see answeredText), as the port's error. */
function answerKeyTaken(error: unknown): IdempotencyKeyTakenError | undefined {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === UNIQUE_VIOLATION && constraint === ANSWER_KEY_TAKEN ? new IdempotencyKeyTakenError() : undefined;
}

/** The event id of a unique violation on events.event_id, or undefined for any other error. */
function duplicateEventId(error: unknown): string | undefined {
  const { constraint, detail } = error as { constraint?: string; detail?: string };
  if (constraint !== EVENT_ID_TAKEN) return undefined;
  // detail: Key (event_id)=(4f1c...) already exists.
  return /\(event_id\)=\(([^)]+)\)/.exec(detail ?? '')?.[1] ?? 'unknown';
}

/** A filter as query parameters: type names, and stream prefixes as escaped LIKE patterns (null: no condition). */
function filterParameters(filter: AllFilter): { eventTypes: string[] | null; streamPatterns: string[] | null } {
  return {
    eventTypes: filter.eventTypes?.length ? filter.eventTypes : null,
    streamPatterns: filter.streamPrefixes?.length ? filter.streamPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`) : null,
  };
}

function checkMaxCount(maxCount: number): number {
  if (!Number.isSafeInteger(maxCount) || maxCount < 1) throw new RangeError(`Invalid maxCount: ${maxCount}`);
  return maxCount;
}

// Zero-padded so that positions also sort as plain strings; xid8 and bigint both fit in 20 digits.
const POSITION_DIGITS = 20;
const POSITION_PATTERN = /^(\d{1,20})-(\d{1,20})$/;

function encodePosition(transactionId: string, position: string): string {
  return `${transactionId.padStart(POSITION_DIGITS, '0')}-${position.padStart(POSITION_DIGITS, '0')}`;
}

const MAX_XID8 = (1n << 64n) - 1n;
const MAX_BIGINT = (1n << 63n) - 1n;

function decodePosition(position: string): [transactionId: string, position: string] {
  const match = POSITION_PATTERN.exec(position);
  if (!match) throw new RangeError(`Not a position of this event store: ${position}`);
  const transactionId = BigInt(match[1]);
  const globalPosition = BigInt(match[2]);
  // Well-formed but out of range for xid8/bigint: not a position this store ever handed out.
  if (transactionId > MAX_XID8 || globalPosition > MAX_BIGINT) throw new RangeError(`Not a position of this event store: ${position}`);
  return [transactionId.toString(), globalPosition.toString()];
}

/** The ISO text of the last recorded time seen: the events of one append share it. */
let lastRecorded = { ms: NaN, iso: '' };

/**
 * A row as an event. The row's metadata object is pg's fresh parse of this row alone, so
 * recordedAt is set on it rather than on a copy (one object less per event: catch-ups allocate
 * enough for the collector to take a sixth of their CPU).
 */
/**
 * A read event, built by a constructor rather than an object literal: V8 may decide that objects
 * made at one literal live long ("allocation-site pretenuring", once a process has held many read
 * events at a time, e.g. a fold of a long stream) and allocate them in the old generation from then
 * on, where every later read's events and their contents were copied and promoted by the young
 * collector (measured in an as-of replay: 18-32 ms of ~120 ms of CPU). Objects a constructor makes
 * are never pretenured that way. Plain data all the same: only own enumerable fields.
 */
class StoredEvent implements RecordedEvent {
  constructor(
    readonly streamId: string,
    readonly streamVersion: number,
    readonly position: string,
    readonly eventId: string,
    readonly type: string,
    readonly schemaVersion: number,
    readonly data: unknown,
    readonly metadata: RecordedEvent['metadata'],
    readonly recordedAt: Date,
  ) {}
}

/** A row of STREAM_EVENT_ACTOR_ONLY or PAGE_EVENT_ACTOR_ONLY, its metadata element (the actorId) made `{ actorId }`. */
function actorOnly(row: EventRow): EventRow {
  row[C_METADATA] = { actorId: row[C_METADATA] ?? null };
  return row;
}

function rowToRecordedEvent(row: EventRow, streamId: string): RecordedEvent {
  const recordedMs = Number(row[C_RECORDED_MS]);
  if (lastRecorded.ms !== recordedMs) lastRecorded = { ms: recordedMs, iso: new Date(recordedMs).toISOString() };
  const metadata = row[C_METADATA] as RecordedEvent['metadata'];
  metadata.recordedAt = lastRecorded.iso;
  return new StoredEvent(
    streamId,
    Number(row[C_STREAM_VERSION]),
    encodePosition(row[C_TRANSACTION_ID] as string, row[C_POSITION] as string),
    row[C_EVENT_ID] as string,
    row[C_TYPE] as string,
    Number(row[C_SCHEMA_VERSION]),
    row[C_DATA],
    metadata,
    new Date(recordedMs),
  );
}
