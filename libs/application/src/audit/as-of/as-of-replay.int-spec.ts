import { randomUUID } from 'node:crypto';
import { PostgresEventStore, type RecordedEvent } from '@app/event-store';
import { CallView } from '@app/read-models/calls/call-view.entity';
import { CallsQuery } from '@app/read-models/calls/calls.query';
import { databaseOptions } from '../../database-options';
import type { Projection } from '@app/read-models/projection/projection';
import { createProjections } from '@app/read-models/registry';
import { Client, Pool } from 'pg';
import { DataSource, type DataSourceOptions, type EntityManager } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../../test/support/database';
import { recordOverlappingStatements } from '../../../../../test/support/overlapping-statements';
import { callStreamName, type CallEvent } from '@app/domain/call';
import { PlainEventCodec, type EventCodec } from '../../event-codec';
import { schemaRegistry } from '../../event-store.module';
import { AsOfReadModels } from './as-of-read-models';
import { AsOfReplay } from './as-of-replay';

/**
 * An as-of read replays into private temporary tables in a read-only transaction: while it is in
 * progress, the live projector can still lock and update the live row (issue: the old replay
 * deleted the live rows inside its rolled-back transaction, and those row locks blocked the worker).
 */
describe('as-of replay leaves live rows alone', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let pool: Pool;
  let store: PostgresEventStore;
  let codec: EventCodec;
  const callId = randomUUID();
  /** Recorded time of the first append (drafted + published); the second append commits funds. */
  let publishedAt: Date;

  beforeAll(async () => {
    db = await createTestDatabase('asof_replay');
    // One connection: a temporary table left behind would shadow the live table in the next query.
    dataSource = await new DataSource({ ...databaseOptions(db.url), extra: { max: 1 } } as DataSourceOptions).initialize();
    pool = new Pool({ connectionString: db.url, max: 2 });
    store = new PostgresEventStore({ pool });
    codec = new PlainEventCodec(schemaRegistry());

    const streamId = callStreamName(callId);
    const at = '2027-01-05T09:00:00.000Z';
    await append(streamId, [
      {
        type: 'CallDrafted',
        data: {
          callId, programme: 'Rights of stateless people', title: 'Small grants 2027', description: 'Networks of grassroots groups',
          currency: 'EUR', budgetMinor: 10_000_000, minAwardMinor: 500_000, maxAwardMinor: 2_500_000, eligibleCountries: ['LB', 'TN'],
          minPartners: 1, criteria: [{ id: 'impact', name: 'Impact', weight: 100, maxScore: 5 }], reviewsRequired: 1,
          opensAt: '2027-01-06T00:00:00.000Z', closesAt: '2027-03-01T00:00:00.000Z', draftedAt: at,
        },
      },
      { type: 'CallPublished', data: { callId, publishedAt: at } },
    ]);
    await append(streamId, [
      { type: 'FundsCommitted', data: { callId, grantId: randomUUID(), proposalId: randomUUID(), amountMinor: 1_000_000, committedAt: '2027-04-01T09:00:00.000Z' } },
    ]);
    const events = await store.readStream(streamId);
    publishedAt = events[1].recordedAt;
    expect(events[2].recordedAt.getTime()).toBeGreaterThan(publishedAt.getTime());
    // The live read model, as the worker leaves it.
    const calls = createProjections().find((p) => p.name === 'calls')!;
    await dataSource.transaction(async (tx) => {
      for (const event of events) await calls.apply(await codec.decode(event), tx);
    });
  });

  afterAll(async () => {
    await store?.close();
    await pool?.end();
    await dataSource?.destroy();
    await db?.drop();
  });

  async function append(streamId: string, events: CallEvent[]): Promise<void> {
    const correlationId = randomUUID();
    const encoded = await Promise.all(
      events.map((event) => codec.encode(streamId, event, { eventId: randomUUID(), actorId: 'alice', actorRole: 'grant-manager', correlationId, causationId: correlationId })),
    );
    await store.append(streamId, encoded, 'any');
    // Distinct recorded times for the two appends.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }

  const liveCall = () => new CallsQuery(dataSource.getRepository(CallView)).byId(callId);

  /** The real projections, with `calls` paused after it applied its events (inside the as-of transaction). */
  function pausingCalls(): { projections: Projection[]; paused: Promise<void>; resume: () => void } {
    let resume!: () => void;
    let onPaused!: () => void;
    const gate = new Promise<void>((resolve) => (resume = resolve));
    const paused = new Promise<void>((resolve) => (onPaused = resolve));
    const projections = createProjections().map((projection): Projection => {
      if (projection.name !== 'calls') return projection;
      const pause = async () => {
        onPaused();
        await gate;
      };
      return {
        name: projection.name,
        filter: projection.filter,
        tables: projection.tables,
        apply: async (event: RecordedEvent, tx: EntityManager) => {
          await projection.apply(event, tx);
          await pause();
        },
        applyBatch: async (events: readonly RecordedEvent[], tx: EntityManager) => {
          await projection.applyBatch!(events, tx);
          await pause();
        },
      };
    });
    return { projections, paused, resume };
  }

  it('while an as-of read is replaying, another connection can lock and update the live row', async () => {
    const { projections, paused, resume } = pausingCalls();
    const models = new AsOfReadModels(new AsOfReplay(dataSource, store, codec, projections));
    const answer = models.call(callId, publishedAt);
    await paused;

    const projector = new Client({ connectionString: db.url });
    await projector.connect();
    try {
      await projector.query("SET lock_timeout = '1s'");
      await projector.query('BEGIN');
      // NOWAIT: fails at once (55P03) if any other transaction holds a lock on the row.
      const locked = await projector.query('SELECT version FROM public.calls WHERE id = $1 FOR UPDATE NOWAIT', [callId]);
      expect(locked.rows).toEqual([{ version: 2 }]);
      const updated = await projector.query('UPDATE public.calls SET title = title WHERE id = $1', [callId]);
      expect(updated.rowCount).toBe(1);
      // The as-of transaction holds on the live table only what any SELECT holds.
      const modes = await projector.query(
        `SELECT DISTINCT mode FROM pg_locks WHERE relation = 'public.calls'::regclass AND pid <> pg_backend_pid() ORDER BY mode`,
      );
      expect(modes.rows).toEqual([{ mode: 'AccessShareLock' }]);
      await projector.query('ROLLBACK');
    } finally {
      resume();
      await projector.end();
    }

    // The answer is the call as it was (published, nothing committed yet) ...
    expect(await answer).toMatchObject({ id: callId, status: 'published', committedMinor: 0, version: 1 });
    // ... and the live row, read next on the same (only) pooled connection, is untouched.
    expect(await liveCall()).toMatchObject({ id: callId, status: 'published', committedMinor: 1_000_000, version: 2 });
  });

  it('answers as before: the same rows as the live projection gives for the same prefix', async () => {
    const models = new AsOfReadModels(new AsOfReplay(dataSource, store, codec, createProjections()));
    const latest = await models.call(callId, new Date('2100-01-01T00:00:00Z'));
    expect(latest).toEqual(await liveCall());
    expect(await models.call(callId, new Date(publishedAt.getTime() - 60_000))).toBeNull();
  });

  it('a projection that would write a live table fails instead of locking it (the transaction is read-only)', async () => {
    const calls = createProjections().find((p) => p.name === 'calls')!;
    // Declares no tables, so nothing shadows `calls`: its writes would reach the live table.
    const undeclared: Projection = { name: 'calls', filter: calls.filter, tables: [], apply: (event, tx) => calls.apply(event, tx) };
    const models = new AsOfReadModels(new AsOfReplay(dataSource, store, codec, [undeclared]));
    await expect(models.call(callId, publishedAt)).rejects.toThrow(/read-only transaction/);
    expect(await liveCall()).toMatchObject({ committedMinor: 1_000_000, version: 2 });
  });

  it('sends one statement at a time on its connection, the first look-ups of the scratch tables included', async () => {
    const recorder = recordOverlappingStatements();
    try {
      // A fresh replay: it looks up each table's scratch statement in the catalog (two tables for proposals).
      const models = new AsOfReadModels(new AsOfReplay(dataSource, store, codec, createProjections()));
      expect(await models.proposal(randomUUID(), publishedAt)).toBeNull();
      expect(await models.call(callId, publishedAt)).toMatchObject({ id: callId, status: 'published', version: 1 });
      expect(recorder.statements()).toBeGreaterThan(3);
      expect(recorder.overlapping).toEqual([]);
    } finally {
      recorder.stop();
    }
  });
});
