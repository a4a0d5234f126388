/**
 * The log-consumer runtime against a real PostgreSQL: atomic batches, batch sizes, the connection
 * budget, stalls, fencing and reactors. Leadership across processes is in leadership.int-spec.ts,
 * a database restart in postgres-restart.int-spec.ts.
 *
 * Every test has its own streams (a prefix its consumers filter on), consumer names and tables, so
 * they share one database without seeing each other's events.
 */
import { randomUUID } from 'node:crypto';
import { PostgresEventStore, type RecordedEvent } from '@app/event-store';
import {
  clearStall,
  consumerReports,
  type LogConsumer,
  LogConsumerRuntime,
  type LogConsumerRuntimeOptions,
  type Reactor,
  releaseLeases,
  takeLeaseFor,
} from '@app/log-consumers';
import { dataSourceOptions } from '@app/read-models/data-source-options';
import { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import {
  appendNumbered,
  consumerRow,
  createSeenTable,
  eventually,
  Gate,
  stallablePlainStatements,
  numberOf,
  readPrefix,
  recordingLogger,
  seenProjector,
  seenSummary,
  sleep,
  testPool,
} from './support/harness';

/** Small timings: a dead leader is replaced within leaseTtlMs + heartbeatMs. */
const FAST: LogConsumerRuntimeOptions = { heartbeatMs: 50, leaseTtlMs: 300, retryDelayMs: 20, maxRetryDelayMs: 100 };

const figures: string[] = [];

/** Names of one test's part of the database. */
function names(label: string) {
  const id = randomUUID().replace(/-/g, '').slice(0, 8);
  return { prefix: `${label}_${id}`, table: `seen_${label}_${id}`, name: `${label}-${id}` };
}

/** A decoder of the test's own: the gated decoding of some tests. */
type EventDecoder = (event: RecordedEvent) => Promise<RecordedEvent>;

describe('LogConsumerRuntime (one PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: PostgresEventStore;
  let pool: Pool;
  const running: LogConsumerRuntime[] = [];

  function runtimeOf(consumers: LogConsumer[], options: LogConsumerRuntimeOptions = {}, deps: { dataSource?: DataSource; store?: PostgresEventStore; decode?: EventDecoder } = {}) {
    const logger = recordingLogger();
    const runtime = new LogConsumerRuntime(
      { dataSource: deps.dataSource ?? dataSource, store: deps.store ?? store, consumers, logger, codec: deps.decode ? { decode: deps.decode, upcast: (event) => event } : undefined },
      { ...FAST, ...options },
    );
    running.push(runtime);
    return { runtime, logger };
  }

  async function checkpointOf(name: string): Promise<string | null | undefined> {
    return (await consumerRow(pool, name))?.position;
  }

  beforeAll(async () => {
    db = await createTestDatabase('log_consumers');
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize(); // runs every migration, log_consumers included
    store = new PostgresEventStore({ connectionString: db.url });
    pool = testPool(db.url);
  });

  afterEach(async () => {
    // Each test stops its runtimes in `finally`; this only catches one a failed assertion skipped.
    await Promise.all(running.splice(0).map((runtime) => runtime.stop()));
  });

  afterAll(async () => {
    await store?.close();
    await dataSource?.destroy();
    await pool?.end();
    await db?.drop();
    if (figures.length > 0) console.log(`log-consumer runtime figures:\n  ${figures.join('\n  ')}`);
  });

  it('commits a projector’s rows and its checkpoint together: a batch that throws leaves neither, and once it stops failing every event is applied exactly once', async () => {
    const { prefix, table, name } = names('atomic');
    await createSeenTable(pool, table);
    await appendNumbered(store, prefix, 0, 60, 60); // one append: the poison arrives inside a batch
    const events = await readPrefix(store, prefix, 60);
    const POISON = 40;
    let failing = true;
    const projector = seenProjector(name, prefix, table, {
      // The rows of the batch are already written when it throws.
      hook: (batch) => {
        if (failing && batch.some((event) => numberOf(event) === POISON)) throw new Error('projector bug on event 40');
      },
    });
    // Rows and checkpoint read in one statement (one snapshot): rows must be exactly the events up to the checkpoint.
    const violations: string[] = [];
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await pool.query<{ checkpoint: string | null; rows: number; last_row: string | null }>(
          `SELECT (SELECT position FROM log_consumers WHERE name = $1) AS checkpoint,
                  (SELECT count(*)::int FROM ${table}) AS rows, (SELECT max(position) FROM ${table}) AS last_row`,
          [name],
        );
        const [{ checkpoint, rows: count, last_row: lastRow }] = rows;
        const expected = checkpoint === null ? 0 : events.findIndex((event) => event.position === checkpoint) + 1;
        if (count !== expected || lastRow !== checkpoint) violations.push(`checkpoint ${checkpoint} with ${count} rows up to ${lastRow}`);
        samples++;
        await sleep(5);
      }
    })();
    const { runtime } = runtimeOf([projector], { maxAttempts: 1_000 });
    runtime.start();
    try {
      // Failing: retried one event at a time, never past the poison.
      await eventually('the poison event retried alone three times', () =>
        projector.calls.filter((call) => call.size === 1 && call.first === POISON).length >= 3 ? true : undefined,
      );
      expect(projector.calls.some((call) => call.size > 1 && call.first <= POISON && call.last >= POISON)).toBe(true); // it did fail inside a batch first
      expect(await checkpointOf(name)).toBe(events[POISON - 1].position);
      expect((await pool.query(`SELECT 1 FROM ${table} WHERE n >= $1`, [POISON])).rowCount).toBe(0);

      failing = false;
      await eventually('the checkpoint at the last event', async () => ((await checkpointOf(name)) === events.at(-1)?.position ? true : undefined));
      expect(await seenSummary(pool, table)).toEqual({ rows: 60, twice: 0, distinctN: 60, minN: 0, maxN: 59 });
      expect(runtime.status()[0]).toMatchObject({ role: 'leader', stalled: false, lastError: null });
    } finally {
      sampling = false;
      await sampler;
      await runtime.stop();
    }
    expect(samples).toBeGreaterThan(10);
    expect(violations).toEqual([]);
  });

  it('moves a projector’s checkpoint and commits in one round trip, whatever its name and owner hold (quotes, backslashes)', async () => {
    const { prefix, table } = names('one_trip');
    const name = `o'brien\\${randomUUID().slice(0, 8)}"; --`;
    await createSeenTable(pool, table);
    const statements: string[] = [];
    const projector = seenProjector(name, prefix, table, {
      hook: (_batch, tx) => {
        // Every statement the batch's connection runs from here on.
        const runner = tx.queryRunner!;
        const query = runner.query.bind(runner);
        runner.query = ((sql: string, ...rest: unknown[]) => {
          statements.push(sql.replace(/\s+/g, ' ').trim().slice(0, 40));
          return (query as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
        }) as typeof runner.query;
      },
    });
    const { runtime } = runtimeOf([projector], { owner: `runtime 'one' \\ trip` });
    runtime.start();
    try {
      const last = await appendNumbered(store, prefix, 0, 30, 30);
      await eventually('the checkpoint at the last event', async () => ((await checkpointOf(name)) === last ? true : undefined));
      expect(await seenSummary(pool, table)).toEqual({ rows: 30, twice: 0, distinctN: 30, minN: 0, maxN: 29 });
      // After the projection's own statements: one round trip with the compare-and-set and the COMMIT.
      expect(statements.at(-1)).toMatch(/^WITH moved AS \( UPDATE log_consumers/);
      expect(statements.filter((sql) => /^COMMIT/.test(sql))).toEqual([]);
      expect(runtime.status()[0]).toMatchObject({ role: 'leader', stalled: false, lastError: null });
      // A refused compare-and-set (the fencing tests below) rolls the batch back whole.
    } finally {
      await runtime.stop();
    }
  });

  it('applies 20,000 events in batches: far fewer transactions than events, none larger than batchSize, none skipped or applied twice, checkpoint at the last event', async () => {
    const { prefix, table, name } = names('batches');
    await createSeenTable(pool, table);
    const TOTAL = 20_000;
    const BATCH = 500;
    const projector = seenProjector(name, prefix, table);
    const { runtime } = runtimeOf([projector], { batchSize: BATCH });
    const batches: number[] = [];
    runtime.onApplied((consumer, size) => void (consumer === name && batches.push(size)));
    runtime.start();
    try {
      const started = Date.now();
      const head = await appendNumbered(store, prefix, 0, TOTAL, 1_000); // live: the projector follows the appends
      const appendedMs = Date.now() - started;
      await eventually('the checkpoint at the last event', async () => ((await checkpointOf(name)) === head ? true : undefined), 50_000, 50);
      const caughtUpMs = Date.now() - started;

      expect(await seenSummary(pool, table)).toEqual({ rows: TOTAL, twice: 0, distinctN: TOTAL, minN: 0, maxN: TOTAL - 1 });
      expect(batches.reduce((sum, size) => sum + size, 0)).toBe(TOTAL);
      expect(Math.max(...batches)).toBeLessThanOrEqual(BATCH);
      expect(batches.length).toBeLessThanOrEqual(TOTAL / 50);
      // In log order, each batch starts right after the previous one: nothing skipped, nothing redone.
      expect(projector.calls.every((call, i) => call.first === (i === 0 ? 0 : projector.calls[i - 1].last + 1))).toBe(true);
      expect(projector.calls.length).toBe(batches.length);
      figures.push(
        `batches: ${TOTAL} events appended in ${appendedMs} ms, applied live in ${batches.length} batches (max ${Math.max(...batches)}, ` +
          `${batches.filter((size) => size === BATCH).length} full), caught up ${caughtUpMs} ms after the first append (${Math.round(TOTAL / (caughtUpMs / 1000))} events/s)`,
      );
    } finally {
      await runtime.stop();
    }
  }, 60_000);

  it('runs 10 consumers on a TypeORM pool of 2 and an event-store pool of 2: every consumer catches up 5,000 events, no deadlock', async () => {
    const { prefix, table: tablePrefix } = names('budget');
    const application = `budget_${randomUUID().slice(0, 8)}`;
    const url = new URL(db.url);
    url.searchParams.set('application_name', application);
    const small = await new DataSource(dataSourceOptions(url.toString(), { size: 2, acquireTimeoutMs: 2_000 })).initialize();
    const smallStore = new PostgresEventStore({ connectionString: url.toString(), poolSize: 2, connectionTimeoutMs: 2_000 });
    const consumers = Array.from({ length: 10 }, (_, i) => seenProjector(`${prefix}-c${i}`, prefix, `${tablePrefix}_${i}`));
    for (const consumer of consumers) await createSeenTable(pool, `${tablePrefix}_${consumer.name.slice(-1)}`);
    const { runtime, logger } = runtimeOf(consumers, { batchSize: 250 }, { dataSource: small, store: smallStore });
    let peakConnections = 0;
    let watching = true;
    const connectionWatch = (async () => {
      while (watching) {
        const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [application]);
        peakConnections = Math.max(peakConnections, rows[0].n);
        await sleep(25);
      }
    })();
    try {
      const started = Date.now();
      await appendNumbered(store, prefix, 0, 2_500, 500); // half before the start (catch-up), half live
      runtime.start();
      const head = await appendNumbered(store, prefix, 2_500, 2_500, 500);
      for (const consumer of consumers) {
        await eventually(`${consumer.name} caught up`, async () => ((await checkpointOf(consumer.name)) === head ? true : undefined), 50_000, 50);
      }
      const ms = Date.now() - started;
      for (let i = 0; i < consumers.length; i++) {
        expect(await seenSummary(pool, `${tablePrefix}_${i}`)).toEqual({ rows: 5_000, twice: 0, distinctN: 5_000, minN: 0, maxN: 4_999 });
      }
      expect(runtime.status().every((status) => status.role === 'leader' && status.appliedEvents === 5_000)).toBe(true);
      // Two pool connections each, and the store's one LISTEN connection.
      expect(peakConnections).toBeLessThanOrEqual(5);
      const errors = logger.lines.filter((line) => line.level === 'error');
      figures.push(`budget: 10 consumers × 5,000 events on pools of 2 + 2 in ${ms} ms; peak ${peakConnections} connections; ${errors.length} error lines logged`);
    } finally {
      watching = false;
      await connectionWatch;
      await runtime.stop();
      await smallStore.close();
      await small.destroy();
    }
  }, 60_000);

  it('stalls a consumer on a poison event after maxAttempts, at that event, while the others go on; clearStall resumes it, and once fixed it goes past', async () => {
    const { prefix, table, name } = names('poison');
    const healthyTable = `${table}_ok`;
    await createSeenTable(pool, table);
    await createSeenTable(pool, healthyTable);
    const POISON = 12;
    let fixed = false;
    const poisoned = seenProjector(name, prefix, table, {
      hook: (batch) => {
        if (!fixed && batch.some((event) => numberOf(event) === POISON)) throw new Error('cannot apply event 12');
      },
    });
    const healthy = seenProjector(`${name}-ok`, prefix, healthyTable);
    const { runtime } = runtimeOf([poisoned, healthy], { maxAttempts: 3 });
    const head = await appendNumbered(store, prefix, 0, 30, 10);
    const events = await readPrefix(store, prefix, 30);
    const aloneOnPoison = () => poisoned.calls.filter((call) => call.size === 1 && call.first === POISON).length;
    const stalledRow = async () =>
      (await pool.query<{ position: string | null; stalled_position: string | null; stalled_error: string | null }>(
        'SELECT position, stalled_position, stalled_error FROM log_consumers WHERE name = $1', [name],
      )).rows[0];
    runtime.start();
    try {
      const stalled = await eventually('the stall recorded', async () => ((await stalledRow())?.stalled_position ? stalledRow() : undefined));
      expect(stalled.stalled_position).toBe(events[POISON].position);
      expect(stalled.stalled_error).toContain('cannot apply event 12');
      expect(stalled.stalled_error).toContain(`Test.Numbered.v1 in ${events[POISON].streamId}`);
      expect(stalled.position).toBe(events[POISON - 1].position);
      expect(aloneOnPoison()).toBe(3);
      // The other consumer of the same runtime applies everything.
      await eventually('the healthy consumer at the head', async () => ((await checkpointOf(`${name}-ok`)) === head ? true : undefined));
      expect(await seenSummary(pool, healthyTable)).toMatchObject({ rows: 30, twice: 0, distinctN: 30 });

      await eventually('the runtime sees the stall', () => (runtime.status()[0].stalled ? true : undefined));
      expect(runtime.status().map(({ name: consumer, role, stalled: s }) => ({ consumer, role, s }))).toEqual([
        { consumer: name, role: 'leader', s: true },
        { consumer: `${name}-ok`, role: 'leader', s: false },
      ]);
      const reports = await consumerReports(dataSource, store, [poisoned, healthy]);
      expect(reports[0]).toMatchObject({ name, position: events[POISON - 1].position, caughtUp: false, stalled: { position: events[POISON].position } });
      expect(reports[0].stalled?.error).toContain('cannot apply event 12');
      expect(reports[1]).toMatchObject({ name: `${name}-ok`, position: head, caughtUp: true, stalled: null });
      await sleep(300);
      expect(aloneOnPoison()).toBe(3); // stopped: no retries while stalled

      // An admin's retry with the bug still there: three more attempts, stalled again.
      expect(await clearStall(dataSource, name)).toBe(true);
      await eventually('three more attempts and a new stall', async () => (aloneOnPoison() === 6 && (await stalledRow())?.stalled_position ? true : undefined));
      expect((await stalledRow()).position).toBe(events[POISON - 1].position);

      fixed = true;
      expect(await clearStall(dataSource, name)).toBe(true);
      await eventually('past the poison, at the head', async () => ((await checkpointOf(name)) === head ? true : undefined));
      expect(await seenSummary(pool, table)).toEqual({ rows: 30, twice: 0, distinctN: 30, minN: 0, maxN: 29 });
      expect((await stalledRow()).stalled_position).toBeNull();
      await eventually('the runtime sees the stall cleared', () => (runtime.status()[0].stalled ? undefined : true));
    } finally {
      await runtime.stop();
    }
  });

  it('stays stalled when a heartbeat that read the row before the stall was recorded answers after it', async () => {
    const { prefix, table, name } = names('staleheartbeat');
    await createSeenTable(pool, table);
    const POISON = 5;
    const poisoned = seenProjector(name, prefix, table, {
      hook: (batch) => {
        if (batch.some((event) => numberOf(event) === POISON)) throw new Error('cannot apply event 5');
      },
    });
    // Every lease renewal's answer comes 150 ms late (a loaded machine): one is nearly always on its
    // way, read before the stall was recorded and answered after it.
    const lateRenewals = new Proxy(dataSource, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== 'query') return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        return async (sql: string, params?: unknown[]) => {
          const result = await target.query(sql, params);
          if (/SET lease_expires_at/.test(sql) && /WITH mine AS/.test(sql)) await sleep(150);
          return result;
        };
      },
    });
    const { runtime, logger } = runtimeOf([poisoned], { maxAttempts: 3, leaseTtlMs: 3_000 }, { dataSource: lateRenewals });
    await appendNumbered(store, prefix, 0, 10, 10);
    const aloneOnPoison = () => poisoned.calls.filter((call) => call.size === 1 && call.first === POISON).length;
    runtime.start();
    try {
      const stalledAt = async () => (await pool.query<{ stalled_position: string | null }>('SELECT stalled_position FROM log_consumers WHERE name = $1', [name])).rows[0]?.stalled_position;
      await eventually('the stall recorded', async () => ((await stalledAt()) ? true : undefined));
      await sleep(800);
      expect(aloneOnPoison()).toBe(3);
      expect(runtime.status()[0].stalled).toBe(true);
      expect(logger.lines.filter((line) => line.message === 'log consumer: stall cleared; resuming')).toEqual([]);
    } finally {
      await runtime.stop();
    }
  });

  it('fencing, batch in flight: a batch inside its transaction when its lease is taken away rolls back whole at its checkpoint write; the deposed runtime writes nothing more and stands by', async () => {
    const { prefix, table, name } = names('fence_tx');
    await createSeenTable(pool, table);
    // The runtime's plain statements (its heartbeat) stall, as in a long pause or a partition; its
    // projector transactions still go through.
    const { heartbeatGate, stalling } = stallablePlainStatements(dataSource);
    const gate = new Gate();
    const HELD = 5;
    const projector = seenProjector(name, prefix, table, {
      hook: async (batch) => {
        if (batch.some((event) => numberOf(event) === HELD)) await gate.wait();
      },
    });
    const { runtime } = runtimeOf([projector], {}, { dataSource: stalling });
    runtime.start();
    try {
      const first = await appendNumbered(store, prefix, 0, 5, 5);
      await eventually('the first batch applied', async () => ((await checkpointOf(name)) === first ? true : undefined));
      heartbeatGate.gate = new Gate();
      await appendNumbered(store, prefix, 5, 5, 5);
      await eventually('the second batch inside its transaction', () => (gate.reached > 0 ? true : undefined));

      // The checkpoint row is not locked by the batch: the takeover does not wait for it.
      const lease = await takeLeaseFor(dataSource, name, 'usurper', 60_000, 3_000);
      expect(lease).toMatchObject({ position: first });

      gate.open();
      await eventually('the runtime notices at its checkpoint write and stands by', () => (runtime.status()[0].role === 'standby' ? true : undefined));
      // Its rows were written inside the transaction, and rolled back with it.
      expect(await checkpointOf(name)).toBe(first);
      expect(await seenSummary(pool, table)).toMatchObject({ rows: 5, twice: 0, maxN: 4 });

      heartbeatGate.gate.open();
      heartbeatGate.gate = undefined;
      await appendNumbered(store, prefix, 10, 5, 5);
      await sleep(300);
      expect(runtime.status()[0].role).toBe('standby');
      expect(await checkpointOf(name)).toBe(first);
      expect(await seenSummary(pool, table)).toMatchObject({ rows: 5, twice: 0 });

      // Handed back: it picks up from the checkpoint.
      await releaseLeases(dataSource, 'usurper');
      await eventually('the rest applied', async () => ((await seenSummary(pool, table)).rows === 15 ? true : undefined));
      expect(await seenSummary(pool, table)).toEqual({ rows: 15, twice: 0, distinctN: 15, minN: 0, maxN: 14 });
    } finally {
      gate.open();
      heartbeatGate.gate?.open();
      await runtime.stop();
      await releaseLeases(dataSource, 'usurper');
    }
  });

  it('fencing, deposed before its transaction: a runtime whose heartbeat stalled loses its lease to takeLeaseFor; the batch it was holding commits neither rows nor checkpoint, and it stands by', async () => {
    const { prefix, table, name } = names('fence_pause');
    await createSeenTable(pool, table);
    // The runtime's connection to the database stalls for plain statements (its heartbeat), as in a
    // long GC pause or a network partition; its projector transactions still go through.
    const { heartbeatGate, stalling } = stallablePlainStatements(dataSource);
    // The batch in flight waits before its transaction (in decoding).
    const decodeGate = new Gate();
    const HELD = 5;
    const decode: EventDecoder = async (event) => {
      if (numberOf(event) === HELD) await decodeGate.wait();
      return event;
    };
    const projector = seenProjector(name, prefix, table);
    const { runtime } = runtimeOf([projector], {}, { dataSource: stalling, decode });
    runtime.start();
    try {
      const first = await appendNumbered(store, prefix, 0, 5, 5);
      await eventually('the first batch applied', async () => ((await checkpointOf(name)) === first ? true : undefined));
      heartbeatGate.gate = new Gate();
      await appendNumbered(store, prefix, 5, 5, 5);
      await eventually('the second batch in flight', () => (decodeGate.reached > 0 ? true : undefined));

      const lease = await takeLeaseFor(dataSource, name, 'usurper', 60_000, 3_000);
      expect(lease).toMatchObject({ position: first });

      decodeGate.open();
      await eventually('the runtime notices at its batch and stands by', () => (runtime.status()[0].role === 'standby' ? true : undefined));
      expect(await checkpointOf(name)).toBe(first);
      expect(await seenSummary(pool, table)).toMatchObject({ rows: 5, twice: 0 });

      heartbeatGate.gate.open();
      heartbeatGate.gate = undefined;
      await sleep(300);
      expect(runtime.status()[0].role).toBe('standby');
      expect(await checkpointOf(name)).toBe(first);

      await releaseLeases(dataSource, 'usurper');
      await eventually('the held batch applied after the hand-back', async () => ((await seenSummary(pool, table)).rows === 10 ? true : undefined));
      expect(await seenSummary(pool, table)).toEqual({ rows: 10, twice: 0, distinctN: 10, minN: 0, maxN: 9 });
    } finally {
      decodeGate.open();
      heartbeatGate.gate?.open();
      await runtime.stop();
      await releaseLeases(dataSource, 'usurper');
    }
  });

  it('keeps an idle consumer’s lease while another consumer of the same runtime runs a batch longer than leaseTtl', async () => {
    const { prefix, table, name } = names('slow');
    await createSeenTable(pool, table);
    const gate = new Gate();
    const slow = seenProjector(name, prefix, table, { hook: () => gate.wait() });
    const idle = seenProjector(`${name}-idle`, `${prefix}_nothing`, `${table}`);
    const { runtime, logger } = runtimeOf([slow, idle]);
    runtime.start();
    try {
      await eventually('both leading', async () => ((await consumerRow(pool, `${name}-idle`))?.owner === runtime.ownerId && (await consumerRow(pool, name))?.owner === runtime.ownerId ? true : undefined));
      const idleToken = (await consumerRow(pool, `${name}-idle`))?.fencingToken;
      await appendNumbered(store, prefix, 0, 3, 3);
      await eventually('the slow batch in flight', () => (gate.reached > 0 ? true : undefined));
      await sleep(4 * 300);
      gate.open();
      await eventually('the slow batch committed', async () => ((await seenSummary(pool, table)).rows === 3 ? true : undefined));
      await sleep(300);
      const lost = logger.lines.filter((line) => line.message.includes('lease lost')).map((line) => line.context?.consumer);
      figures.push(`slow batch (4 × leaseTtl): leases lost meanwhile: ${JSON.stringify(lost)}; idle consumer's fencing token ${idleToken} → ${(await consumerRow(pool, `${name}-idle`))?.fencingToken}`);
      expect(lost).not.toContain(`${name}-idle`);
      expect((await consumerRow(pool, `${name}-idle`))?.fencingToken).toBe(idleToken);
    } finally {
      gate.open();
      await runtime.stop();
    }
  });

  it('keeps a runtime’s own leases while another runtime runs a batch longer than leaseTtl on a consumer both follow', async () => {
    const { prefix, table, name } = names('slow2');
    await createSeenTable(pool, table);
    const gate = new Gate();
    const slowHere = seenProjector(name, prefix, table, { hook: () => gate.wait() });
    const slowThere = seenProjector(name, prefix, table);
    const own = seenProjector(`${name}-own`, `${prefix}_nothing`, table);
    const { runtime: first } = runtimeOf([slowHere], { owner: `first-${name}` });
    const { runtime: second, logger } = runtimeOf([slowThere, own], { owner: `second-${name}` });
    first.start();
    try {
      await eventually('the first runtime leads the slow consumer', async () => ((await consumerRow(pool, name))?.owner === first.ownerId ? true : undefined));
      second.start();
      await eventually('the second runtime leads its own consumer', async () => ((await consumerRow(pool, `${name}-own`))?.owner === second.ownerId ? true : undefined));
      const ownToken = (await consumerRow(pool, `${name}-own`))?.fencingToken;
      await appendNumbered(store, prefix, 0, 3, 3);
      await eventually('the slow batch in flight', () => (gate.reached > 0 ? true : undefined));
      await sleep(4 * 300);
      gate.open();
      await eventually('the slow batch committed', async () => ((await seenSummary(pool, table)).rows === 3 ? true : undefined));
      await sleep(300);
      const ownTokenAfter = (await consumerRow(pool, `${name}-own`))?.fencingToken;
      const lost = logger.lines.filter((line) => line.message.includes('lease lost')).map((line) => line.context?.consumer);
      figures.push(`slow batch in another runtime (4 × leaseTtl): the second runtime lost ${JSON.stringify(lost)}; its own consumer's fencing token ${ownToken} → ${ownTokenAfter}`);
      expect(lost).not.toContain(`${name}-own`);
      expect(ownTokenAfter).toBe(ownToken);
    } finally {
      gate.open();
      await second.stop();
      await first.stop();
    }
  });

  it('a heartbeat stalled past the lease’s expiry keeps the lease nobody took: same fencing token, and the held batch commits', async () => {
    const { prefix, table, name } = names('relead');
    await createSeenTable(pool, table);
    const { heartbeatGate, stalling } = stallablePlainStatements(dataSource);
    const decodeGate = new Gate();
    const decode: EventDecoder = async (event) => {
      if (numberOf(event) === 5) await decodeGate.wait();
      return event;
    };
    const { runtime, logger } = runtimeOf([seenProjector(name, prefix, table)], {}, { dataSource: stalling, decode });
    runtime.start();
    try {
      const first = await appendNumbered(store, prefix, 0, 5, 5);
      await eventually('the first batch applied', async () => ((await checkpointOf(name)) === first ? true : undefined));
      const firstToken = (await consumerRow(pool, name))?.fencingToken;
      // The heartbeat stalls past the lease's expiry while a batch waits (holding the old lease).
      heartbeatGate.gate = new Gate();
      await appendNumbered(store, prefix, 5, 5, 5);
      await eventually('the second batch in flight', () => (decodeGate.reached > 0 ? true : undefined));
      await sleep(2 * 300);
      // The heartbeat comes back: the lease ran out but nobody took it, so it is still ours (owner and token unchanged).
      heartbeatGate.gate.open();
      heartbeatGate.gate = undefined;
      await sleep(2 * 50);
      expect(runtime.status()[0].role).toBe('leader');
      const secondToken = (await consumerRow(pool, name))?.fencingToken;
      // The old batch goes on: refused (old token), and redone under the lease the runtime holds now.
      const releasedAt = Date.now();
      decodeGate.open();
      await eventually('the held batch applied', async () => ((await seenSummary(pool, table)).rows === 10 ? true : undefined), 5_000, 5);
      const appliedAfterMs = Date.now() - releasedAt;
      const finalToken = (await consumerRow(pool, name))?.fencingToken;
      const lost = logger.lines.filter((line) => line.message.includes('lease lost')).length;
      figures.push(`expired but untaken lease: fencing tokens ${firstToken} → ${secondToken} → ${finalToken}; 'lease lost' logged ${lost} times; held batch applied ${appliedAfterMs} ms after its release`);
      expect(secondToken).toBe(firstToken);
      expect(finalToken).toBe(firstToken);
      expect(lost).toBe(0);
      expect(await seenSummary(pool, table)).toEqual({ rows: 10, twice: 0, distinctN: 10, minN: 0, maxN: 9 });
    } finally {
      decodeGate.open();
      heartbeatGate.gate?.open();
      await runtime.stop();
    }
  });

  it('an event that fails every time with an error classed as transient (statement_timeout) still ends in a recorded stall', async () => {
    const { prefix, table, name } = names('timeout');
    await createSeenTable(pool, table);
    const projector = seenProjector(name, prefix, table, {
      hook: async (batch, tx) => {
        if (batch.some((event) => numberOf(event) === 3)) {
          await tx.query(`SET LOCAL statement_timeout = '50ms'`);
          await tx.query('SELECT pg_sleep(0.2)'); // too heavy for the timeout, every time
        }
      },
    });
    const { runtime } = runtimeOf([projector], { maxAttempts: 3 });
    await appendNumbered(store, prefix, 0, 6, 6);
    const events = await readPrefix(store, prefix, 6);
    runtime.start();
    try {
      const stalled = await eventually(
        'a stall recorded at event 3',
        async () => (await pool.query<{ stalled_position: string | null }>('SELECT stalled_position FROM log_consumers WHERE name = $1', [name])).rows[0]?.stalled_position ?? undefined,
        2_000,
        50,
      ).catch(() => null);
      const attempts = projector.calls.filter((call) => call.first <= 3 && call.last >= 3).length;
      figures.push(`statement_timeout poison: ${attempts} attempts in 2 s, stall recorded: ${stalled !== null}, checkpoint ${await checkpointOf(name) === events[2].position ? 'at event 2' : 'elsewhere'}, status ${JSON.stringify(runtime.status()[0].lastError)}`);
      expect(stalled).toBe(events[3].position);
    } finally {
      await runtime.stop();
    }
  });

  // A second caller (a shutdown hook and a signal handler) must not close the pools under a batch in flight.
  it('stop() called twice at once: the second call also waits until the runtime has stopped', async () => {
    const { prefix, table, name } = names('stop2');
    await createSeenTable(pool, table);
    const gate = new Gate();
    const { runtime } = runtimeOf([seenProjector(name, prefix, table, { hook: () => gate.wait() })]);
    runtime.start();
    try {
      await appendNumbered(store, prefix, 0, 3, 3);
      await eventually('a batch in flight', () => (gate.reached > 0 ? true : undefined));
      let firstDone = false;
      let secondDone = false;
      const first = runtime.stop().then(() => (firstDone = true));
      const second = runtime.stop().then(() => (secondDone = true));
      await sleep(100);
      expect(firstDone).toBe(false); // waits for the batch in flight
      expect(secondDone).toBe(false);
      gate.open();
      await Promise.all([first, second]);
      // The batch in flight ran to its commit (how many events it held depends on what had arrived).
      const summary = await seenSummary(pool, table);
      expect(summary.rows).toBeGreaterThan(0);
      expect(summary.twice).toBe(0);
      expect(await checkpointOf(name)).not.toBeNull();
    } finally {
      gate.open();
      await runtime.stop();
    }
  });

  it('reactors: react runs outside any transaction (its writes are visible at once, the checkpoint row is not locked) and the checkpoint moves after it', async () => {
    const { prefix, table, name } = names('reactor');
    await pool.query(`CREATE TABLE ${table} (n int, seen_checkpoint text)`);
    const observations: { first: string; checkpoint: string | null | undefined; rowLocked: boolean; ownWriteVisible: boolean }[] = [];
    let failOnce = true;
    const reactor: Reactor = {
      kind: 'reactor',
      name,
      filter: { streamPrefixes: [`${prefix}-`] },
      async react(events: readonly RecordedEvent[]) {
        const checkpoint = await checkpointOf(name);
        // A side effect through the runtime's own DataSource, then looked at from another connection.
        await dataSource.query(`INSERT INTO ${table} (n, seen_checkpoint) SELECT unnest($1::int[]), $2`, [events.map(numberOf), checkpoint ?? null]);
        const visible = await pool.query(`SELECT 1 FROM ${table} WHERE n = $1`, [numberOf(events[0])]);
        const client = await pool.connect();
        let rowLocked = false;
        try {
          await client.query('BEGIN');
          // A transaction around react would hold the row for as long as react runs (and react waits
          // here); a heartbeat's one-statement renewal holds it for a moment only.
          await client.query(`SET LOCAL lock_timeout = '250ms'`);
          await client.query('SELECT 1 FROM log_consumers WHERE name = $1 FOR UPDATE', [name]).catch(() => (rowLocked = true));
        } finally {
          await client.query('ROLLBACK');
          client.release();
        }
        observations.push({ first: events[0].position, checkpoint, rowLocked, ownWriteVisible: (visible.rowCount ?? 0) > 0 });
        if (failOnce && events.some((event) => numberOf(event) === 7)) {
          failOnce = false;
          throw new Error('reaction failed once');
        }
      },
    };
    const { runtime } = runtimeOf([reactor], { maxAttempts: 5 });
    await appendNumbered(store, prefix, 0, 5, 5);
    runtime.start();
    try {
      const head = await appendNumbered(store, prefix, 5, 5, 5);
      await eventually('the reactor at the head', async () => ((await checkpointOf(name)) === head ? true : undefined));
      const events = await readPrefix(store, prefix);
      expect(observations.length).toBeGreaterThan(0);
      for (const seen of observations) {
        expect(seen.rowLocked).toBe(false);
        expect(seen.ownWriteVisible).toBe(true);
        // The checkpoint had not yet moved over the batch being reacted to.
        expect(seen.checkpoint == null || seen.checkpoint < seen.first).toBe(true);
      }
      // The failed reaction's side effect stayed (no transaction to roll back) and it was redone: at least once.
      const { rows } = await pool.query<{ n: number; times: number }>(`SELECT n, count(*)::int AS times FROM ${table} GROUP BY n ORDER BY n`);
      expect(rows.map((row) => row.n)).toEqual(events.map(numberOf));
      expect(rows.find((row) => row.n === 7)?.times).toBeGreaterThanOrEqual(2);
      expect(runtime.status()[0]).toMatchObject({ kind: 'reactor', role: 'leader', stalled: false, position: head });
    } finally {
      await runtime.stop();
    }
  });

  it('reactors: one checkpoint move per batch for a self-fenced reactor (after react), two for any other (the proof of the lease first)', async () => {
    const { prefix, name } = names('fenced');
    const reacted = new Map<string, number[]>();
    const reactor = (consumerName: string, selfFenced: boolean): Reactor => ({
      kind: 'reactor',
      name: consumerName,
      filter: { streamPrefixes: [`${prefix}-`] },
      selfFenced,
      async react(events: readonly RecordedEvent[]) {
        reacted.set(consumerName, [...(reacted.get(consumerName) ?? []), ...events.map(numberOf)]);
      },
    });
    const [plain, fenced] = [`${name}-plain`, `${name}-fenced`];
    const { runtime } = runtimeOf([reactor(plain, false), reactor(fenced, true)], { batchSize: 10 });
    const batches = new Map<string, number>();
    runtime.onApplied((consumer) => batches.set(consumer, (batches.get(consumer) ?? 0) + 1));
    // moveCheckpoint's parameters: name, owner, token, the position it expects, the one it sets. A
    // proof of the lease sets the position it expects.
    const moves = jest.spyOn(dataSource, 'query');
    const proofsOf = (consumer: string) =>
      moves.mock.calls.filter(([text, params]) => String(text).includes('WITH moved AS') && Array.isArray(params) && params[0] === consumer && params[3] === params[4]).length;
    runtime.start();
    try {
      const head = await appendNumbered(store, prefix, 0, 60, 5);
      for (const consumer of [plain, fenced]) await eventually(`${consumer} at the head`, async () => ((await checkpointOf(consumer)) === head ? true : undefined));
      for (const consumer of [plain, fenced]) expect([...new Set(reacted.get(consumer))].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, n) => n));
      expect(batches.get(plain)).toBeGreaterThan(1);
      expect(batches.get(fenced)).toBeGreaterThan(1);
      expect(proofsOf(plain)).toBe(batches.get(plain));
      expect(proofsOf(fenced)).toBe(0);
    } finally {
      moves.mockRestore();
      await runtime.stop();
    }
  });

  it('a consumer whose filter skips the log moves its checkpoint past what it skipped, once caught up', async () => {
    const { prefix, table, name } = names('skip');
    const { prefix: others } = names('skipped');
    await createSeenTable(pool, table);
    const projector = seenProjector(name, prefix, table);
    const { runtime } = runtimeOf([projector], { batchSize: 100 });
    runtime.start();
    try {
      const mine = await appendNumbered(store, prefix, 0, 3, 3);
      await eventually('its own events applied', async () => ((await checkpointOf(name)) === mine ? true : undefined));
      // 2,000 events its filter never matches: the checkpoint follows them anyway.
      const head = await appendNumbered(store, others, 0, 2_000, 500);
      await eventually('the checkpoint past the skipped events', async () => ((await checkpointOf(name)) === head ? true : undefined));
      expect(await seenSummary(pool, table)).toMatchObject({ rows: 3, twice: 0 });
      // And what it matches after them is still applied, once.
      const last = await appendNumbered(store, prefix, 3, 2, 2);
      await eventually('the next own events applied', async () => ((await checkpointOf(name)) === last ? true : undefined));
      expect(await seenSummary(pool, table)).toEqual({ rows: 5, twice: 0, distinctN: 5, minN: 0, maxN: 4 });
    } finally {
      await runtime.stop();
    }
  });

  it('reactors: idle() is called about once per heartbeat once caught up, with the checkpoint at the head', async () => {
    const { prefix, name } = names('idle');
    const reacted: number[] = [];
    const idleCalls: { at: number; reacted: number; checkpoint: string | null | undefined }[] = [];
    const reactor: Reactor = {
      kind: 'reactor',
      name,
      filter: { streamPrefixes: [`${prefix}-`] },
      async react(events) {
        reacted.push(...events.map(numberOf));
      },
      async idle() {
        idleCalls.push({ at: Date.now(), reacted: reacted.length, checkpoint: await checkpointOf(name) });
      },
    };
    const head = await appendNumbered(store, prefix, 0, 1_000, 250);
    const { runtime } = runtimeOf([reactor], { batchSize: 100 });
    runtime.start();
    try {
      await eventually('idle after catching up', () => (idleCalls.some((call) => call.reacted === 1_000) ? true : undefined));
      const firstCaughtUp = idleCalls.findIndex((call) => call.reacted === 1_000);
      expect(idleCalls[firstCaughtUp].checkpoint).toBe(head);
      expect(reacted).toEqual(Array.from({ length: 1_000 }, (_, n) => n));
      const before = idleCalls.length;
      await sleep(500);
      const ticks = idleCalls.length - before;
      // heartbeatMs 50: about 10 in 500 ms; wide bounds for a loaded machine.
      expect(ticks).toBeGreaterThanOrEqual(3);
      expect(ticks).toBeLessThanOrEqual(15);
      figures.push(`reactor idle: ${ticks} idle() calls in 500 ms at heartbeatMs 50; ${idleCalls.length - ticks - firstCaughtUp - 1} before that while caught up`);
    } finally {
      await runtime.stop();
    }
  });
});
