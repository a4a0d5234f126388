import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type EventStore, type RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { describeError, isTransientError } from '@app/platform/database/transient-errors';
import type { StructuredLogger } from '@app/platform/logging/structured-logger';
import type { DataSource } from 'typeorm';
import { BatchReader, SubscriptionEndedError } from './batch-reader';
import { type EventInputs, eventsFor, type LogConsumer } from './consumer';
import { acquireLeases, checkpointAndCommit, ensureConsumerRows, isCheckpointRefused, type Lease, leaseState, markStalled, moveCheckpoint, releaseLeases, renewLeases, type Sql } from './leases';

export interface LogConsumerRuntimeOptions {
  /** Most events in one batch (one transaction for a projector). Default 1000. */
  batchSize?: number;
  /** How long a lease lasts without renewal. A dead leader is replaced within ttl + heartbeat. Default 3000. */
  leaseTtlMs?: number;
  /** Lease renewal, takeover attempts and idle ticks. Default 1000. */
  heartbeatMs?: number;
  /** Attempts at one event that fails for a reason other than an outage, before the consumer stalls. Default 3. */
  maxAttempts?: number;
  /** First back-off after a failure; doubles up to `maxRetryDelayMs`. Defaults 250 / 5000. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Names this process in leases (default host:pid:random). */
  owner?: string;
}

export interface ConsumerRuntimeStatus {
  name: string;
  kind: LogConsumer['kind'];
  /** leader: this process runs it; standby: another process does (or will, once a lease expires). */
  role: 'leader' | 'standby';
  stalled: boolean;
  /** The checkpoint this process last saw (leaders only). */
  position: string | null;
  appliedEvents: number;
  lastError: string | null;
}

interface ConsumerState {
  consumer: LogConsumer;
  lease: Lease | undefined;
  stalled: boolean;
  /**
   * Counts the stalls this process recorded. A heartbeat applies the stall it read only if none was
   * recorded while its statement was on its way: a renewal that ran just before markStalled
   * committed reads the row as not stalled, and must not resume the consumer it answers after.
   */
  stallsRecorded: number;
  reader: BatchReader | undefined;
  /** After a batch failed: events up to this position are taken one at a time, to find the culprit. */
  isolateUntil: string | undefined;
  failedPosition: string | undefined;
  attempts: number;
  appliedEvents: number;
  lastError: string | null;
  wake: (() => void) | undefined;
}

/**
 * Worth retrying as it is, without counting towards a stall: an outage, or a version conflict that a
 * process manager's own retries did not settle (contention, which passes).
 */
function isRetryable(error: unknown): boolean {
  return isTransientError(error) || error instanceof WrongExpectedVersionError;
}

class LeaseLostError extends Error {
  constructor() {
    super('lease lost');
    this.name = 'LeaseLostError';
  }
}

class CheckpointMovedError extends Error {
  constructor(readonly position: string | null) {
    super('checkpoint moved by another writer');
    this.name = 'CheckpointMovedError';
  }
}

/** A failure of the consumer's own code on these events (not an outage). */
class ConsumerFailedError extends Error {
  constructor(
    readonly events: readonly RecordedEvent[],
    readonly failure: unknown,
  ) {
    super(describeError(failure));
    this.name = 'ConsumerFailedError';
  }
}

/**
 * The one runtime for everything that follows the log: projectors (read-model rows and checkpoint
 * in one transaction per batch) and reactors (process managers, the audit sealer, erasure, webhook
 * fan-out), each with its own checkpoint and lease in `log_consumers`.
 *
 * - Leadership: one lease per consumer, renewed by a single heartbeat per process; a lease that
 *   runs out is taken by any process's heartbeat, with a new fencing token (see leases.ts). No
 *   connection is held for it: each loop borrows a pool connection only for a statement or a batch.
 * - Batches: a projector's batch is one transaction whose last statement is the compare-and-set of
 *   its checkpoint; a reactor checks its lease, reacts, then moves its checkpoint by compare-and-set.
 * - Faults: an outage (isTransientError) is retried with back-off for ever, from the checkpoint. A
 *   batch that fails otherwise is redone one event at a time; an event that still fails after
 *   `maxAttempts` stalls that consumer alone, recorded in its row (position and error) for
 *   readiness and the admin route, until an admin retries it. The other consumers go on.
 */
