import { Client, ClientConfig, Pool } from 'pg';
import {
  AllFilter,
  AppendResult,
  DuplicateEventIdError,
  EventMetadata,
  EventStore,
  EventSubscription,
  ExpectedVersion,
  NewEvent,
  NO_STREAM_VERSION,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  WrongExpectedVersionError,
} from '../event-store.port';

/**
 * Either a connection string (the store creates and owns a pool and closes it in `close()`), or
 * an existing pool (the caller keeps owning it; `close()` leaves it open). LISTEN always uses a
 * dedicated client of its own, built from the same connection settings, so it never pins a pool slot.
 */
export type PostgresEventStoreOptions = { connectionString: string; poolSize?: number } | { pool: Pool };

/** Subscribers LISTEN on this channel; every store NOTIFYs it after its appends commit. */
export const EVENTS_NOTIFY_CHANNEL = 'grant_ledger_events';

// Encoding of the non-numeric expected versions for append_events (see the migration).
const EXPECTED_NO_STREAM = NO_STREAM_VERSION;
const EXPECTED_ANY = -2;
const EXPECTED_STREAM_EXISTS = -3;

const WRONG_EXPECTED_VERSION = 'GLV01';
const DUPLICATE_EVENT_ID = 'GLD01';
const UNIQUE_VIOLATION = '23505';

const DEFAULT_READ_ALL_MAX_COUNT = 1000;
const SUBSCRIPTION_PAGE_SIZE = 500;
/** Re-read this soon when events were held back by an older in-flight transaction: if that
 *  transaction aborts (or never appends), no NOTIFY will come to wake us. */
const HELD_BACK_RECHECK_MS = 50;
/** Last resort against a lost notification (e.g. the listener connection dropped). */
const SAFETY_POLL_MS = 3000;

const EVENT_COLUMNS = `position, transaction_id, stream_id, stream_version, event_id, type, schema_version,
  data, metadata, recorded_at`;

interface EventRow {
  position: string;
  transaction_id: string;
  stream_id: string;
  stream_version: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata & { recordedAt: string };
  recorded_at: Date;
}

interface GlobalPage {
  /** Events safe to hand out: every transaction that could still add an earlier one has ended. */
  events: RecordedEvent[];
  /** A committed matching event exists after these but waits for an older transaction to end. */
  heldBack: boolean;
  /** The page hit its limit: more events may be ready right now. */
  full: boolean;
}

export class PostgresEventStore implements EventStore {
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly listener: ChangeListener;
  private readonly notifier: CommitNotifier;
  private readonly subscriptions = new Set<PostgresSubscription>();
  private closed = false;

