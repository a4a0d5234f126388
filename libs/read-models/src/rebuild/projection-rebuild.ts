import type { AllFilter, EventStore, RecordedEvent } from '@app/event-store';
import { randomUUID } from 'node:crypto';
import { type EventInputs, eventsFor, releaseLeases, takeLeaseFor } from '@app/log-consumers';
import type { DataSource, EntityManager } from 'typeorm';
import { loadCheckpoint } from '../projection/checkpoint';
import type { Projection } from '../projection/projection';
import { compareTables, type TableComparison } from './consistency-check';
import {
  createSecondaryIndexes,
  createShadowSchema,
  quoteIdent,
  readRebuildState,
  REBUILD_STATE_TABLE,
  shadowSchemaOf,
  swapShadowSchema,
} from './shadow-schema';

export const DEFAULT_REBUILD_BATCH_SIZE = 2_000;

export interface RebuildProgress {
  projection: string;
  /** Events applied so far, counting those of an interrupted earlier run. */
  done: number;
  /**
   * Events of the projection in the log when the rebuild (or its resumption) began; grows if the
   * log does. Null until the log has been counted (counted beside the first batches, not before).
   */
  total: number | null;
}

export interface ProjectionRebuildOptions {
  dataSource: DataSource;
  store: EventStore;
  projection: Projection;
  /** The event codec: the projection gets events as its `input` asks, as the live runtime gives them. */
  codec?: EventInputs;
  batchSize?: number;
  /** Test hook: return after this many batches of this run, as a crash would (the work so far is committed). */
  stopAfterBatches?: number;
  onProgress?: (progress: RebuildProgress) => void;
  /**
   * How many events of the projection the whole log holds (the progress bar's total), when the
   * caller counts it (countEventsOf: one scan for the rebuilds it runs together); else counted here.
   */
  countEvents?: () => Promise<number>;
}

export interface RebuildRunResult {
  status: 'caught-up' | 'stopped';
  /** Events already applied by an earlier, interrupted run that this one resumed; 0 for a fresh start. */
  resumedAt: number;
  eventsApplied: number;
  position: string | null;
}

export type ConsistencyReport =
  | { aligned: true; position: string | null; tables: TableComparison[]; differences: number }
  | { aligned: false; livePosition: string | null; rebuiltPosition: string | null; reason: string };

export class ConcurrentRebuildError extends Error {
  constructor(readonly projection: string) {
    super(`Another rebuild of ${projection} moved its position meanwhile: only one may run at a time`);
    this.name = 'ConcurrentRebuildError';
  }
}

export class LockUnavailableError extends Error {
  constructor(readonly projection: string) {
    super(`The live projection ${projection} is being run by a worker (its lease is held): stop the workers, then swap`);
    this.name = 'LockUnavailableError';
  }
}

/**
 * Rebuilds one projection from the log into a shadow schema (`rebuild_<name>`), next to the live
 * tables, which stay in service meanwhile:
 * - streams the log in batches (memory bounded by the batch size), many events per transaction,
 *   each batch committed together with the rebuild's position: after a crash, `run` again resumes
 *   at the last committed batch and ends with the same tables;
 * - runs only the projection itself — never process managers or webhook delivery, whose effects
 *   (commands, HTTP calls) live outside its tables;
 * - the projection writes unqualified table names; `SET LOCAL search_path` points them at the shadow copies;
 * - `check` compares rebuilt and live tables at the same log position; `swap` puts the rebuild live.
 */
export class ProjectionRebuild {
  readonly schema: string;
  private readonly batchSize: number;
  private readonly codec: EventInputs | undefined;

  constructor(private readonly options: ProjectionRebuildOptions) {
    if (options.projection.tables.length === 0) throw new Error(`${options.projection.name} owns no table: there is nothing to rebuild`);
    this.schema = shadowSchemaOf(options.projection.name);
    this.batchSize = options.batchSize ?? DEFAULT_REBUILD_BATCH_SIZE;
    this.codec = options.codec;
  }

  get name(): string {
    return this.options.projection.name;
  }

  /** Is there an unfinished (or unswapped) rebuild of this projection to resume? */
  async pending(): Promise<{ eventsApplied: number } | undefined> {
    return readRebuildState(this.options.dataSource.manager, this.schema);
  }

  /** Drops the shadow schema: the next `run` starts from the beginning of the log. */
  async discard(): Promise<void> {
    await this.options.dataSource.query(`DROP SCHEMA IF EXISTS ${quoteIdent(this.schema)} CASCADE`);
  }

