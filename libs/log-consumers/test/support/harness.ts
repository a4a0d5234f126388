/**
 * What the log-consumer integration tests share: synthetic events and projectors, a gate (a promise
 * the test releases), bounded waits, and a watcher that samples a consumer's checkpoint row.
 * Nothing here is a test; it only builds them.
 */
import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent, RecordedEvent } from '@app/event-store';
import type { Projector } from '@app/log-consumers';
import type { StructuredLogger } from '@app/platform/logging/structured-logger';
import { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined, or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`not within ${timeoutMs} ms: ${what}${lastError instanceof Error ? ` (last error: ${lastError.message})` : ''}`);
    }
    await sleep(everyMs);
  }
}

/** A promise the test controls: whoever awaits `wait()` is held until `open()`. */
export class Gate {
  private release!: () => void;
  private readonly opened: Promise<void>;
  private waiters = 0;

  constructor() {
    this.opened = new Promise<void>((resolve) => (this.release = resolve));
  }

  wait(): Promise<void> {
    this.waiters++;
    return this.opened;
  }

  /** How many callers have reached the gate so far. */
  get reached(): number {
    return this.waiters;
  }

  open(): void {
    this.release();
  }
}

export interface LogLine {
  level: 'log' | 'error';
  message: string;
  context?: Record<string, unknown>;
}

/** A runtime logger that keeps every line (assertions and failure messages) and prints nothing. */
export function recordingLogger(): StructuredLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    log: (message, context) => void lines.push({ level: 'log', message, context }),
    error: (message, context) => void lines.push({ level: 'error', message, context }),
  };
}

/** The test's own connections to the database, outside any runtime's pool. */
export function testPool(url: string, max = 3): Pool {
  const pool = new Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined); // an idle client cut by a database restart: the next query reconnects
  return pool;
}

/** Event `n` of a test: `data.n` is unique across the test, so rows can be checked against it. */
export function numberedEvent(n: number): NewEvent {
  return {
    type: 'Test.Numbered.v1',
    schemaVersion: 1,
    data: { n },
    metadata: { eventId: randomUUID(), actorId: 'test', actorRole: 'admin', correlationId: 'corr', causationId: 'cause' },
  };
}

export const numberOf = (event: RecordedEvent): number => (event.data as { n: number }).n;

/**
 * Appends events `from` … `from + count - 1`, `perAppend` to a call, each call a new stream under
 * `prefix`. Returns the position of the last one (the head of this test's part of the log).
 */
export async function appendNumbered(store: EventStore, prefix: string, from: number, count: number, perAppend = 1_000): Promise<string> {
  let last = '';
  for (let first = from; first < from + count; first += perAppend) {
    const events: NewEvent[] = [];
    for (let n = first; n < Math.min(from + count, first + perAppend); n++) events.push(numberedEvent(n));
    last = (await store.append(`${prefix}-${first}`, events, 'no_stream')).position;
  }
  return last;
}

/**
 * Every event of the test's streams, in log order; with `count`, once that many are readable. A read
 * of the global log holds back what a transaction open elsewhere on the server could still precede
 * (xmin is server-wide, and test files run side by side on one server): it waits for them only so
 * long, so right after an append a read may still miss events (readAll's comment).
 */
export async function readPrefix(store: EventStore, prefix: string, count?: number): Promise<RecordedEvent[]> {
  const read = async (): Promise<RecordedEvent[]> => {
    const all: RecordedEvent[] = [];
    for (;;) {
      const page = await store.readAll({ after: all.at(-1)?.position, maxCount: 1_000, filter: { streamPrefixes: [`${prefix}-`] } });
      if (page.length === 0) return all;
      all.push(...page);
    }
  };
  if (count === undefined) return read();
  return eventually(`${count} events of ${prefix} readable`, async () => {
    const all = await read();
    return all.length >= count ? all : undefined;
  });
}

/**
 * A table of rows a projector writes, one per event: a second application of the same event is not
 * an error (that would be retried and hide the fact) but counts up `applied`, so the test sees it.
 */
export async function createSeenTable(pool: Pool, table: string): Promise<void> {
  await pool.query(`CREATE TABLE ${table} (position text PRIMARY KEY, n int NOT NULL, owner text, applied int NOT NULL DEFAULT 1)`);
}