  constructor(options: PostgresEventStoreOptions) {
    if ('pool' in options) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      this.pool = new Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
      this.ownsPool = true;
      // An idle client that loses its connection is emitted here; without a handler the process
      // would crash. The pool discards the client and the next query opens a fresh one.
      this.pool.on('error', () => undefined);
    }
    this.listener = new ChangeListener(this.pool.options as ClientConfig);
    this.notifier = new CommitNotifier(this.pool);
  }

  async append(streamId: string, events: NewEvent[], expected: ExpectedVersion): Promise<AppendResult> {
    if (events.length === 0) return this.checkVersionOnly(streamId, expected);
    try {
      // One round trip: the version check, the inserts and the NOTIFY all happen in append_events.
      // A named statement is parsed and planned once per connection.
      const { rows } = await this.pool.query<{ next_expected_version: string; transaction_id: string; last_position: string }>({
        name: 'grant_ledger_append_events',
        text: 'SELECT next_expected_version, transaction_id, last_position FROM append_events($1, $2, $3, $4, $5, $6, $7)',
        values: [
          streamId,
          encodeExpected(expected),
          events.map((event) => event.metadata.eventId),
          events.map((event) => event.type),
          events.map((event) => event.schemaVersion),
          // Serialised here: pg would pass a string `data` through unquoted, which is not JSON.
          events.map((event) => JSON.stringify(event.data ?? null)),
          events.map((event) => JSON.stringify(event.metadata)),
        ],
      });
      const row = rows[0];
      this.notifier.notify();
      return {
        nextExpectedVersion: Number(row.next_expected_version),
        position: encodePosition(row.transaction_id, row.last_position),
      };
    } catch (error) {
      throw translateAppendError(error, streamId, expected);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const limit = options.maxCount === undefined ? null : checkMaxCount(options.maxCount);
    const { rows } = await this.pool.query<EventRow>(
      backwards
        ? `SELECT ${EVENT_COLUMNS} FROM events
            WHERE stream_id = $1 AND ($2::bigint IS NULL OR stream_version <= $2)
            ORDER BY stream_version DESC LIMIT $3`
        : `SELECT ${EVENT_COLUMNS} FROM events
            WHERE stream_id = $1 AND stream_version >= coalesce($2::bigint, 0)
            ORDER BY stream_version LIMIT $3`,
      [streamId, options.fromVersion ?? null, limit],
    );
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const page = await this.readGlobalPage(
      options.after,
      checkMaxCount(options.maxCount ?? DEFAULT_READ_ALL_MAX_COUNT),
      options.filter,
    );
    return page.events;
  }

  subscribe(options: SubscribeOptions = {}): EventSubscription {
    if (this.closed) throw new Error('PostgresEventStore is closed');
    const subscription = new PostgresSubscription(this, this.listener, options, () =>
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
  async readGlobalPage(after: string | undefined, limit: number, filter: AllFilter = {}): Promise<GlobalPage> {
    const [afterTransaction, afterPosition] = after === undefined ? ['0', '0'] : decodePosition(after);
    const eventTypes = filter.eventTypes?.length ? filter.eventTypes : null;
    const streamPatterns = filter.streamPrefixes?.length
      ? filter.streamPrefixes.map((prefix) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`)
      : null;
    const { rows } = await this.pool.query<EventRow & { settled: boolean }>({
      name: 'grant_ledger_read_all',
      text: `SELECT ${EVENT_COLUMNS}, transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AS settled
               FROM events
              WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
                AND ($3::text[] IS NULL OR type = ANY ($3::text[]))
                AND ($4::text[] IS NULL OR stream_id LIKE ANY ($4::text[]))
              ORDER BY transaction_id, position
              LIMIT $5`,
      values: [afterTransaction, afterPosition, eventTypes, streamPatterns, limit],
    });
    const settled = rows.filter((row) => row.settled);
    return {
      events: settled.map(toRecordedEvent),
      heldBack: settled.length < rows.length,
      full: rows.length === limit,
    };
  }

  /** An append of no events only checks the expected version (as EventStoreDB does). */
  private async checkVersionOnly(streamId: string, expected: ExpectedVersion): Promise<AppendResult> {
    const { rows } = await this.pool.query<{ version: string; transaction_id: string; position: string }>(
      `SELECT s.version, e.transaction_id, e.position
         FROM streams s JOIN events e ON e.stream_id = s.stream_id AND e.stream_version = s.version
        WHERE s.stream_id = $1`,
      [streamId],
    );
    const actual = rows.length ? Number(rows[0].version) : NO_STREAM_VERSION;
    const matches =
      expected === 'any' ||
      (expected === 'no_stream' && actual === NO_STREAM_VERSION) ||
      (expected === 'stream_exists' && actual !== NO_STREAM_VERSION) ||
      expected === actual;
    if (!matches) throw new WrongExpectedVersionError(streamId, expected, actual);
    return {
      nextExpectedVersion: actual,
      position: rows.length ? encodePosition(rows[0].transaction_id, rows[0].position) : encodePosition('0', '0'),
    };
  }
}

/**
 * Wakes subscribers in every process after appends commit. The NOTIFY is its own tiny
 * transaction, sent after the append returns rather than inside it (see append_events for why),
 * and coalesced: while one is in flight, any number of further appends cause just one more.
 * Should the process die between commit and NOTIFY, subscribers' safety poll picks the events up.
 */
class CommitNotifier {
  private inFlight: Promise<void> | undefined;
  private pending = false;

  constructor(private readonly pool: Pool) {}

  notify(): void {
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    this.inFlight = this.pool
      .query({ name: 'grant_ledger_notify', text: 'SELECT pg_notify($1, NULL)', values: [EVENTS_NOTIFY_CHANNEL] })
      .then(
        () => undefined,
        () => undefined, // best effort: subscribers fall back to their re-check timers
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.pending) {
          this.pending = false;
          this.notify();
        }
      });
  }

  /** Waits for the notifications still in flight (before the pool is closed). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }
}

/**
 * A catch-up subscription: pages through the log from `after`, then waits for a NOTIFY (or a
 * re-check timer) and reads again. It holds no connection while waiting. Single consumer.
 */
class PostgresSubscription implements EventSubscription {
  private closed = false;
  /** Set by every wake-up; a read that started before it may have missed the new events. */
  private signalled = false;
  private wake: (() => void) | undefined;
  private readonly stopListening: () => void;

  constructor(
    private readonly store: PostgresEventStore,
    private readonly listener: ChangeListener,
    private readonly options: SubscribeOptions,
    private readonly onClose: () => void,
  ) {
    this.stopListening = listener.add(() => this.signal());
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    let cursor = this.options.after;
    try {
      while (!this.closed) {
        this.signalled = false;
        const page = await this.store.readGlobalPage(cursor, SUBSCRIPTION_PAGE_SIZE, this.options.filter);
        for (const event of page.events) {
          if (this.closed) return;
          yield event;
          cursor = event.position;
        }
        if (page.full && !page.heldBack) continue;
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
 * One LISTEN connection shared by all subscriptions of a store. It is opened with the first
 * subscription and closed with the last; if it drops, subscriptions fall back to their timers
 * and the next re-check reconnects.
 */
class ChangeListener {
  private client: Client | undefined;
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

function encodeExpected(expected: ExpectedVersion): number {
  switch (expected) {
    case 'any':
      return EXPECTED_ANY;
    case 'no_stream':
      return EXPECTED_NO_STREAM;
    case 'stream_exists':
      return EXPECTED_STREAM_EXISTS;
    default:
      if (!Number.isSafeInteger(expected) || expected < NO_STREAM_VERSION) {
        throw new RangeError(`Invalid expected version: ${String(expected)}`);
      }
      return expected;
  }
}

function translateAppendError(error: unknown, streamId: string, expected: ExpectedVersion): unknown {
  const { code, detail, constraint } = error as { code?: string; detail?: string; constraint?: string };
  if (code === WRONG_EXPECTED_VERSION) return new WrongExpectedVersionError(streamId, expected, Number(detail));
  if (code === DUPLICATE_EVENT_ID && detail) return new DuplicateEventIdError(detail);
  if (code === UNIQUE_VIOLATION && constraint === 'events_event_id_key') {
    // detail: Key (event_id)=(4f1c...) already exists.
    const eventId = /\(event_id\)=\(([^)]+)\)/.exec(detail ?? '')?.[1] ?? 'unknown';
    return new DuplicateEventIdError(eventId);
  }
  return error;
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

function decodePosition(position: string): [transactionId: string, position: string] {
  const match = POSITION_PATTERN.exec(position);
  if (!match) throw new RangeError(`Not a position of this event store: ${position}`);
  return [BigInt(match[1]).toString(), BigInt(match[2]).toString()];
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    streamVersion: Number(row.stream_version),
    position: encodePosition(row.transaction_id, row.position),
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at,
  };
}