  /** Rebuilds (or resumes rebuilding) up to the head of the log, then builds the secondary indexes. */
  async run(): Promise<RebuildRunResult> {
    const { dataSource, projection } = this.options;
    let state = await readRebuildState(dataSource.manager, this.schema);
    const resumedAt = state?.eventsApplied ?? 0;
    if (!state) {
      await dataSource.transaction((tx) => createShadowSchema(tx, this.schema, projection.tables));
      state = { position: null, eventsApplied: 0, startedAt: new Date() };
    }
    // The total is for the progress bar only: counted while the first batches are applied, not before.
    const progress: RebuildProgress = { projection: projection.name, done: state.eventsApplied, total: null };
    const applied = state.eventsApplied;
    const counted = this.countAfter(state.position, applied).then(
      (after) => {
        progress.total = Math.max(progress.done, applied + after);
        this.options.onProgress?.(progress);
      },
      () => undefined,
    );
    this.options.onProgress?.(progress);
    const outcome = await this.applyFrom(state.position, {
      maxBatches: this.options.stopAfterBatches,
      onBatch: (count) => {
        progress.done += count;
        if (progress.total !== null) progress.total = Math.max(progress.total, progress.done);
        this.options.onProgress?.(progress);
      },
    });
    await counted;
    if (outcome.status === 'caught-up') await createSecondaryIndexes(dataSource.manager, this.schema, projection.tables);
    return { status: outcome.status, resumedAt, eventsApplied: progress.done, position: outcome.position };
  }

  /**
   * Compares the rebuilt tables with the live ones at the same position of the log, never at two
   * different ones. If the live projection is ahead, the rebuild first catches up to exactly the
   * live checkpoint. If it is behind (its worker is lagging or stopped, while the rebuild ran to the
   * head of the log), only the live worker can close the gap — a rebuild never moves back, its
   * tables hold every event up to its position — so this waits up to `waitForLiveMs` for the live
   * checkpoint to reach the rebuild, then answers "not compared".
   */
  async check(waitForLiveMs = 10_000): Promise<ConsistencyReport> {
    const deadline = Date.now() + waitForLiveMs;
    for (;;) {
      const attempt = await this.compareIfAligned();
      if (attempt.aligned) return attempt;
      const { livePosition: live, rebuiltPosition: rebuilt } = attempt;
      const order = live === null ? undefined : comparePositions(rebuilt, live);
      // Live ahead: apply the rebuild up to exactly the live checkpoint (compared for equality next turn).
      if (live !== null && order === -1) {
        await this.applyFrom(rebuilt, { until: live });
        continue;
      }
      if (Date.now() >= deadline) {
        let reason: string;
        if (live === null) reason = 'the live projection has no checkpoint (it never ran): nothing to compare with';
        else if (order === undefined) reason = `the live and the rebuilt positions cannot be ordered (live at ${live}, rebuilt at ${rebuilt}): nothing to compare with`;
        else {
          reason =
            `the live projection is behind the rebuild (live at ${live}, rebuilt at ${rebuilt ?? 'the start of the log'}; ` +
            `waited ${waitForLiveMs} ms): its worker is stopped or lagging; start it, or swap`;
        }
        return { ...attempt, reason };
      }
      // Live behind (or without a checkpoint): wait for its worker, never wind the rebuild back to it.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(200, deadline - Date.now()))));
    }
  }

  /**
   * Puts the rebuild live, in one transaction, while holding the live projection's lease (the one a
   * worker holds while it runs the projection, see @app/log-consumers), after a last catch-up to the
   * head. A worker that takes the lease afterwards goes on from the rebuild's position.
   */
  async swap(lockTimeoutMs = 10_000): Promise<{ position: string | null }> {
    const { dataSource, projection } = this.options;
    const owner = `rebuild:${process.pid}:${randomUUID().slice(0, 8)}`;
    // Long enough for the catch-up and the swap; released at once afterwards.
    const lease = await takeLeaseFor(dataSource, projection.name, owner, 10 * 60_000, lockTimeoutMs);
    if (!lease) throw new LockUnavailableError(this.name);
    try {
      const state = await readRebuildState(dataSource.manager, this.schema);
      if (!state) throw new Error(`No rebuild of ${projection.name} to swap: run it first`);
      const { position } = await this.applyFrom(state.position, {});
      await createSecondaryIndexes(dataSource.manager, this.schema, projection.tables);
      await dataSource.transaction((tx) => swapShadowSchema(tx, projection.name, projection.tables, position));
      return { position };
    } finally {
      await releaseLeases(dataSource, owner).catch(() => undefined);
    }
  }