export const insertSeenSql = (table: string) =>
  `INSERT INTO ${table} (position, n, owner) SELECT p, n, $3 FROM unnest($1::text[], $2::int[]) AS t (p, n)
   ON CONFLICT (position) DO UPDATE SET applied = ${table}.applied + 1`;

export interface SeenSummary {
  rows: number;
  /** Rows written more than once. */
  twice: number;
  distinctN: number;
  minN: number | null;
  maxN: number | null;
}

export async function seenSummary(pool: Pool, table: string): Promise<SeenSummary> {
  const { rows } = await pool.query<{ rows: number; twice: number; distinct_n: number; min_n: number | null; max_n: number | null }>(
    `SELECT count(*)::int AS rows, count(*) FILTER (WHERE applied > 1)::int AS twice, count(DISTINCT n)::int AS distinct_n,
            min(n) AS min_n, max(n) AS max_n FROM ${table}`,
  );
  const [row] = rows;
  return { rows: row.rows, twice: row.twice, distinctN: row.distinct_n, minN: row.min_n, maxN: row.max_n };
}

/**
 * A projector that writes one row per event into `table`. `hook` runs first, inside the batch's
 * transaction, for tests that hold or break a batch. Every call is recorded (`calls`), committed or not.
 */
export function seenProjector(
  name: string,
  prefix: string,
  table: string,
  options: { owner?: string; hook?: (events: readonly RecordedEvent[], tx: EntityManager) => Promise<void> | void } = {},
): Projector & { calls: { first: number; last: number; size: number }[] } {
  const calls: { first: number; last: number; size: number }[] = [];
  return {
    kind: 'projector',
    name,
    filter: { streamPrefixes: [`${prefix}-`] },
    calls,
    async apply(events, tx) {
      calls.push({ first: numberOf(events[0]), last: numberOf(events[events.length - 1]), size: events.length });
      await tx.query(insertSeenSql(table), [events.map((e) => e.position), events.map(numberOf), options.owner ?? null]);
      await options.hook?.(events, tx);
    },
  };
}

export interface ConsumerRowSample {
  position: string | null;
  owner: string | null;
  fencingToken: string;
  at: number;
}

export async function consumerRow(pool: Pool, name: string): Promise<ConsumerRowSample | undefined> {
  const { rows } = await pool.query<{ position: string | null; owner: string | null; fencing_token: string; expired: boolean }>(
    `SELECT position, CASE WHEN lease_expires_at > clock_timestamp() THEN owner END AS owner, fencing_token::text FROM log_consumers WHERE name = $1`,
    [name],
  );
  const [row] = rows;
  return row && { position: row.position, owner: row.owner, fencingToken: row.fencing_token, at: Date.now() };
}

/**
 * Samples a consumer's row every `everyMs` (errors, e.g. during a database restart, are counted and
 * skipped) and records every time its checkpoint went backwards. Positions are zero-padded, so they
 * compare as plain strings.
 */
export class CheckpointWatcher {
  readonly samples: ConsumerRowSample[] = [];
  readonly backwards: { from: string | null; to: string | null }[] = [];
  failedSamples = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly pool: Pool,
    private readonly name: string,
    private readonly everyMs = 20,
  ) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const sample = await consumerRow(this.pool, this.name);
        if (sample) {
          const previous = this.samples.at(-1);
          if (previous?.position != null && (sample.position === null || sample.position < previous.position)) {
            this.backwards.push({ from: previous.position, to: sample.position });
          }
          this.samples.push(sample);
        }
      } catch {
        this.failedSamples++;
      }
      await sleep(this.everyMs);
    }
  }
}

/**
 * The data source as a runtime sees it, with its plain statements (the heartbeat) stalled while
 * `heartbeatGate.gate` is set — a long pause or a partition; projector transactions still go through.
 */
export function stallablePlainStatements(dataSource: DataSource): { heartbeatGate: { gate: Gate | undefined }; stalling: DataSource } {
  const heartbeatGate = { gate: undefined as Gate | undefined };
  const stalling = new Proxy(dataSource, {
    get(target, property) {
      if (property === 'query') {
        return async (sql: string, params?: unknown[]) => {
          await heartbeatGate.gate?.wait();
          return target.query(sql, params);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { heartbeatGate, stalling };
}