export class LogConsumerRuntime {
  private readonly states: ConsumerState[];
  private readonly owner: string;
  private readonly batchSize: number;
  private readonly leaseTtlMs: number;
  private readonly heartbeatMs: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly listeners = new Set<(consumer: string, events: number) => void>();
  private readonly loops: Promise<void>[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatRunning: Promise<void> | undefined;
  private rowsEnsured = false;
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private lastOutageLog = 0;

  constructor(
    private readonly deps: { dataSource: DataSource; store: EventStore; consumers: readonly LogConsumer[]; codec?: EventInputs; logger: StructuredLogger },
    options: LogConsumerRuntimeOptions = {},
  ) {
    const names = new Set<string>();
    for (const consumer of deps.consumers) {
      if (names.has(consumer.name)) throw new Error(`Two log consumers are named ${consumer.name}`);
      names.add(consumer.name);
    }
    this.states = deps.consumers.map((consumer) => ({
      consumer, lease: undefined, stalled: false, stallsRecorded: 0, reader: undefined, isolateUntil: undefined, failedPosition: undefined,
      attempts: 0, appliedEvents: 0, lastError: null, wake: undefined,
    }));
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.batchSize = options.batchSize ?? 1_000;
    this.leaseTtlMs = options.leaseTtlMs ?? 3_000;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
  }

  get ownerId(): string {
    return this.owner;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.beat();
    for (const state of this.states) this.loops.push(this.run(state));
  }

  /**
   * Stops every loop — a batch in flight finishes (or fails and is redone by the next leader), no
   * new one starts — and hands the leases back. Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutDown();
    return this.stopped;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    for (const state of this.states) {
      state.wake?.();
      void state.reader?.close();
    }
    await Promise.all(this.loops);
    await this.heartbeatRunning;
    if (this.started) await releaseLeases(this.deps.dataSource, this.owner).catch(() => undefined);
  }

  status(): ConsumerRuntimeStatus[] {
    return this.states.map((state) => ({
      name: state.consumer.name,
      kind: state.consumer.kind,
      role: state.lease ? 'leader' : 'standby',
      stalled: state.stalled,
      position: state.lease?.position ?? null,
      appliedEvents: state.appliedEvents,
      lastError: state.lastError,
    }));
  }

  /** Called after each batch a consumer of this process applied (tests and progress use it). */
  onApplied(listener: (consumer: string, events: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- leadership ----

  private beat(): void {
    if (this.stopping) return;
    this.heartbeatRunning = this.heartbeat().finally(() => {
      this.heartbeatRunning = undefined;
      if (!this.stopping) {
        this.heartbeatTimer = setTimeout(() => this.beat(), this.heartbeatMs);
        this.heartbeatTimer.unref();
      }
    });
  }

  private async heartbeat(): Promise<void> {
    const { dataSource } = this.deps;
    try {
      if (!this.rowsEnsured) {
        await ensureConsumerRows(dataSource, this.states.map((s) => s.consumer.name));
        this.rowsEnsured = true;
      }
      const held = this.states.flatMap((state) => (state.lease ? [{ state, lease: state.lease }] : []));
      if (held.length > 0) {
        const leases = held.map(({ state, lease }) => ({ name: state.consumer.name, token: lease.token }));
        const stallsBefore = held.map(({ state }) => state.stallsRecorded);
        const stillHeld = new Map((await renewLeases(dataSource, this.owner, leases, this.leaseTtlMs)).map((row) => [row.name, row]));
        for (const [i, { state, lease }] of held.entries()) {
          const row = stillHeld.get(state.consumer.name);
          if (!row) this.loseLease(state, lease);
          else if (state.lease === lease && state.stallsRecorded === stallsBefore[i]) this.setStalled(state, row.stalled_position !== null);
        }
      }
      if (this.stopping) return;
      const wanted = this.states.filter((s) => !s.lease);
      if (wanted.length > 0) {
        for (const row of await acquireLeases(dataSource, this.owner, wanted.map((s) => s.consumer.name), this.leaseTtlMs)) {
          const state = this.states.find((s) => s.consumer.name === row.name);
          if (!state) continue;
          if (this.stopping) break;
          state.lease = { token: row.fencing_token, position: row.position };
          state.stalled = row.stalled_position !== null;
          state.isolateUntil = undefined;
          this.deps.logger.log('log consumer: now the leader', { consumer: row.name, fencingToken: row.fencing_token });
          state.wake?.();
        }
      }
    } catch (error) {
      this.logOutage('log consumers: heartbeat failed; retrying', error);
    }
  }

  /** Drops `lease` — only if it is still the one held: a lease taken again meanwhile stays. */
  private loseLease(state: ConsumerState, lease: Lease): void {
    if (!state.lease || state.lease !== lease) return;
    state.lease = undefined;
    this.deps.logger.log('log consumer: lease lost; standing by', { consumer: state.consumer.name });
    void state.reader?.close();
    state.wake?.();
  }

  private setStalled(state: ConsumerState, stalled: boolean): void {
    if (state.stalled && !stalled) {
      this.deps.logger.log('log consumer: stall cleared; resuming', { consumer: state.consumer.name });
      state.attempts = 0;
      state.failedPosition = undefined;
      state.wake?.();
    }
    state.stalled = stalled;
  }

  // ---- the loop of one consumer ----

  private async run(state: ConsumerState): Promise<void> {
    let delay = this.retryDelayMs;
    while (!this.stopping) {
      const lease = state.lease;
      if (!lease || state.stalled) {
        await this.pause(state, this.heartbeatMs);
        continue;
      }
      const reader = new BatchReader(this.deps.store.subscribe({ after: lease.position ?? undefined, filter: state.consumer.filter }), this.batchSize * 2);
      state.reader = reader;
      try {
        while (!this.stopping && state.lease === lease && !state.stalled) {
          const isolating = state.isolateUntil !== undefined;
          const batch = await reader.next(isolating ? 1 : this.batchSize, this.heartbeatMs);
          if (this.stopping || state.lease !== lease) break;
          if (batch.length === 0) {
            await this.skipAhead(state, lease, reader);
            if (state.consumer.kind === 'reactor' && state.consumer.idle) await this.guard(state.consumer.idle());
            continue;
          }
          await this.apply(state, lease, batch);
          if (isolating && batch[batch.length - 1].position === state.isolateUntil) state.isolateUntil = undefined;
          delay = this.retryDelayMs;
        }
      } catch (error) {
        if (this.stopping) break;
        delay = await this.recover(state, lease, error, delay);
      } finally {
        state.reader = undefined;
        await reader.close();
      }
    }
  }

  /** What a failed batch means, and how long to wait before going on from the checkpoint. */
  private async recover(state: ConsumerState, lease: Lease, error: unknown, delay: number): Promise<number> {
    const name = state.consumer.name;
    if (error instanceof LeaseLostError) {
      this.loseLease(state, lease);
      return this.retryDelayMs;
    }
    if (error instanceof CheckpointMovedError) {
      this.deps.logger.log('log consumer: checkpoint moved by another writer (a rebuild?); going on from there', { consumer: name });
      lease.position = error.position;
      return this.retryDelayMs;
    }
    if (error instanceof ConsumerFailedError) {
      state.lastError = error.message;
      if (error.events.length > 1) {
        // Redo the batch one event at a time: the events before the culprit are applied, and the
        // culprit's own attempts are counted.
        state.isolateUntil = error.events[error.events.length - 1].position;
        this.deps.logger.error('log consumer: a batch failed; redoing it one event at a time', { consumer: name, error: error.message });
        return this.retryDelayMs;
      }
      const event = error.events[0];
      state.attempts = state.failedPosition === event.position ? state.attempts + 1 : 1;
      state.failedPosition = event.position;
      if (state.attempts >= this.maxAttempts) {
        this.deps.logger.error('log consumer STALLED: an event cannot be applied; the consumer stops here until an admin retries it', {
          consumer: name, position: event.position, eventType: event.type, streamId: event.streamId, attempts: state.attempts, error: error.message,
        });
        try {
          await markStalled(this.deps.dataSource, name, this.owner, lease, event.position, `${event.type} in ${event.streamId}: ${error.message}`);
          state.stalled = true;
          state.stallsRecorded += 1;
        } catch (markError) {
          this.logOutage('log consumer: could not record the stall; retrying', markError);
        }
        return this.retryDelayMs;
      }
      this.deps.logger.error('log consumer: event failed; retrying', { consumer: name, position: event.position, eventType: event.type, attempt: state.attempts, error: error.message });
      await this.pause(state, delay);
      return Math.min(delay * 2, this.maxRetryDelayMs);
    }
    // An outage (or the subscription ended): wait and go on from the checkpoint.
    state.lastError = describeError(error);
    if (!isRetryable(error) && !(error instanceof SubscriptionEndedError)) {
      this.deps.logger.error('log consumer: unexpected failure; retrying from the checkpoint', { consumer: name, error: describeError(error) });
    } else {
      this.logOutage('log consumer: the database or the event store is unavailable; retrying', error, name);
    }
    await this.pause(state, delay);
    return Math.min(delay * 2, this.maxRetryDelayMs);
  }

  private async apply(state: ConsumerState, lease: Lease, batch: RecordedEvent[]): Promise<void> {
    const { consumer } = state;
    const { dataSource } = this.deps;
    const events = await this.decode(consumer, batch);
    const last = batch[batch.length - 1].position;
    if (consumer.kind === 'projector') {
      let prepared: unknown;
      try {
        prepared = await consumer.prepare?.(events);
      } catch (error) {
        throw isRetryable(error) ? error : new ConsumerFailedError(batch, error);
      }
      const runner = dataSource.createQueryRunner();
      try {
        await runner.startTransaction();
        try {
          await consumer.apply(events, runner.manager, prepared);
        } catch (error) {
          throw isRetryable(error) ? error : new ConsumerFailedError(batch, error);
        }
        // Last, so the row is locked only for the commit, and in the same round trip as the COMMIT
        // (checkpointAndCommit): a deposed leader's batch fails there and rolls back whole.
        try {
          await runner.query(checkpointAndCommit(consumer.name, this.owner, lease, last, this.leaseTtlMs));
        } catch (error) {
          if (!isCheckpointRefused(error)) throw error;
          await runner.rollbackTransaction();
          // Asked on the batch's own connection, never a second one.
          throw await this.refusal(runner.manager, consumer.name, lease);
        }
      } catch (error) {
        if (runner.isTransactionActive && !runner.isReleased) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      } finally {
        await runner.release();
      }
      lease.position = last;
      if (consumer.committed) {
        try {
          consumer.committed(events);
        } catch {
          // a notification only: never a reason to redo the batch
        }
      }
    } else {
      // Still the leader, and nobody moved the checkpoint? (A deposed leader must not act; a
      // self-fenced reactor's own writes refuse a deposed leader: Reactor.selfFenced.)
      if (!consumer.selfFenced && !(await moveCheckpoint(dataSource, consumer.name, this.owner, lease, lease.position, this.leaseTtlMs))) throw await this.refusal(dataSource, consumer.name, lease);
      try {
        await consumer.react(events, { after: lease.position });
      } catch (error) {
        throw isRetryable(error) ? error : new ConsumerFailedError(batch, error);
      }
      if (!(await moveCheckpoint(dataSource, consumer.name, this.owner, lease, last, this.leaseTtlMs))) throw await this.refusal(dataSource, consumer.name, lease);
      lease.position = last;
    }
    state.appliedEvents += batch.length;
    state.lastError = null;
    if (state.failedPosition !== undefined) {
      state.failedPosition = undefined;
      state.attempts = 0;
    }
    for (const listener of this.listeners) listener(consumer.name, batch.length);
  }

  /**
   * Caught up: moves the checkpoint past the events the consumer's filter skipped (as far as the
   * subscription has examined the log), so a consumer that matches little neither lags on paper
   * nor rescans the log after a restart. Everything it was handed is applied by now.
   */
  private async skipAhead(state: ConsumerState, lease: Lease, reader: BatchReader): Promise<void> {
    const examined = reader.examinedPosition;
    if (examined === undefined || examined === lease.position || state.lease !== lease) return;
    if (!(await moveCheckpoint(this.deps.dataSource, state.consumer.name, this.owner, lease, examined, this.leaseTtlMs))) {
      throw await this.refusal(this.deps.dataSource, state.consumer.name, lease);
    }
    lease.position = examined;
  }

  private async decode(consumer: LogConsumer, batch: RecordedEvent[]): Promise<readonly RecordedEvent[]> {
    try {
      return await eventsFor(consumer.input, batch, this.deps.codec);
    } catch (error) {
      throw isRetryable(error) ? error : new ConsumerFailedError(batch, error);
    }
  }


  private async refusal(sql: Sql, name: string, lease: Lease): Promise<Error> {
    const now = await leaseState(sql, name, this.owner, lease);
    return now.held ? new CheckpointMovedError(now.position) : new LeaseLostError();
  }

  private async guard(work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (error) {
      this.logOutage('log consumer: idle work failed; retrying on the next tick', error);
    }
  }

  private pause(state: ConsumerState, ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        state.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      state.wake = done;
    });
  }

  /** Outages are logged at most every few seconds: a restart of the database must not flood the log. */
  private logOutage(message: string, error: unknown, consumer?: string): void {
    const now = Date.now();
    if (now - this.lastOutageLog < 5_000) return;
    this.lastOutageLog = now;
    this.deps.logger.error(message, { ...(consumer ? { consumer } : {}), error: describeError(error) });
  }
}