  private async compareIfAligned(): Promise<ConsistencyReport & { livePosition?: string | null; rebuiltPosition?: string | null }> {
    const runner = this.options.dataSource.createQueryRunner();
    await runner.connect();
    try {
      // One snapshot for both sides: each side's rows and position were committed together.
      await runner.startTransaction('REPEATABLE READ');
      const live = (await loadCheckpoint(runner.manager, this.name)) ?? null;
      const state = await readRebuildState(runner.manager, this.schema);
      if (!state) throw new Error(`No rebuild of ${this.name} to check: run it first`);
      if (live !== state.position) return { aligned: false, livePosition: live, rebuiltPosition: state.position, reason: 'positions differ' };
      const tables: TableComparison[] = [];
      for (const table of this.options.projection.tables) tables.push(await compareTables(runner.manager, 'public', this.schema, table));
      return { aligned: true, position: live, tables, differences: tables.reduce((sum, t) => sum + t.differences.length, 0) };
    } finally {
      await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  /**
   * Applies the projection's events after `after` into the shadow tables, one transaction per
   * batch, with the next batch read while the current one is written. Stops at the head of the
   * log, after the event at `until`, or after `maxBatches` batches.
   */
  private async applyFrom(
    after: string | null,
    options: { until?: string; maxBatches?: number; onBatch?: (count: number) => void },
  ): Promise<{ status: 'caught-up' | 'stopped'; position: string | null }> {
    const { store, projection } = this.options;
    // `until` is where the rebuild is to stand: a position behind `after` would wind it back over
    // events its tables already hold (and the next run would apply, and count, them again).
    const order = options.until === undefined ? -1 : comparePositions(after, options.until);
    if (order === 1 || order === undefined) {
      throw new Error(`The rebuild of ${projection.name} is at ${after}, past ${options.until}: it cannot be moved back`);
    }
    // Projections read no metadata but the actorId upcasters may need (as an as-of replay's reads).
    const read = (from: string | null) => store.readAll({ after: from ?? undefined, maxCount: this.batchSize, filter: projection.filter, metadata: 'actor' });
    let position = after;
    let batches = 0;
    let next = read(position);
    for (;;) {
      if (options.maxBatches !== undefined && batches >= options.maxBatches) {
        await next.catch(() => undefined);
        return { status: 'stopped', position };
      }
      let page = await next;
      const until = options.until;
      // The live checkpoint may lie past events this projection's filter skips (the runtime moves a
      // caught-up consumer there), so `until` need not be an event we read: stop at the first event
      // after it. Both event stores hand out positions as fixed-width strings that sort in log order.
      const pastIndex = until === undefined ? -1 : page.findIndex((event) => event.position.length === until.length && event.position > until);
      if (pastIndex >= 0) page = page.slice(0, pastIndex);
      if (page.length > 0) {
        next = pastIndex >= 0 ? Promise.resolve([]) : read(page[page.length - 1].position);
        next.catch(() => undefined); // awaited on the next turn; never an unhandled rejection meanwhile
        const events = await eventsFor(projection.input, page, this.codec);
        await this.applyBatch(events, position);
        position = page[page.length - 1].position;
        batches++;
        options.onBatch?.(page.length);
        if (pastIndex < 0 && position !== until) continue;
      }
      // No event of this projection is left before `until` (the page ran out, or passed it).
      if (until === undefined) return { status: 'caught-up', position };
      // Everything up to `until` is applied: the rebuild stands where the live projection does.
      if (position !== until) {
        await this.moveTo(position, until);
        position = until;
      }
      return { status: 'caught-up', position };
    }
  }

  /** Moves the rebuild's position past events its filter skips (nothing to apply). */
  private async moveTo(after: string | null, position: string): Promise<void> {
    if (comparePositions(after, position) !== -1) throw new Error(`The rebuild of ${this.name} is at ${after}, not before ${position}: it never moves back`);
    const moved: { count: string }[] = await this.options.dataSource.query(
      `WITH moved AS (
         UPDATE ${quoteIdent(this.schema)}.${REBUILD_STATE_TABLE} SET position = $1, updated_at = now()
          WHERE id = 1 AND position IS NOT DISTINCT FROM $2::text RETURNING id)
       SELECT count(*) AS count FROM moved`,
      [position, after],
    );
    if (Number(moved[0]?.count) !== 1) throw new ConcurrentRebuildError(this.options.projection.name);
  }

  /**
   * One batch, one transaction. The position moves only from where this run read it: if another
   * run of the same rebuild (a second terminal, a process left behind by a killed parent) moved
   * it meanwhile, this batch rolls back and this run stops.
   */
  private async applyBatch(events: readonly RecordedEvent[], after: string | null): Promise<void> {
    const { dataSource, projection } = this.options;
    const position = events[events.length - 1].position;
    await dataSource.transaction(async (tx: EntityManager) => {
      // The shadow tables have no statistics until the rebuild ends (createSecondaryIndexes analyzes
      // them): the planner then takes a batch's `id IN (…)` of a few hundred keys for most of the
      // table and scans it whole, once per batch, as it grows (proposal_reviewer_assignments: 153
      // of 247 batches, ~2.6 s of PostgreSQL on the 1,000,000-event log; the grants UPDATE now and
      // then). Every read a projection makes in a batch is by key: no sequential scans here.
      // Nor does a batch wait for its commit record to reach the disk: a crash loses at most the
      // last few batches, rows and position together (one transaction), and the next run resumes
      // from the last one kept; the swap's own transaction is synchronous, and flushes them all.
      await tx.query(`SET LOCAL search_path = ${quoteIdent(this.schema)}, public; SET LOCAL enable_seqscan = off; SET LOCAL synchronous_commit = off`);
      if (projection.applyBatch) await projection.applyBatch(events, tx);
      else for (const event of events) await projection.apply(event, tx);
      const moved: { count: string }[] = await tx.query(
        `WITH moved AS (
           UPDATE ${quoteIdent(this.schema)}.${REBUILD_STATE_TABLE} SET position = $1, events_applied = events_applied + $2, updated_at = now()
            WHERE id = 1 AND position IS NOT DISTINCT FROM $3::text RETURNING id)
         SELECT count(*) AS count FROM moved`,
        [position, events.length, after],
      );
      if (Number(moved[0]?.count) !== 1) throw new ConcurrentRebuildError(projection.name);
    });
  }

  /** How many of the projection's events follow `after` (for the progress bar), given the events applied up to it. */
  private async countAfter(after: string | null, applied: number): Promise<number> {
    const all = this.options.countEvents ? await this.options.countEvents() : (await countEventsOf(this.options.dataSource, [this.options.projection.filter]))[0];
    // Resuming: the events already applied were counted by the state; estimate the rest from the total.
    return after === null ? all : Math.max(0, all - applied);
  }
}

/**
 * The order of two log positions (null: the start of the log): -1, 0 or 1, or undefined when they
 * cannot be ordered. Both event stores hand out positions as fixed-width strings that sort in log
 * order; strings of different widths come from no single log.
 */
export function comparePositions(a: string | null, b: string | null): -1 | 0 | 1 | undefined {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (a.length !== b.length) return undefined;
  return a < b ? -1 : 1;
}

/**
 * How many events of the log match each filter, in one scan of the events table: the progress
 * bars' totals of rebuilds run together (a count per rebuild scanned the table once each: four
 * scans, ~2 s of PostgreSQL on the 1,000,000-event bench log).
 */
export async function countEventsOf(dataSource: DataSource, filters: readonly AllFilter[]): Promise<number[]> {
  if (filters.length === 0) return [];
  const params: unknown[] = [];
  const counts = filters.map((filter, i) => {
    const types = filter.eventTypes?.length ? filter.eventTypes : null;
    const prefixes = filter.streamPrefixes?.length ? filter.streamPrefixes.map((p) => `${p.replace(/[\\%_]/g, '\\$&')}%`) : null;
    params.push(types, prefixes);
    const t = `$${2 * i + 1}::text[]`;
    const p = `$${2 * i + 2}::text[]`;
    return `count(*) FILTER (WHERE (${t} IS NULL OR type = ANY (${t})) AND (${p} IS NULL OR stream_id LIKE ANY (${p}))) AS c${i}`;
  });
  const rows: Record<string, string>[] = await dataSource.query(`SELECT ${counts.join(', ')} FROM events`, params);
  return filters.map((_, i) => Number(rows[0][`c${i}`]));
}
