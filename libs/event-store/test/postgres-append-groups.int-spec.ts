import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { AnswerToRemember, APPEND_GROUP_TEXTS, IdempotencyKeyTakenError, migrateEventStore, PostgresEventStore, RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { IdempotencyAnswers1764001100000 } from '@app/platform/idempotency/idempotency-answers.migration';
import { IdempotencyKeys1764000100000 } from '@app/platform/idempotency/idempotency.migration';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { delay, newEvent, newKind, newStreamId, rejection } from './helpers';

/**
 * Group commit (appendsInFlight, AppendGroups): single-event appends that arrive while the limit is
 * in flight go together in one statement. Each must end exactly as it would have alone. The
 * contract suite runs against a grouping store too (postgres.int-spec.ts); this spec checks what
 * only groups meet.
 */
describe('PostgresEventStore group commit', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  let side: Client;

  beforeAll(async () => {
    db = await createTestDatabase('event_store_groups');
    await migrateEventStore(db.url);
    store = new PostgresEventStore({ connectionString: db.url, poolSize: 8, appendsInFlight: 1 });
    side = new Client({ connectionString: db.url });
    await side.connect();
    const runner = { query: (text: string) => side.query(text) } as unknown as QueryRunner;
    await new IdempotencyKeys1764000100000().up(runner);
    await new IdempotencyAnswers1764001100000().up(runner);
  });

  afterAll(async () => {
    await side?.end();
    await store?.close();
    await db?.drop();
  });

  it('appends 6,000 events of 150 concurrent writers, in groups, each at its version and in its order', async () => {
    const kind = newKind();
    const streams = Array.from({ length: 150 }, () => newStreamId(kind));
    const before = store.appendGroupStats;
    const written = new Map<string, string[]>();
    const results = new Map<string, { version: number; position: string }[]>();
    await Promise.all(
      streams.map(async (stream) => {
        const ids: string[] = [];
        const answers: { version: number; position: string }[] = [];
        let expected: number | 'no_stream' = 'no_stream';
        for (let index = 0; index < 40; index++) {
          const event = newEvent('Grouped', { index });
          const result = await store.append(stream, [event], expected);
          ids.push(event.metadata.eventId);
          answers.push({ version: result.nextExpectedVersion, position: result.position });
          expected = result.nextExpectedVersion;
        }
        written.set(stream, ids);
        results.set(stream, answers);
      }),
    );

    const after = store.appendGroupStats;
    const groups = after.groups - before.groups;
    const grouped = after.appends - before.appends;
    // Most appends waited behind the one in flight and went in groups of several.
    expect(groups).toBeGreaterThan(0);
    expect(grouped).toBeGreaterThan(3_000);
    expect(grouped / groups).toBeGreaterThan(2);
    const positions = new Set<string>();
    for (const stream of streams) {
      const events = await store.readStream(stream);
      expect(events.map((event) => event.streamVersion)).toEqual(Array.from({ length: 40 }, (_, index) => index));
      expect(events.map((event) => event.metadata.eventId)).toEqual(written.get(stream));
      expect(events.map((event) => (event.data as { index: number }).index)).toEqual(Array.from({ length: 40 }, (_, index) => index));
      // Each append was told its own version and the position its event was stored at.
      expect(results.get(stream)).toEqual(events.map((event) => ({ version: event.streamVersion, position: event.position })));
      for (const event of events) positions.add(event.position);
    }
    expect(positions.size).toBe(6_000);
    // The global log holds them in one order, each once.
    const all: RecordedEvent[] = [];
    for (let page = await store.readAll({ filter: { streamPrefixes: [`${kind}-`] }, maxCount: 5_000 }); page.length > 0; ) {
      all.push(...page);
      page = await store.readAll({ filter: { streamPrefixes: [`${kind}-`] }, maxCount: 5_000, after: page[page.length - 1].position });
    }
    expect(all).toHaveLength(6_000);
    expect([...all.map((event) => event.position)].sort()).toEqual(all.map((event) => event.position));
  });

  it('lets exactly one of two appends at one expected version win, in groups as alone', async () => {
    const streams = Array.from({ length: 60 }, () => newStreamId());
    for (const stream of streams) await store.append(stream, [newEvent()], 'no_stream');
    // A first append holds the one slot, so every pair below waits and meets groups.
    const outcomes = await Promise.all([
      store.append(newStreamId(), [newEvent()], 'no_stream'),
      ...streams.flatMap((stream) => [0, 1].map(() => store.append(stream, [newEvent()], 0).then((result) => result, (error: unknown) => error))),
    ]);

    const pairs = outcomes.slice(1);
    for (let index = 0; index < streams.length; index++) {
      const [first, second] = [pairs[2 * index], pairs[2 * index + 1]];
      const lost = [first, second].filter((outcome) => outcome instanceof WrongExpectedVersionError);
      const won = [first, second].filter((outcome) => !(outcome instanceof Error));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toMatchObject({ streamId: streams[index], expected: 0, actual: 1 });
      expect(await store.readStream(streams[index])).toHaveLength(2);
    }
  });

  it('answers a retry of an append already stored as the first time, grouped or not', async () => {
    const streams = Array.from({ length: 30 }, () => newStreamId());
    const events = streams.map(() => newEvent());
    const first = await Promise.all([store.append(newStreamId(), [newEvent()], 'no_stream'), ...streams.map((stream, index) => store.append(stream, [events[index]], 'no_stream'))]);
    // The same events again (a client's retry after a lost answer), all at once.
    const again = await Promise.all([store.append(newStreamId(), [newEvent()], 'no_stream'), ...streams.map((stream, index) => store.append(stream, [events[index]], 'no_stream'))]);

    for (let index = 1; index <= streams.length; index++) {
      expect(again[index]).toMatchObject({ nextExpectedVersion: 0, position: first[index].position });
      expect(await store.readStream(streams[index - 1])).toHaveLength(1);
    }
  });

  it('leaves a stream locked by another transaction out of its group, which does not wait for it', async () => {
    const locked = newStreamId();
    const others = Array.from({ length: 10 }, () => newStreamId());
    // What a conditional append does to the streams it names (appendIfUnchanged): a shared lock until commit.
    const { pending: lockedAppend } = await whileLocked(locked, 'shared', async () => {
      const occupying = store.append(newStreamId(), [newEvent()], 'no_stream');
      const pending = store.append(locked, [newEvent()], 'no_stream');
      let lockedDone = false;
      void pending.then(() => (lockedDone = true));
      const rest = await Promise.all(others.map((stream) => store.append(stream, [newEvent()], 'no_stream')));
      await occupying;

      expect(rest.map((result) => result.nextExpectedVersion)).toEqual(others.map(() => 0));
      await delay(200);
      // Handed back by its group, it now waits alone for the lock, as any append would.
      expect(lockedDone).toBe(false);
      expect(await store.readStream(locked)).toEqual([]);
      return { pending };
    });
    // Once the lock is released it goes on, as alone, and the stream carries on from it.
    await expect(lockedAppend).resolves.toMatchObject({ nextExpectedVersion: 0 });
    await expect(store.append(locked, [newEvent()], 0)).resolves.toMatchObject({ nextExpectedVersion: 1 });
    expect(await store.readStream(locked)).toHaveLength(2);
  });

  it('gives back the slot of an append that waits for its stream lock, so other streams are not held back behind it', async () => {
    const locked = newStreamId();
    const others = Array.from({ length: 5 }, () => newStreamId());
    // A transaction holding the stream's lock exclusively (as an append in flight does), left open.
    const { pending: waiting } = await whileLocked(locked, 'exclusive', async () => {
      // Takes the one slot, alone, and waits for the lock.
      const pending = store.append(locked, [newEvent()], 'no_stream');
      let waitingDone = false;
      void pending.then(() => (waitingDone = true));
      const started = Date.now();
      const rest = await Promise.all(others.map((stream) => store.append(stream, [newEvent()], 'no_stream')));
      expect(rest.map((result) => result.nextExpectedVersion)).toEqual(others.map(() => 0));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(waitingDone).toBe(false);
      return { pending };
    });
    await expect(waiting).resolves.toMatchObject({ nextExpectedVersion: 0 });
  });

  it('appends every member alone when the group statement fails as a whole: only the bad one fails', async () => {
    const good = Array.from({ length: 8 }, () => newStreamId());
    const bad = `bad-${'\u0000'}-stream`; // PostgreSQL refuses a NUL in text: the whole group statement fails
    const outcomes = await Promise.all([
      store.append(newStreamId(), [newEvent()], 'no_stream'),
      ...good.map((stream) => store.append(stream, [newEvent()], 'no_stream')),
      store.append(bad, [newEvent()], 'no_stream').then(
        () => 'appended',
        (error: unknown) => error,
      ),
    ]);

    expect(outcomes.slice(1, 1 + good.length)).toEqual(good.map(() => expect.objectContaining({ nextExpectedVersion: 0 })));
    expect(outcomes[outcomes.length - 1]).toBeInstanceOf(Error);
    for (const stream of good) expect(await store.readStream(stream)).toHaveLength(1);
  });

  /**
   * Runs `body` while another transaction holds `stream`'s advisory lock (shared: as a conditional
   * append naming it; exclusive: as an append in flight on it), then commits that transaction. What
   * `body` returns (an append left waiting for the lock, in an object so it is not awaited here) is
   * handed back, to be awaited once the lock is released.
   */
  async function whileLocked<T>(stream: string, mode: 'shared' | 'exclusive', body: () => Promise<T>): Promise<T> {
    await side.query('BEGIN');
    await side.query(`SELECT pg_advisory_xact_lock${mode === 'shared' ? '_shared' : ''}(${0x474c}, hashtext($1))`, [stream]);
    try {
      return await body();
    } finally {
      await side.query('COMMIT');
    }
  }

  const answer = (): AnswerToRemember => ({ scope: 'alice', key: randomUUID(), requestHash: 'h1', status: 201, id: randomUUID() });

  /** The answer a key holds, and whether the transaction that wrote it also wrote the stream's event at `version`. */
  async function remembered(key: string, streamId: string, version: number): Promise<{ response: unknown; with_the_events: boolean } | undefined> {
    const { rows } = await side.query<{ response: unknown; with_the_events: boolean }>(
      `SELECT k.response,
              k.xmin::text = (SELECT (e.transaction_id::text::numeric % 4294967296)::text FROM events e WHERE e.stream_id = $2 AND e.stream_version = $3) AS with_the_events
         FROM idempotency_keys k WHERE k.scope = 'alice' AND k.key = $1`,
      [key, streamId, version],
    );
    return rows[0];
  }

  it("remembers keyed commands' answers in their group's transaction, each with its own event", async () => {
    const streams = Array.from({ length: 40 }, () => newStreamId());
    const answers = streams.map(() => answer());
    const before = store.appendGroupStats;
    const results = await Promise.all([
      store.append(newStreamId(), [newEvent()], 'no_stream'),
      ...streams.map((stream, index) => store.append(stream, [newEvent()], 'no_stream', index % 4 === 0 ? {} : { answer: answers[index] })),
    ]);

    expect(store.appendGroupStats.appends - before.appends).toBeGreaterThan(20);
    for (let index = 0; index < streams.length; index++) {
      const keyed = index % 4 !== 0;
      expect(results[index + 1]).toMatchObject({ nextExpectedVersion: 0, ...(keyed ? { answerRemembered: true } : {}) });
      expect(results[index + 1].answerRemembered).toBe(keyed ? true : undefined);
      const row = await remembered(answers[index].key, streams[index], 0);
      if (keyed) expect(row).toEqual({ response: { id: answers[index].id, version: 0 }, with_the_events: true });
      else expect(row).toBeUndefined();
    }
  });

  it('refuses a key that holds an answer already, appending nothing for it, while the rest of its group is appended', async () => {
    const taken = answer();
    await store.append(newStreamId(), [newEvent()], 'no_stream', { answer: taken });
    const streams = Array.from({ length: 12 }, () => newStreamId());
    const answers = streams.map((_, index) => (index === 5 ? { ...taken, id: randomUUID() } : answer()));
    const outcomes = await Promise.all([
      store.append(newStreamId(), [newEvent()], 'no_stream'),
      ...streams.map((stream, index) => store.append(stream, [newEvent()], 'no_stream', { answer: answers[index] }).then((result) => result, (error: unknown) => error)),
    ]);

    for (let index = 0; index < streams.length; index++) {
      if (index === 5) {
        expect(outcomes[index + 1]).toBeInstanceOf(IdempotencyKeyTakenError);
        expect(await store.readStream(streams[index])).toEqual([]);
      } else {
        expect(outcomes[index + 1]).toMatchObject({ nextExpectedVersion: 0, answerRemembered: true });
        expect(await remembered(answers[index].key, streams[index], 0)).toMatchObject({ with_the_events: true });
      }
    }
  });

  it('leaves out a member whose expected version is behind or ahead of its stream, which alone is refused with the actual version', async () => {
    const behind = newStreamId();
    const ahead = newStreamId();
    for (const stream of [behind, ahead]) await store.append(stream, [newEvent(), newEvent(), newEvent()], 'no_stream');
    const others = Array.from({ length: 6 }, () => newStreamId());
    const outcomes = await Promise.all([
      store.append(newStreamId(), [newEvent()], 'no_stream'),
      store.append(behind, [newEvent()], 0).then((result) => result, (error: unknown) => error),
      store.append(ahead, [newEvent()], 7).then((result) => result, (error: unknown) => error),
      ...others.map((stream) => store.append(stream, [newEvent()], 'no_stream')),
    ]);

    expect(outcomes[1]).toMatchObject({ streamId: behind, expected: 0, actual: 2 });
    expect(outcomes[2]).toMatchObject({ streamId: ahead, expected: 7, actual: 2 });
    expect(outcomes[1]).toBeInstanceOf(WrongExpectedVersionError);
    expect(outcomes[2]).toBeInstanceOf(WrongExpectedVersionError);
    for (const stream of [behind, ahead]) expect((await store.readStream(stream)).map((event) => event.streamVersion)).toEqual([0, 1, 2]);
    expect(outcomes.slice(3)).toEqual(others.map(() => expect.objectContaining({ nextExpectedVersion: 0 })));
  });

  it('plans each group to probe the expected versions through the index, never to scan the log (custom and generic plans)', async () => {
    const kind = newKind();
    for (let writer = 0; writer < 20; writer++) {
      const stream = newStreamId(kind);
      await store.append(stream, Array.from({ length: 250 }, () => newEvent()), 'no_stream');
    }
    await side.query('ANALYZE events');
    const streams = Array.from({ length: 20 }, () => newStreamId());
    const parameters = [
      streams,
      streams.map(() => 3),
      streams.map(() => randomUUID()),
      streams.map(() => 'Planned'),
      streams.map(() => 1),
      JSON.stringify(streams.map(() => ({}))),
      JSON.stringify(streams.map(() => ({ actorId: 'planner' }))),
    ];
    const answers = [streams.map(() => 'alice'), streams.map(() => randomUUID()), streams.map(() => 'h'), streams.map(() => 201), streams.map(() => randomUUID())];
    for (const [index, text] of APPEND_GROUP_TEXTS.entries()) {
      const values = index === 0 ? parameters : [...parameters, ...answers];
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await side.query('BEGIN');
        try {
          await side.query(`SET LOCAL plan_cache_mode = ${mode}`);
          await side.query(`PREPARE planned AS ${text}`);
          // EXPLAIN EXECUTE takes no bind parameters: the values go in as literals.
          const literals = values.map((value) => side.escapeLiteral(Array.isArray(value) ? `{${value.join(',')}}` : String(value)));
          const { rows } = await side.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) EXECUTE planned(${literals.join(', ')})`);
          const scans = planNodes(rows[0]['QUERY PLAN'][0].Plan).filter((node) => node['Relation Name'] === 'events' && node['Node Type'] !== 'ModifyTable');
          expect(scans.map((node) => [node['Node Type'], node['Index Name']])).toEqual([[expect.stringMatching(/^Index (Only )?Scan$/), 'events_stream_version_key']]);
        } finally {
          await side.query('ROLLBACK');
          await side.query('DEALLOCATE ALL');
        }
      }
    }
  });

  it('refuses a negative limit', () => {
    expect(() => new PostgresEventStore({ connectionString: db.url, appendsInFlight: -1 })).toThrow(RangeError);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

describe('PostgresEventStore without group commit', () => {
  it('sends every append alone (appendsInFlight 0, the default)', async () => {
    const db = await createTestDatabase('event_store_no_groups');
    await migrateEventStore(db.url);
    const store = new PostgresEventStore({ connectionString: db.url, poolSize: 4 });
    try {
      await Promise.all(Array.from({ length: 50 }, () => store.append(newStreamId(), [newEvent()], 'no_stream')));
      expect(store.appendGroupStats).toEqual({ groups: 0, appends: 0 });
      await expect(rejection(store.append(newStreamId(), [], 'stream_exists'))).resolves.toBeInstanceOf(WrongExpectedVersionError);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
