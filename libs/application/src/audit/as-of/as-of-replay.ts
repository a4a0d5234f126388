import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@app/event-store';
import { eventsFor } from '@app/log-consumers';
import { PROJECTIONS, type Projection } from '@app/read-models/projection/projection';
import { quoteIdent } from '@app/read-models/rebuild/shadow-schema';
import type { PoolClient } from 'pg';
import { DataSource, type EntityManager, type QueryRunner } from 'typeorm';
import { EVENT_CODEC, type EventCodec } from '../../event-codec';

/** One table's rows of the entity, selected by `column = id` (for snapshots). */
export interface AsOfSnapshotTable {
  table: string;
  column: string;
  id: string;
}

/** What one feature's as-of read needs: its stream, its projection, its rows, and the live route's own read. */
export interface AsOfTarget<T> {
  streamId: string;
  /** Name of the feature's projection (as registered in PROJECTIONS). */
  projection: string;
  /** Reads the rows back exactly as the live route does (its unqualified SQL finds the replay's scratch tables). */
  read(tx: EntityManager): Promise<T | null>;
  /**
   * Every row the projection keeps for the entity, when they may be stored in `as_of_snapshots`.
   * Only for projections whose rows carry NO personal data (a snapshot would outlive erasure);
   * omit it to always replay from the first event.
   */
  snapshot?: readonly AsOfSnapshotTable[];
}

/** Stream pages requested at once (see pagesUpTo): the next one is read while this one is applied. */
const PAGES_AHEAD = 2;
/** A snapshot is kept after every this many events of a stream (each point a replay passes, written once); also the page size of a replay's reads. */
export const AS_OF_SNAPSHOT_EVERY = 1_000;
/** Bump to ignore every stored snapshot (e.g. when a projection's helpers outside its class change). */
const SNAPSHOT_FORMAT = 1;

interface Snapshot {
  streamVersion: number;
  maxRecordedAt: Date;
  rows: Record<string, unknown[]>;
}

/**
 * Rebuilds one entity's read-model rows as they would have been at an instant, without a second
 * implementation of any projection and without touching a live row: inside ONE transaction that
 * is always rolled back, the projection's tables are shadowed by empty temporary copies
 * (`CREATE TEMP TABLE t (LIKE public.t INCLUDING ALL) ON COMMIT DROP`, first on the `search_path`,
 * so the projection's and the query's unqualified table names resolve to them), the transaction
 * is then made read-only, the stream's events recorded up to that instant are applied through the
 * feature's own projection (its `applyBatch` when it has one, else `apply` per event), and the
 * rows are read back through the live route's query.
 *
 * No lock is taken on a live row, so the live projector never waits for an as-of read: PostgreSQL
 * itself refuses any write or `SELECT … FOR UPDATE` on a non-temporary table in a read-only
 * transaction, while temporary tables stay writable. The live tables only get the ACCESS SHARE
 * lock any SELECT takes (copying their definition), which conflicts with DDL alone. The temporary
 * tables are private to the connection and dropped by the rollback, so nothing leaks into the
 * pooled connection's next query. (Each read creates a table or two in the catalog; autovacuum
 * reclaims the catalog rows.)
 *
 * "Up to the instant" is a prefix of the stream: events in stream order until the first one
 * recorded after it; the stream is read forwards in pages, the next page requested with the
 * current one, so at most one page past that event is read.
 * Events come as the live projection gets them: through the EVENT_CODEC, so personal data shredded
 * since reads as erased in the past too, or as stored for a projection that keeps personal fields
 * sealed (opened by the read side with the live key: erased in the past as well).
 *
 * Long streams: for targets that allow it, the rows after every AS_OF_SNAPSHOT_EVERY events are
 * kept in `as_of_snapshots` (written lazily by a replay that passes such a point: every point it
 * passes that has none yet, so after one replay every later read of the stream, at any instant
 * past the first point, replays at most AS_OF_SNAPSHOT_EVERY events), and a later read starts
 * from the latest snapshot whose whole prefix was recorded by its instant, replaying only the tail.
 * Applying a prefix and then the rest gives the same rows as applying all at once (projections
 * are folds that resume from their stored rows), so answers are identical. A snapshot
 * is keyed by a hash of the projection's code, so one made by other code is never used.
 */
