import { randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { QueryRunner } from 'typeorm';
import {
  AnswerToRemember,
  AppendResult,
  DuplicateEventIdError,
  migrateEventStore,
  NewEvent,
  PostgresEventStore,
  RecordedEvent,
  WrongExpectedVersionError,
  IdempotencyKeyTakenError,
} from '@app/event-store';
import { IdempotencyAnswers1764001100000 } from '@app/platform/idempotency/idempotency-answers.migration';
import { IdempotencyKeys1764000100000 } from '@app/platform/idempotency/idempotency.migration';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { eventStoreContract } from './contract';
import { collect, delay, eventually, newEvent, newKind, newStreamId, rejection } from './helpers';

/** A store on a database of its own, migrated, for one run of the contract. */
function contractSubject(database: string, options: { appendsInFlight?: number } = {}) {
  return async () => {
    const db = await createTestDatabase(database);
    await migrateEventStore(db.url);
    const store = new PostgresEventStore({ connectionString: db.url, poolSize: 24, ...options });
    const admin = new Pool({ connectionString: db.url, max: 2 });
    return {
      store,
      rawSql: async (sql: string) => (await admin.query(sql)).rows,
      async teardown() {
        await store.close();
        await admin.end();
        await db.drop();
      },
    };
  };
}

eventStoreContract('PostgresEventStore', contractSubject('event_store_contract'));

// The same contract with group commit at its tightest (one append in flight: every append that
// arrives meanwhile waits and goes in the next group), so every concurrent case of the contract
// meets groups. postgres-append-groups.int-spec.ts tests the groups themselves.
eventStoreContract('PostgresEventStore with group commit', contractSubject('event_store_contract_groups', { appendsInFlight: 1 }));

/** What the contract cannot say for every adapter: commit-order reads, ids, connections. */
describe('PostgresEventStore specifics', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let sideClient: Client;

  beforeAll(async () => {
    db = await createTestDatabase('event_store_pg');
    await migrateEventStore(db.url);
    store = new PostgresEventStore({ connectionString: db.url, poolSize: 4 });
    sideClient = new Client({ connectionString: db.url });
    await sideClient.connect();
  });

  afterAll(async () => {
    await sideClient.end();
    await store.close();
    await db.drop();
  });

  /** Starts a stream inside an explicit transaction on the side connection, left open. */
  async function appendInOpenTransaction(streamId: string, event: NewEvent): Promise<void> {
    await sideClient.query('BEGIN');
    await sideClient.query(
      `INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
       VALUES ($1, 0, $2, $3, 1, $4, $5, now())`,
      [streamId, event.metadata.eventId, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata)],
    );
  }

  it('holds back an event committed before an older transaction ends, then delivers both in order', async () => {
    const kind = newKind();
    const filter = { streamPrefixes: [`${kind}-`] };
    const [early, late] = [newStreamId(kind), newStreamId(kind)];
    const subscription = store.subscribe({ filter });
    const received = collect(subscription, 2);

    // `early` takes the lower position but commits last: a reader ordering by position alone
    // would hand out `late`, move past `early`'s position and never see it.
    await appendInOpenTransaction(early, newEvent());
    await store.append(late, [newEvent()], 'no_stream');
    await delay(300);
    expect(await store.readAll({ filter })).toEqual([]);
    await sideClient.query('COMMIT');

    const events = await received;
    expect(events.map((event) => event.streamId)).toEqual([early, late]);
    expect((await store.readAll({ filter })).map((event) => event.streamId)).toEqual([early, late]);
  });

  it('releases held-back events when the older transaction aborts (which sends no NOTIFY)', async () => {
    const kind = newKind();
    const filter = { streamPrefixes: [`${kind}-`] };
    const subscription = store.subscribe({ filter });
    const received = collect(subscription, 1);

    await appendInOpenTransaction(newStreamId(kind), newEvent());
    const committed = newStreamId(kind);
    await store.append(committed, [newEvent()], 'no_stream');
    await delay(200);
    const abortedAt = Date.now();
    await sideClient.query('ROLLBACK');

    const events = await received;
    expect(events.map((event) => event.streamId)).toEqual([committed]);
    expect(Date.now() - abortedAt).toBeLessThan(1000);
  });

  it('returns the original result, position included, for a retried append', async () => {
    const stream = newStreamId();
    const batch = [newEvent(), newEvent()];
    const first = await store.append(stream, batch, 'no_stream');
    await store.append(stream, [newEvent()], 1);

    // Said to be a retry (alreadyStored): a caller must not take what it passed for what is stored.
    expect(first.alreadyStored).toBeUndefined();
    expect(await store.append(stream, batch, 'no_stream')).toEqual({ ...first, alreadyStored: true });
    expect(await store.append(stream, batch, 'any')).toEqual({ ...first, alreadyStored: true });
    expect(await store.append(stream, batch, 'stream_exists')).toEqual({ ...first, alreadyStored: true });
    expect(await store.readStream(stream)).toHaveLength(3);
    expect(store.refusesDuplicateEventIds).toBe(true);
  });

  it('refuses an event id stored in another stream or twice in one batch', async () => {
    const event = newEvent();
    await store.append(newStreamId(), [event], 'no_stream');

    for (const expected of ['no_stream', 'any'] as const) {
      const error = await rejection(store.append(newStreamId(), [event], expected));
      expect(error).toBeInstanceOf(DuplicateEventIdError);
      expect((error as DuplicateEventIdError).eventId).toBe(event.metadata.eventId);
    }
    const twice = newEvent();
    const error = await rejection(store.append(newStreamId(), [newEvent(), twice, twice], 'no_stream'));
    expect(error).toBeInstanceOf(DuplicateEventIdError);
    expect((error as DuplicateEventIdError).eventId).toBe(twice.metadata.eventId);
  });

  it('is not fooled by event ids already stored at other versions of the stream', async () => {
    const stream = newStreamId();
    const event = newEvent();
    await store.append(stream, [newEvent()], 'no_stream');
    await store.append(stream, [event], 0);

    // Would have put the event at version 0, where another event sits: a version conflict.
    const conflict = await rejection(store.append(stream, [event], 'no_stream'));
    expect(conflict).toBeInstanceOf(WrongExpectedVersionError);
    expect((conflict as WrongExpectedVersionError).actual).toBe(1);
    // The version is right, but the event is already stored (at 1): not a retry, a duplicate.
    expect(await rejection(store.append(stream, [event], 1))).toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('checks the expected version of an empty append without writing', async () => {
    const stream = newStreamId();
    const created = await store.append(stream, [newEvent()], 'no_stream');
    expect(await store.append(stream, [], 0)).toEqual(created);
    await expect(store.append(stream, [], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('never leaves a gap in stream versions, whatever concurrent appends fail or abort', async () => {
    const stream = newStreamId();
    await store.append(stream, [newEvent()], 'no_stream');

    // An append that fails inside its statement (a duplicate id in its batch) stores nothing...
    const twice = newEvent();
    expect(await rejection(store.append(stream, [newEvent(), twice, twice], 0))).toBeInstanceOf(DuplicateEventIdError);
    // ...and one whose expected version is in the future is refused, not written past the end.
    for (const future of [1, 2, 10]) {
      expect(await rejection(store.append(stream, [newEvent()], future))).toBeInstanceOf(WrongExpectedVersionError);
    }

    // Rounds of racing writers: at each version exactly one wins. One writer per round bets on the
    // version after it, which holds only if the winner has committed by then.
    let version = 0;
    for (let round = 0; round < 5; round++) {
      const [ahead, ...racers] = await Promise.allSettled([
        store.append(stream, [newEvent()], version + 1),
        ...Array.from({ length: 6 }, () => store.append(stream, [newEvent()], version)),
        ...Array.from({ length: 2 }, () => store.append(stream, [newEvent(), newEvent()], version)),
      ]);
      const won = racers.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      expect(won).toHaveLength(1);
      version = ahead.status === 'fulfilled' ? ahead.value.nextExpectedVersion : won[0].nextExpectedVersion;
      if (ahead.status === 'rejected') expect(ahead.reason).toBeInstanceOf(WrongExpectedVersionError);
    }
    const versions = (await store.readStream(stream)).map((event) => event.streamVersion);
    expect(versions).toEqual(versions.map((_, index) => index));
    expect(versions[versions.length - 1]).toBe(version);
  });

  it('checks the expected version against committed events only', async () => {
    const stream = newStreamId();
    await store.append(stream, [newEvent()], 'no_stream');
    await sideClient.query('BEGIN');
    const uncommitted = newEvent();
    await sideClient.query(
      `INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
       VALUES ($1, 1, $2, $3, 1, '{}', $4, now())`,
      [stream, uncommitted.metadata.eventId, uncommitted.type, JSON.stringify(uncommitted.metadata)],
    );
    let waiting: Promise<AppendResult> | undefined;
    let settled = false;
    try {
      // Version 1 is not committed: appending after it must not be possible (it may yet vanish).
      const refused = await rejection(store.append(stream, [newEvent()], 1));
      expect(refused).toBeInstanceOf(WrongExpectedVersionError);
      expect((refused as WrongExpectedVersionError).actual).toBe(0);
      // An append at version 1 waits for the open transaction instead of failing at once...
      waiting = store.append(stream, [newEvent()], 0);
      void waiting.finally(() => (settled = true)).catch(() => undefined);
      await delay(200);
      expect(settled).toBe(false);
    } finally {
      await sideClient.query('ROLLBACK');
    }
    // ...and takes version 1 once that transaction has rolled back.
    expect((await waiting)?.nextExpectedVersion).toBe(1);
    expect((await store.readStream(stream)).map((event) => event.streamVersion)).toEqual([0, 1]);
  });

  it('lets concurrent "any" and "stream_exists" appends all through, at consecutive versions', async () => {
    const stream = newStreamId();
    await store.append(stream, [newEvent()], 'no_stream');
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, index) =>
        store.append(stream, index % 4 === 0 ? [newEvent(), newEvent()] : [newEvent()], index % 2 ? 'any' : 'stream_exists'),
      ),
    );
    const versions = (await store.readStream(stream)).map((event) => event.streamVersion);
    expect(versions).toHaveLength(1 + 16 + 4);
    expect(versions).toEqual(versions.map((_, index) => index));
    expect(new Set(results.map((result) => result.nextExpectedVersion)).size).toBe(16);
  });

  /** A connection whose transaction has an id and stays open: what commits after it is held back until it ends. */
  const openOlderTransaction = async (): Promise<Client> => {
    const blocker = new Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
    } catch (error) {
      await blocker.end();
      throw error;
    }
    return blocker;
  };

  it('reads its own writes: waits for a transaction begun earlier elsewhere to end, instead of returning less', async () => {
    const blocker = await openOlderTransaction();
    try {
      const stream = newStreamId();
      await store.append(stream, [newEvent()], 'no_stream');
      setTimeout(() => void blocker.query('COMMIT'), 100);
      const started = Date.now();
      const events = await store.readAll({ filter: { streamPrefixes: [stream] } });
      expect(events.map((event) => event.streamId)).toEqual([stream]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    } finally {
      await blocker.end();
    }
  });

  it('counts the committed events a transaction left open holds back, by filter, with the oldest one\'s time', async () => {
    const blocker = await openOlderTransaction();
    try {
      const stream = newStreamId();
      const before = Date.now();
      const event = newEvent();
      await store.append(stream, [event], 'no_stream');
      const held = await store.heldBack({ streamPrefixes: [stream] });
      expect(held.events).toBe(1);
      expect(held.oldestRecordedAt?.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(await store.heldBack({ streamPrefixes: [`${stream}-other`] })).toEqual({ events: 0, oldestRecordedAt: null });
      expect((await store.heldBack({ streamPrefixes: [stream], eventTypes: [event.type] })).events).toBe(1);
      expect((await store.heldBack({ streamPrefixes: [stream], eventTypes: ['NoSuchType'] })).events).toBe(0);
      expect((await store.heldBack()).events).toBeGreaterThanOrEqual(1);
      await blocker.query('COMMIT');
      // Nothing else holds it back once every transaction of the server that began before it has ended (other specs run too).
      await db.settled();
      expect(await store.heldBack({ streamPrefixes: [stream] })).toEqual({ events: 0, oldestRecordedAt: null });
    } finally {
      await blocker.end();
    }
  });

  it('refuses well-formed positions out of range as foreign, before they reach the database', async () => {
    await expect(store.readAll({ after: `${'9'.repeat(20)}-${'9'.repeat(20)}` })).rejects.toThrow(RangeError);
  });

  it('shows each stream and its current version in the streams view', async () => {
    const stream = newStreamId();
    await store.append(stream, [newEvent(), newEvent(), newEvent()], 'no_stream');
    const { rows } = await sideClient.query<{ version: string; event_count: string }>('SELECT version, event_count FROM streams WHERE stream_id = $1', [stream]);
    expect(rows).toEqual([{ version: '2', event_count: '3' }]);
  });

  it('encodes positions that also sort as plain strings, and rejects foreign ones', async () => {
    const stream = newStreamId();
    for (let index = 0; index < 12; index++) await store.append(stream, [newEvent()], index - 1);
    // A transaction still open elsewhere in the cluster (another test database) may hold recent
    // events back for a moment: the global order never hands them out before it ends.
    let positions: string[] = [];
    await eventually(async () => {
      positions = (await store.readAll({ filter: { streamPrefixes: [stream] } })).map((event) => event.position);
      expect(positions).toHaveLength(12);
    });
    expect([...positions].sort()).toEqual(positions);
    await expect(store.readAll({ after: 'not-a-position' })).rejects.toThrow(RangeError);
  });

  it('reads back awkward text, numbers and shapes exactly, through every read path (events arrive as one JSON array per row)', async () => {
    const kind = newKind();
    const stream = `${kind}-"quoted"\\back\tslash-ünï-😀-${randomUUID()}`;
    const awkward = {
      text: 'quote " backslash \\ slash / tab \t newline \n nul-free control \u0001 unicode ünïcödé 中文 😀 \u2028',
      numbers: [0, -1, 1.5, 1e21, 123456789012345, -0.000001, 9007199254740991],
      nested: { empty: {}, list: [], nulls: [null, { a: null }], deep: [[[{ b: [true, false] }]]] },
    };
    const [awkwardType, scalarType] = [`Awkward "type" \\ ü ${kind}`, `Scalar ${kind}`];
    const events: NewEvent[] = [
      { ...newEvent(awkwardType, awkward), schemaVersion: 7 },
      newEvent(scalarType, 'just a string'),
      newEvent(scalarType, null),
      newEvent(scalarType, [1, '2', { three: 3 }]),
    ];
    events[0].metadata.note = 'metadata " \\ 😀';
    await store.append(stream, events, 'no_stream');

    const expectSame = (read: RecordedEvent[]) => {
      expect(read.map((event) => [event.streamId, event.type, event.schemaVersion, event.data, event.eventId])).toEqual(
        events.map((event) => [stream, event.type, event.schemaVersion, event.data, event.metadata.eventId]),
      );
      for (const [index, event] of read.entries()) {
        expect(event.metadata).toEqual({ ...events[index].metadata, recordedAt: event.recordedAt.toISOString() });
        expect(event.streamVersion).toBe(index);
      }
    };
    const forwards = await store.readStream(stream);
    expectSame(forwards);
    expectSame((await store.readStream(stream, { direction: 'backwards' })).reverse());
    let all: RecordedEvent[] = [];
    await eventually(async () => {
      all = await store.readAll({ filter: { streamPrefixes: [kind] } });
      expect(all).toHaveLength(events.length);
    }, 10_000); // a transaction open elsewhere in the cluster may hold them back for a moment
    expectSame(all);
    expect(all.map((event) => event.position)).toEqual(forwards.map((event) => event.position));
    // Unfiltered pages and filtered subscription pages build events from rows of their own.
    const unfiltered = (await store.readAll({ after: all[0].position, maxCount: 10_000 })).filter((event) => event.streamId === stream);
    expectSame([all[0], ...unfiltered]);
    expectSame(await collect(store.subscribe({ filter: { streamPrefixes: [kind] } }), events.length));
    expectSame(await collect(store.subscribe({ filter: { eventTypes: [awkwardType, scalarType] } }), events.length));
    // The whole log's pages (this file's tests run one at a time: nothing else is appended meanwhile).
    expectSame([all[0], ...(await collect(store.subscribe({ after: all[0].position }), events.length - 1))]);
  });

  it('opens one LISTEN connection for all subscriptions and closes it with the last', async () => {
    const listeners = async () => {
      const { rows } = await sideClient.query<{ count: string }>(
        `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
      );
      return Number(rows[0].count);
    };
    const subscriptions = [store.subscribe(), store.subscribe()];
    const iterators = subscriptions.map((subscription) => subscription[Symbol.asyncIterator]());
    const pending = iterators.map((iterator) => iterator.next());
    await eventually(async () => expect(await listeners()).toBe(1));

    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    await Promise.all(pending);
    await eventually(async () => expect(await listeners()).toBe(0));
  });

  it("reads a stream without its metadata but the actor when asked (metadata 'actor'): what a replay for projections needs", async () => {
    const streamId = `lean-${randomUUID()}`;
    await store.append(streamId, [newEvent('Lean', { n: 1 }), newEvent('Lean', { n: 2 })], 'no_stream');
    const [first, second] = await store.readStream(streamId, { metadata: 'actor' });
    expect(Object.keys(first.metadata).sort()).toEqual(['actorId', 'recordedAt']);
    expect(second.data).toEqual({ n: 2 });
    // Backwards reads are never lean (the hash chain reads heads with them).
    const [head] = await store.readStream(streamId, { direction: 'backwards', maxCount: 1, metadata: 'actor' });
    expect(head.metadata.eventId).toBe(head.eventId);
  });

  it("reads the global log without its metadata but the actor when asked (metadata 'actor'): what a projection rebuild needs", async () => {
    const streamId = `leanall-${randomUUID()}`;
    await store.append(streamId, [newEvent('Lean', { n: 1 }), newEvent('Lean', { n: 2 })], 'no_stream');
    const filter = { streamPrefixes: [streamId] };
    const whole = await store.readAll({ filter });
    const lean = await store.readAll({ filter, metadata: 'actor' });
    expect(lean.map((event) => Object.keys(event.metadata).sort())).toEqual([['actorId', 'recordedAt'], ['actorId', 'recordedAt']]);
    expect(lean.map(({ metadata: { actorId, recordedAt }, ...rest }) => ({ ...rest, metadata: { actorId, recordedAt } }))).toEqual(
      whole.map(({ metadata: { actorId, recordedAt }, ...rest }) => ({ ...rest, metadata: { actorId, recordedAt } })),
    );
    // After a position, as pages are read.
    expect((await store.readAll({ filter, after: lean[0].position, metadata: 'actor' })).map((event) => event.data)).toEqual([{ n: 2 }]);
  });
});

/**
 * A keyed command's answer written by its append (AppendOptions.answer), in the append's own
 * transaction: the row's xmin is the transaction id the events carry. The table is the one the
 * platform's migrations create (idempotency_keys); it is created here as they create it.
 */
describe('PostgresEventStore remembers an answer with the events it appends', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let sql: Client;

  beforeAll(async () => {
    db = await createTestDatabase('event_store_answers');
    await migrateEventStore(db.url);
    store = new PostgresEventStore({ connectionString: db.url, poolSize: 4 });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    const runner = { query: (text: string) => sql.query(text) } as unknown as QueryRunner;
    await new IdempotencyKeys1764000100000().up(runner);
    await new IdempotencyAnswers1764001100000().up(runner);
  });

  afterAll(async () => {
    await sql.end();
    await store.close();
    await db.drop();
  });

  const answer = (id = randomUUID()): AnswerToRemember => ({ scope: 'alice', key: randomUUID(), requestHash: 'h1', status: 201, id });

  /** The answer row of a key, and whether the same transaction wrote it as the stream's event at `version`. */
  async function remembered(key: string, streamId: string, version: number) {
    const { rows } = await sql.query(
      `SELECT k.request_hash, k.status, k.response,
              k.xmin::text = (SELECT (e.transaction_id::text::numeric % 4294967296)::text FROM events e WHERE e.stream_id = $2 AND e.stream_version = $3) AS with_the_events
         FROM idempotency_keys k WHERE k.scope = 'alice' AND k.key = $1`,
      [key, streamId, version],
    );
    return rows;
  }

  it('writes { id, version } in the append, for one event, a batch, at an exact version and under a condition', async () => {
    const stream = newStreamId();
    const created = answer();
    expect(await store.append(stream, [newEvent()], 'no_stream', { answer: created })).toMatchObject({ nextExpectedVersion: 0, answerRemembered: true });
    expect(await remembered(created.key, stream, 0)).toEqual([{ request_hash: 'h1', status: 201, response: { id: created.id, version: 0 }, with_the_events: true }]);

    const batch = { ...answer(), status: 200 };
    expect(await store.append(stream, [newEvent(), newEvent()], 0, { answer: batch })).toMatchObject({ nextExpectedVersion: 2, answerRemembered: true });
    expect(await remembered(batch.key, stream, 2)).toEqual([{ request_hash: 'h1', status: 200, response: { id: batch.id, version: 2 }, with_the_events: true }]);

    const other = newStreamId();
    await store.append(other, [newEvent()], 'no_stream');
    const conditional = answer();
    const result = await store.append(stream, [newEvent()], 2, { conditions: [{ streamId: other, version: 0 }], answer: conditional });
    expect(result).toMatchObject({ nextExpectedVersion: 3, answerRemembered: true });
    expect(await remembered(conditional.key, stream, 3)).toEqual([{ request_hash: 'h1', status: 201, response: { id: conditional.id, version: 3 }, with_the_events: true }]);
  });

  it('writes nothing when nothing is appended: a wrong version, a failed condition, a retried append', async () => {
    const stream = newStreamId();
    const batch = [newEvent()];
    const first = await store.append(stream, batch, 'no_stream');

    const stale = answer();
    expect(await rejection(store.append(stream, [newEvent()], 'no_stream', { answer: stale }))).toBeInstanceOf(WrongExpectedVersionError);
    // An exact version the stream has not reached inserts no row, without an error: the statement commits.
    const ahead = answer();
    expect(await rejection(store.append(stream, [newEvent()], 5, { answer: ahead }))).toBeInstanceOf(WrongExpectedVersionError);
    expect(await rejection(store.append(stream, [newEvent(), newEvent()], 5, { answer: ahead }))).toBeInstanceOf(WrongExpectedVersionError);
    const other = newStreamId();
    const moved = answer();
    expect(await rejection(store.append(stream, [newEvent()], 0, { conditions: [{ streamId: other, version: 0 }], answer: moved }))).toBeInstanceOf(WrongExpectedVersionError);
    const retried = answer();
    expect(await store.append(stream, batch, 'no_stream', { answer: retried })).toEqual({ ...first, alreadyStored: true });

    const { rows } = await sql.query('SELECT key FROM idempotency_keys WHERE key = ANY($1)', [[stale.key, ahead.key, moved.key, retried.key]]);
    expect(rows).toEqual([]);
  });

  it('refuses an append whose key already holds an answer, appending nothing, on every path (one event, a batch, under a condition)', async () => {
    const key = randomUUID();
    await sql.query(`INSERT INTO idempotency_keys (scope, key, request_hash, state, status, response) VALUES ('alice', $1, 'h0', 'done', 201, '{"first": true}')`, [key]);
    const stream = newStreamId();
    const taken = { ...answer(), key };
    expect(await rejection(store.append(stream, [newEvent()], 'no_stream', { answer: taken }))).toBeInstanceOf(IdempotencyKeyTakenError);
    await store.append(stream, [newEvent()], 'no_stream');
    expect(await rejection(store.append(stream, [newEvent(), newEvent()], 0, { answer: taken }))).toBeInstanceOf(IdempotencyKeyTakenError);
    const other = newStreamId();
    await store.append(other, [newEvent()], 'no_stream');
    expect(await rejection(store.append(stream, [newEvent()], 0, { conditions: [{ streamId: other, version: 0 }], answer: taken }))).toBeInstanceOf(IdempotencyKeyTakenError);
    expect(await store.readStream(stream)).toHaveLength(1);
    expect(await remembered(key, stream, 0)).toEqual([{ request_hash: 'h0', status: 201, response: { first: true }, with_the_events: false }]);
    // The stream is usable as before: the refusal held no lock and left no gap.
    expect(await store.append(stream, [newEvent()], 0, { answer: answer() })).toMatchObject({ nextExpectedVersion: 1, answerRemembered: true });
  });

  it('of two appends with one key at the same moment, on two streams, one lands and the other is refused whole', async () => {
    for (let round = 0; round < 20; round++) {
      const key = randomUUID();
      const [a, b] = [newStreamId(), newStreamId()];
      const outcomes = await Promise.allSettled([store.append(a, [newEvent()], 'no_stream', { answer: { ...answer(), key } }), store.append(b, [newEvent()], 'no_stream', { answer: { ...answer(), key } })]);
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
      const refused = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(refused?.reason).toBeInstanceOf(IdempotencyKeyTakenError);
      expect((await store.readStream(a)).length + (await store.readStream(b)).length).toBe(1);
    }
  });
});

/**
 * Conditional appends (AppendOptions.conditions) against appends to the named stream that are in
 * flight at the same moment: the write-skew window a check inside the INSERT alone would leave open
 * under READ COMMITTED. A trigger makes chosen inserts slow, so an append is caught holding its
 * lock with its row not yet committed; the lock table says when it got there.
 */
describe('PostgresEventStore conditions on other streams, under concurrency', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let admin: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('event_store_conditions');
    await migrateEventStore(db.url);
    store = new PostgresEventStore({ connectionString: db.url, poolSize: 24 });
    admin = new Pool({ connectionString: db.url, max: 2 });
    admin.on('error', () => undefined); // an idle client cut off when the database is dropped
    // Inserts into streams named slow-… take 400 ms, inside the append's transaction.
    await admin.query(`
      CREATE FUNCTION test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.stream_id LIKE 'slow-%' AND NEW.stream_version > 0 THEN PERFORM pg_sleep(0.4); END IF;
        RETURN NEW;
      END $$`);
    await admin.query('CREATE TRIGGER test_slow_insert BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_slow_insert()');
  });

  afterAll(async () => {
    await store.close();
    await admin.end();
    await db.drop();
  });

  /** Waits until another session of this database is in a slow insert, or waits for a stream lock. */
  async function untilSession(state: 'in a slow insert' | 'waiting for a stream lock'): Promise<void> {
    const [eventType, event] = state === 'in a slow insert' ? ['Timeout', 'PgSleep'] : ['Lock', 'advisory'];
    await eventually(async () => {
      const { rows } = await admin.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = $1 AND wait_event = $2',
        [eventType, event],
      );
      expect(rows[0].n).toBeGreaterThan(0);
    });
  }

  it('refuses a conditional append while an append to the named stream is in flight, once that commits', async () => {
    const guard = newStreamId('slow');
    await store.append(guard, [newEvent()], 'no_stream');
    // The guard's version 1 is inserted but not committed: its row is invisible to any snapshot.
    const moving = store.append(guard, [newEvent()], 0);
    await untilSession('in a slow insert');

    const stream = newStreamId();
    const error = await rejection(store.append(stream, [newEvent()], 'no_stream', { conditions: [{ streamId: guard, version: 0 }] }));
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error).toMatchObject({ streamId: guard, expected: 0, actual: 1 });
    expect((await moving).nextExpectedVersion).toBe(1);
    expect(await store.readStream(stream)).toEqual([]);
  });

  it('holds an append to a named stream back until the conditional append committed, so it comes later in the log', async () => {
    const kind = newKind();
    const guard = newStreamId(kind);
    const slowStream = `slow-${kind}-${randomUUID()}`;
    await store.append(guard, [newEvent()], 'no_stream');
    await store.append(slowStream, [newEvent()], 'no_stream');
    // The conditional append holds the guard's lock in share mode while its slow insert runs.
    const conditional = store.append(slowStream, [newEvent()], 0, { conditions: [{ streamId: guard, version: 0 }] });
    await untilSession('in a slow insert');
    const moving = store.append(guard, [newEvent()], 0);
    await untilSession('waiting for a stream lock');

    const [first, second] = await Promise.all([conditional, moving]);
    expect(first.position < second.position).toBe(true);
    const log = await store.readAll({ filter: { streamPrefixes: [`${kind}-`, `slow-${kind}-`] } });
    expect(log.filter((event) => event.streamVersion === 1).map((event) => event.streamId)).toEqual([slowStream, guard]);
  });

  it('never lets a conditional append land after an append to its named stream, over many concurrent rounds', async () => {
    const kind = newKind();
    const rounds = Array.from({ length: 40 }, () => ({ guard: newStreamId(kind), stream: newStreamId(kind) }));
    await Promise.all(rounds.map(({ guard }) => store.append(guard, [newEvent()], 'no_stream')));

    const outcomes = await Promise.all(
      rounds.map(async ({ guard, stream }) => {
        const [conditional] = await Promise.allSettled([
          store.append(stream, [newEvent()], 'no_stream', { conditions: [{ streamId: guard, version: 0 }] }),
          store.append(guard, [newEvent()], 0),
        ]);
        return conditional;
      }),
    );

    const log = await store.readAll({ filter: { streamPrefixes: [`${kind}-`] }, maxCount: 1000 });
    const at = (streamId: string, version: number) => log.findIndex((event) => event.streamId === streamId && event.streamVersion === version);
    for (const [index, { guard, stream }] of rounds.entries()) {
      const outcome = outcomes[index];
      expect(at(guard, 1)).toBeGreaterThanOrEqual(0);
      if (outcome.status === 'rejected') {
        expect(outcome.reason).toMatchObject({ streamId: guard, actual: 1 });
        expect(at(stream, 0)).toBe(-1);
      } else {
        expect(at(stream, 0)).toBeLessThan(at(guard, 1));
      }
    }
    // Which of the two wins a round is up to the scheduler; either way the log order agrees with it.
  });
});