@Injectable()
export class AsOfReplay {
  private readonly hashes = new Map<Projection, string>();
  /** `CREATE TEMP TABLE` statement per live table, derived from the catalog once. */
  private readonly scratchTables = new Map<string, Promise<string>>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(EVENT_CODEC) private readonly codec: EventCodec,
    @Inject(PROJECTIONS) private readonly projections: Projection[],
  ) {}

  /** The entity as of `asOf`, or null when its stream had no event yet. */
  async read<T>(target: AsOfTarget<T>, asOf: Date): Promise<T | null> {
    const projection = this.projections.find((p) => p.name === target.projection);
    if (!projection) throw new Error(`No projection named ${target.projection}`);
    const hash = target.snapshot ? this.hashOf(projection, target.snapshot) : null;
    const { start, stored } = hash ? await this.snapshots(target.streamId, hash, asOf) : { start: null, stored: new Set<number>() };
    const firstVersion = start ? start.streamVersion + 1 : 0;
    // Read ahead from here on: the first pages arrive while the transaction and its tables are set up.
    const pages = this.pagesUpTo(target.streamId, asOf, firstVersion);
    const firstPage = pages.next();
    firstPage.catch(() => undefined); // awaited below, unless the set-up fails first

    // Snapshots of the points this replay passes; the latest capture may still be on its way (see below).
    const snapshots: Snapshot[] = [];
    let capturing: Promise<void> | undefined;
    const captured = async () => {
      const pending = capturing;
      capturing = undefined;
      await pending;
    };
    let replayed = 0;
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      const tx = runner.manager;
      await this.useScratchTables(tx, projection.tables);
      if (start && target.snapshot) await restore(tx, target.snapshot, start.rows);
      // Page by page, each applied as soon as it is read and then dropped (the next ones are read
      // meanwhile): a 10,000-event stream held whole (read, then decoded, then applied) spent a
      // quarter of its CPU in the collector. Applying a prefix and then the rest gives the rows
      // applying all at once gives.
      let maxRecordedAt = start?.maxRecordedAt.getTime() ?? 0;
      // Pages end at snapshot points (see pagesUpTo): a page read whole reaches one, and the rows then
      // standing are kept for every point this replay passes that has no snapshot yet (one SELECT of
      // the entity's rows each), so that one replay leaves every later read of the stream, at any
      // instant after the first point, a tail of at most AS_OF_SNAPSHOT_EVERY events to replay.
      for (let page = await firstPage; !page.done; page = await pages.next()) {
        const events = page.value;
        const lastVersion = events[events.length - 1].streamVersion;
        // What the projection is handed live (see Projection.input): decoded, or as stored (personal fields stay sealed).
        const decoded = [...(await eventsFor(projection.input, events, this.codec))];
        // The previous point's capture ran while this page was decoded; the connection takes one statement at a time.
        await captured();
        await this.apply(projection, decoded, tx);
        replayed += events.length;
        for (const event of events) maxRecordedAt = Math.max(maxRecordedAt, event.recordedAt.getTime());
        letGo(events);
        if (target.snapshot && isSnapshotPoint(lastVersion) && !stored.has(lastVersion)) {
          const point = { streamVersion: lastVersion, maxRecordedAt: new Date(maxRecordedAt) };
          capturing = capture(runner, target.snapshot).then((rows) => void snapshots.push({ ...point, rows }));
          capturing.catch(() => undefined); // awaited before the connection's next statement, or in finally
        }
      }
      await captured();
      if (!start && replayed === 0) return null;
      return await target.read(tx);
    } finally {
      // A capture still on its way when the replay failed: let it end before the rollback (one statement at a time).
      await captured().catch(() => undefined);
      // A read-ahead left behind by an error must not go unhandled.
      await pages.return(undefined).catch(() => undefined);
      // Always rolled back: an as-of read changes nothing, even when it fails half way.
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
      // The only write: a derived snapshot, in its own statement (concurrent readers may race; either wins).
      // A snapshot only speeds up later reads: failing to store one must not fail this answer.
      if (snapshots.length > 0 && hash) await this.storeSnapshots(target.streamId, hash, snapshots).catch(() => undefined);
    }
  }

  /**
   * Shadows the live tables with empty private copies for the rest of the transaction, then makes
   * the transaction read-only: from here on only temporary tables can be written or row-locked.
   * One round trip (the statements take no parameters). A table's statement is built by a catalog
   * query the first time only, one table after the other: one statement at a time on a connection
   * (pg 8 queues a second one, pg 9 will refuse it).
   */
  private async useScratchTables(tx: EntityManager, tables: readonly string[]): Promise<void> {
    const creates: string[] = [];
    for (const table of tables) creates.push(await this.scratchTableStatement(tx, table));
    await tx.query(['SET LOCAL search_path = pg_temp, public', ...creates, 'SET LOCAL transaction_read_only = on'].join(';\n'));
  }

  /**
   * Columns, defaults and checks of the live table, and only the keys a projection's
   * `ON CONFLICT` may name: building the live table's other indexes would cost more than the
   * replay of a short stream. A unique index that backs no constraint can only be copied with
   * every index (INCLUDING ALL).
   */
  private scratchTableStatement(tx: EntityManager, table: string): Promise<string> {
    let statement = this.scratchTables.get(table);
    if (!statement) {
      statement = scratchTableStatement(tx, table);
      this.scratchTables.set(table, statement);
      statement.catch(() => this.scratchTables.delete(table));
    }
    return statement;
  }

  private async apply(projection: Projection, events: readonly RecordedEvent[], tx: EntityManager): Promise<void> {
    // The batch path writes each row once instead of once per event (proven equal to `apply` per event).
    if (projection.applyBatch) await projection.applyBatch(events, tx);
    else for (const event of events) await projection.apply(event, tx);
  }

  private hashOf(projection: Projection, tables: readonly AsOfSnapshotTable[]): string {
    let hash = this.hashes.get(projection);
    if (!hash) {
      // The projection's class source (apply and applyBatch) and what is snapshotted: other code, other snapshots.
      const layout = tables.map(({ table, column }) => `${table}.${column}`).join(',');
      hash = createHash('sha256').update(`${SNAPSHOT_FORMAT}\n${layout}\n${projection.constructor.toString()}`).digest('hex');
      this.hashes.set(projection, hash);
    }
    return hash;
  }

  /**
   * The latest snapshot whose whole prefix was recorded by `asOf` (null: replay from the first event),
   * and the versions of every snapshot the stream has (this replay stores only the points it passes
   * that have none). One round trip.
   */
  private async snapshots(streamId: string, hash: string, asOf: Date): Promise<{ start: Snapshot | null; stored: Set<number> }> {
    const [found]: { stream_version: string | null; max_recorded_at: Date | null; rows: Record<string, unknown[]> | null; stored: string[] | null }[] = await this.dataSource.query(
      `SELECT latest.stream_version, latest.max_recorded_at, latest.rows, every.stored
         FROM (SELECT array_agg(stream_version) AS stored FROM as_of_snapshots WHERE stream_id = $1 AND projection_hash = $2) every
         LEFT JOIN LATERAL (
           SELECT stream_version, max_recorded_at, rows FROM as_of_snapshots
            WHERE stream_id = $1 AND projection_hash = $2 AND max_recorded_at <= $3
            ORDER BY stream_version DESC LIMIT 1) latest ON true`,
      [streamId, hash, asOf],
    );
    const stored = new Set((found.stored ?? []).map(Number));
    if (found.stream_version === null) return { start: null, stored };
    return { start: { streamVersion: Number(found.stream_version), maxRecordedAt: found.max_recorded_at as Date, rows: found.rows as Record<string, unknown[]> }, stored };
  }

  /** In one statement; a point another reader stored meanwhile keeps its row (the same rows: either wins). */
  private async storeSnapshots(streamId: string, hash: string, snapshots: readonly Snapshot[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO as_of_snapshots (stream_id, projection_hash, stream_version, max_recorded_at, rows)
       SELECT $1, $2, s.stream_version, s.max_recorded_at, s.rows
         FROM jsonb_to_recordset($3::jsonb) AS s(stream_version bigint, max_recorded_at timestamptz, rows jsonb)
       ON CONFLICT DO NOTHING`,
      [streamId, hash, JSON.stringify(snapshots.map((snapshot) => ({ stream_version: snapshot.streamVersion, max_recorded_at: snapshot.maxRecordedAt.toISOString(), rows: snapshot.rows })))],
    );
  }

  /**
   * The stream's events from version `from` until the first one recorded after `asOf`, a page at a
   * time (never an empty one). Each page but the first ends at a snapshot point (version
   * k * AS_OF_SNAPSHOT_EVERY - 1) unless the stream or the instant ends it sooner, so a page holds
   * at most one point, at its end. PAGES_AHEAD pages are requested at a time (by version: a stream
   * has no gaps), so the store serialises the next page while this process works on the current
   * one (measured on a 10,000-event stream: 190 → 140 ms); at most PAGES_AHEAD pages past the
   * instant (or the stream's end) are read for nothing.
   */
  private async *pagesUpTo(streamId: string, asOf: Date, from: number): AsyncGenerator<RecordedEvent[], void> {
    const instant = asOf.getTime();
    const pending: Promise<{ events: RecordedEvent[]; ended: boolean }>[] = [];
    let nextVersion = from;
    const request = () => {
      const maxCount = AS_OF_SNAPSHOT_EVERY - (nextVersion % AS_OF_SNAPSHOT_EVERY);
      const page = this.store.readStream(streamId, { fromVersion: nextVersion, maxCount, metadata: 'actor' }).then((events) => ({ events, ended: events.length < maxCount }));
      // Awaited in order below; a page left unread by an early return must not go unhandled.
      page.catch(() => undefined);
      pending.push(page);
      nextVersion += maxCount;
    };
    for (;;) {
      while (pending.length < PAGES_AHEAD) request();
      const { events, ended } = await (pending.shift() as Promise<{ events: RecordedEvent[]; ended: boolean }>);
      let visible = events.findIndex((event) => event.recordedAt.getTime() > instant);
      if (visible < 0) visible = events.length;
      if (visible > 0) yield visible === events.length ? events : events.slice(0, visible);
      if (ended || visible < events.length) return;
    }
  }
}

/**
 * Empties a page's events once they are applied (this replay's own objects: readStream builds them
 * for each call; the decoded copies the projection saw share their contents), so that what they
 * hold dies young. Why it matters: when the process has once held many events at a time (a decider
 * fold of a long stream, a rebuild), V8 may decide that the store's event objects live long and
 * allocate them in the old generation from then on ("allocation-site pretenuring"). Such an event,
 * dead or not, keeps everything it points to alive through every scavenge until the next full
 * collection: each replayed event's data, metadata, ids and date were copied and promoted. Measured
 * on the 10,000-event call stream after such a fold: the collector took ~30 ms of a cold read's
 * ~115 ms of CPU, and ~5 ms with the events emptied (a read in a process that never made that
 * decision is unchanged).
 */
function letGo(events: readonly RecordedEvent[]): void {
  for (const event of events) {
    const emptied = event as unknown as Record<'data' | 'metadata' | 'position' | 'eventId' | 'type' | 'recordedAt', unknown>;
    emptied.data = null;
    emptied.metadata = null;
    emptied.position = null;
    emptied.eventId = null;
    emptied.type = null;
    emptied.recordedAt = null;
  }
}

/** Is this the last version of a snapshot's prefix? */
export function isSnapshotPoint(streamVersion: number): boolean {
  return (streamVersion + 1) % AS_OF_SNAPSHOT_EVERY === 0;
}

async function scratchTableStatement(tx: EntityManager, table: string): Promise<string> {
  const live = `public.${quoteIdent(table)}`;
  const [{ keys, bare_unique_indexes }]: { keys: string[]; bare_unique_indexes: number }[] = await tx.query(
    `SELECT ARRAY(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype IN ('p', 'u', 'x') ORDER BY c.conname) AS keys,
            (SELECT count(*)::int FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)) AS bare_unique_indexes`,
    [live],
  );
  const like = bare_unique_indexes > 0 ? `LIKE ${live} INCLUDING ALL` : [`LIKE ${live} INCLUDING ALL EXCLUDING INDEXES`, ...keys].join(', ');
  return `CREATE TEMP TABLE ${quoteIdent(table)} (${like}) ON COMMIT DROP`;
}

/**
 * The entity's rows as JSON, exactly (to_jsonb round-trips every column through jsonb_populate_recordset),
 * every table's in one statement (a column each) on the replay's own pg connection. The replay sends
 * it and decodes the next page while it runs, and awaits it before the connection's next statement
 * (pg 9 will no longer queue a second statement on a busy connection): a cold read of 10,000 events
 * passes ten points, and waited for each capture's round trip before decoding on.
 */
function capture(runner: QueryRunner, tables: readonly AsOfSnapshotTable[]): Promise<Record<string, unknown[]>> {
  const connection = (runner as QueryRunner & { databaseConnection?: PoolClient }).databaseConnection;
  if (!connection) return Promise.reject(new Error('as-of capture: the replay has no connection'));
  const columns = tables.map(({ table, column }, i) => `(SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]') FROM "${table}" t WHERE "${column}" = $${i + 1}) AS "${i}"`);
  return connection
    .query<Record<string, unknown[]>>(`SELECT ${columns.join(', ')}`, tables.map(({ id }) => id))
    .then(({ rows: [row] }) => Object.fromEntries(tables.map(({ table }, i) => [table, row[String(i)]])));
}

async function restore(tx: EntityManager, tables: readonly AsOfSnapshotTable[], rows: Record<string, unknown[]>): Promise<void> {
  // In the target's order (parents first), not the stored object's.
  for (const { table } of tables) {
    const tableRows = rows[table] ?? [];
    if (tableRows.length === 0) continue;
    await tx.query(`INSERT INTO "${table}" SELECT * FROM jsonb_populate_recordset(NULL::"${table}", $1::jsonb)`, [JSON.stringify(tableRows)]);
  }
}
