/**
 * The event-store contract: one suite every adapter runs (Postgres, EventStoreDB). It pins down
 * version numbering, expected-version semantics, idempotent retries, global ordering and
 * subscriptions. Adapter-specific behaviour belongs in the adapter's own spec.
 *
 * Tests share one store per adapter run, so each one writes to streams (and event types) of its
 * own and reads the global log through a stream-prefix filter or from a position it recorded.
 */
import { randomUUID } from 'node:crypto';
import { EventMetadata, EventStore, RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { collect, delay, newEvent, newKind, newStreamId, rejection } from './helpers';

export interface ContractSubject {
  store: EventStore;
  /** Runs SQL against the store's database; only SQL-backed adapters provide it. */
  rawSql?: (sql: string) => Promise<unknown>;
  teardown(): Promise<void>;
}

export function eventStoreContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`event-store contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: EventStore;

    beforeAll(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterAll(async () => {
      await subject.teardown();
    });

    describe('versions', () => {
      it('numbers the events of a stream from 0 and returns the last version', async () => {
        const stream = newStreamId();
        const first = await store.append(stream, [newEvent()], 'no_stream');
        const second = await store.append(stream, [newEvent(), newEvent()], first.nextExpectedVersion);

        expect(first.nextExpectedVersion).toBe(0);
        expect(second.nextExpectedVersion).toBe(2);
        expect((await store.readStream(stream)).map((event) => event.streamVersion)).toEqual([0, 1, 2]);
      });

      it('reads a stream that does not exist as an empty list', async () => {
        expect(await store.readStream(newStreamId())).toEqual([]);
        expect(await store.readStream(newStreamId(), { direction: 'backwards' })).toEqual([]);
      });

      it('appends with "any" to a new and to an existing stream', async () => {
        const stream = newStreamId();
        expect((await store.append(stream, [newEvent()], 'any')).nextExpectedVersion).toBe(0);
        expect((await store.append(stream, [newEvent()], 'any')).nextExpectedVersion).toBe(1);
      });

      it('appends with "no_stream" only while the stream does not exist', async () => {
        const stream = newStreamId();
        await store.append(stream, [newEvent()], 'no_stream');

        const error = await rejection(store.append(stream, [newEvent()], 'no_stream'));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actual).toBe(0);
        expect((error as WrongExpectedVersionError).expected).toBe('no_stream');
        expect((error as WrongExpectedVersionError).streamId).toBe(stream);
      });

      it('appends with "stream_exists" only when the stream exists', async () => {
        const stream = newStreamId();
        const error = await rejection(store.append(stream, [newEvent()], 'stream_exists'));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actual).toBe(-1);
        expect(await store.readStream(stream)).toEqual([]);

        await store.append(stream, [newEvent()], 'no_stream');
        expect((await store.append(stream, [newEvent()], 'stream_exists')).nextExpectedVersion).toBe(1);
      });

      it('appends at an exact expected version and refuses a wrong one with the actual version', async () => {
        const stream = newStreamId();
        await store.append(stream, [newEvent(), newEvent()], 'no_stream');
        expect((await store.append(stream, [newEvent()], 1)).nextExpectedVersion).toBe(2);

        for (const wrong of [0, 1, 3, 7]) {
          const error = await rejection(store.append(stream, [newEvent()], wrong));
          expect(error).toBeInstanceOf(WrongExpectedVersionError);
          expect((error as WrongExpectedVersionError).actual).toBe(2);
          expect((error as WrongExpectedVersionError).expected).toBe(wrong);
        }
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('refuses an exact expected version on a stream that does not exist (actual -1)', async () => {
        const stream = newStreamId();
        const error = await rejection(store.append(stream, [newEvent()], 0));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect((error as WrongExpectedVersionError).actual).toBe(-1);
      });

      it('stores a batch in order with consecutive versions', async () => {
        const stream = newStreamId();
        const batch = Array.from({ length: 50 }, (_, index) => newEvent('Counted', { index }));
        const result = await store.append(stream, batch, 'no_stream');

        const stored = await store.readStream(stream);
        expect(result.nextExpectedVersion).toBe(49);
        expect(stored.map((event) => event.eventId)).toEqual(batch.map((event) => event.metadata.eventId));
        expect(stored.map((event) => event.streamVersion)).toEqual(batch.map((_, index) => index));
        expect(stored.map((event) => event.data)).toEqual(batch.map((event) => event.data));
      });

      it('treats a re-append of the same event ids at the same version as a success (a retry)', async () => {
        const stream = newStreamId();
        const batch = [newEvent(), newEvent()];
        const created = await store.append(stream, batch, 'no_stream');
        const retriedCreate = await store.append(stream, batch, 'no_stream');
        const next = [newEvent()];
        const appended = await store.append(stream, next, 1);
        const retriedAppend = await store.append(stream, next, 1);

        expect(retriedCreate.nextExpectedVersion).toBe(created.nextExpectedVersion);
        expect(retriedAppend.nextExpectedVersion).toBe(appended.nextExpectedVersion);
        expect((await store.readStream(stream)).map((event) => event.eventId)).toEqual(
          [...batch, ...next].map((event) => event.metadata.eventId),
        );
      });

      it('refuses different events at an already taken version', async () => {
        const stream = newStreamId();
        await store.append(stream, [newEvent()], 'no_stream');
        const error = await rejection(store.append(stream, [newEvent()], 'no_stream'));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('lets exactly one of 20 concurrent appends at the same expected version win', async () => {
        const stream = newStreamId();
        await store.append(stream, [newEvent()], 'no_stream');

        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, () => store.append(stream, [newEvent()], 0)),
        );

        const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const error of lost) {
          expect(error).toBeInstanceOf(WrongExpectedVersionError);
          expect((error as WrongExpectedVersionError).actual).toBe(1);
        }
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('lets exactly one of 20 concurrent creations of the same stream win', async () => {
        const stream = newStreamId();
        const outcomes = await Promise.allSettled(
          Array.from({ length: 20 }, () => store.append(stream, [newEvent()], 'no_stream')),
        );
        expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
        expect(
          outcomes.every(
            (outcome) => outcome.status === 'fulfilled' || outcome.reason instanceof WrongExpectedVersionError,
          ),
        ).toBe(true);
        expect(await store.readStream(stream)).toHaveLength(1);
      });
    });

    describe('conditions on other streams', () => {
      it('appends while every named stream is still at its version (-1: still absent)', async () => {
        const guard = newStreamId();
        const absent = newStreamId();
        const stream = newStreamId();
        await store.append(guard, [newEvent(), newEvent()], 'no_stream');
        const conditions = [
          { streamId: guard, version: 1 },
          { streamId: absent, version: -1 },
        ];

        expect((await store.append(stream, [newEvent()], 'no_stream', { conditions })).nextExpectedVersion).toBe(0);
        expect((await store.append(stream, [newEvent(), newEvent()], 0, { conditions })).nextExpectedVersion).toBe(2);
        expect((await store.append(stream, [newEvent()], 'any', { conditions })).nextExpectedVersion).toBe(3);
        expect(await store.readStream(stream)).toHaveLength(4);
        expect(await store.readStream(guard)).toHaveLength(2);
        expect(await store.readStream(absent)).toEqual([]);
      });

      it('appends nothing once a named stream moved, naming it and its actual version', async () => {
        const guard = newStreamId();
        const stream = newStreamId();
        await store.append(guard, [newEvent()], 'no_stream');
        await store.append(stream, [newEvent()], 'no_stream');
        await store.append(guard, [newEvent()], 0);

        const error = await rejection(store.append(stream, [newEvent()], 0, { conditions: [{ streamId: guard, version: 0 }] }));
        expect(error).toBeInstanceOf(WrongExpectedVersionError);
        expect(error).toMatchObject({ streamId: guard, expected: 0, actual: 1 });
        const created = await rejection(store.append(newStreamId(), [newEvent()], 'no_stream', { conditions: [{ streamId: newStreamId(), version: 0 }] }));
        expect(created).toMatchObject({ expected: 0, actual: -1 });
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      it('still checks the expected version of the stream appended to', async () => {
        const guard = newStreamId();
        const stream = newStreamId();
        await store.append(guard, [newEvent()], 'no_stream');
        await store.append(stream, [newEvent(), newEvent()], 'no_stream');
        const error = await rejection(store.append(stream, [newEvent()], 0, { conditions: [{ streamId: guard, version: 0 }] }));
        expect(error).toMatchObject({ streamId: stream, expected: 0, actual: 1 });
      });

      it('answers a retry of a conditional append that committed as the first time, even after the named stream moved', async () => {
        const guard = newStreamId();
        const stream = newStreamId();
        await store.append(guard, [newEvent()], 'no_stream');
        const batch = [newEvent(), newEvent()];
        const first = await store.append(stream, batch, 'no_stream', { conditions: [{ streamId: guard, version: 0 }] });
        await store.append(guard, [newEvent()], 0);

        const retried = await store.append(stream, batch, 'no_stream', { conditions: [{ streamId: guard, version: 0 }] });
        expect(retried.nextExpectedVersion).toBe(first.nextExpectedVersion);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('with no events, only checks: the conditions and the expected version', async () => {
        const guard = newStreamId();
        const stream = newStreamId();
        await store.append(guard, [newEvent()], 'no_stream');
        await store.append(stream, [newEvent()], 'no_stream');
        expect((await store.append(stream, [], 0, { conditions: [{ streamId: guard, version: 0 }] })).nextExpectedVersion).toBe(0);
        expect(await rejection(store.append(stream, [], 0, { conditions: [{ streamId: guard, version: 1 }] }))).toMatchObject({ streamId: guard, actual: 0 });
      });

      it('refuses a condition on the stream appended to, or an invalid version', async () => {
        const stream = newStreamId();
        expect(await rejection(store.append(stream, [newEvent()], 'no_stream', { conditions: [{ streamId: stream, version: -1 }] }))).toBeInstanceOf(RangeError);
        expect(await rejection(store.append(stream, [newEvent()], 'no_stream', { conditions: [{ streamId: newStreamId(), version: -2 }] }))).toBeInstanceOf(RangeError);
        expect(await store.readStream(stream)).toEqual([]);
      });
    });

    describe('reading a stream', () => {
      let stream: string;
      beforeAll(async () => {
        stream = newStreamId();
        await store.append(stream, Array.from({ length: 6 }, (_, index) => newEvent('Counted', { index })), 'no_stream');
      });

      it('reads forwards from a version with a maximum count', async () => {
        const events = await store.readStream(stream, { fromVersion: 2, maxCount: 3 });
        expect(events.map((event) => event.streamVersion)).toEqual([2, 3, 4]);
        expect(events.every((event) => event.streamId === stream)).toBe(true);
      });

      it('reads backwards from the last event by default', async () => {
        const events = await store.readStream(stream, { direction: 'backwards', maxCount: 2 });
        expect(events.map((event) => event.streamVersion)).toEqual([5, 4]);
      });

      it('reads backwards from a given version', async () => {
        const events = await store.readStream(stream, { direction: 'backwards', fromVersion: 3 });
        expect(events.map((event) => event.streamVersion)).toEqual([3, 2, 1, 0]);
      });

      it('returns nothing past the end', async () => {
        expect(await store.readStream(stream, { fromVersion: 6 })).toEqual([]);
      });
    });

    describe('metadata', () => {
      it('round-trips every metadata field and lets the server set recordedAt', async () => {
        const stream = newStreamId();
        const metadata: EventMetadata = {
          eventId: randomUUID(),
          actorId: `user-${randomUUID()}`,
          actorRole: 'grant-manager',
          correlationId: randomUUID(),
          causationId: randomUUID(),
          idempotencyKey: `key-${randomUUID()}`,
          recordedAt: '1999-01-01T00:00:00.000Z', // ignored: the store sets it
          customField: { nested: [1, 'two'] },
        };
        const before = Date.now();
        await store.append(stream, [{ type: 'MetadataChecked', schemaVersion: 3, data: { amount: 1250, currency: 'EUR' }, metadata }], 'no_stream');

        const [event] = await store.readStream(stream);
        expect(event.eventId).toBe(metadata.eventId);
        expect(event.type).toBe('MetadataChecked');
        expect(event.schemaVersion).toBe(3);
        expect(event.data).toEqual({ amount: 1250, currency: 'EUR' });
        expect(event.metadata).toEqual({ ...metadata, recordedAt: event.recordedAt.toISOString() });
        expect(event.recordedAt).toBeInstanceOf(Date);
        // The server's clock, not the client's: allow for clock skew between the two.
        expect(Math.abs(event.recordedAt.getTime() - before)).toBeLessThan(60_000);
      });

      it("read with metadata 'actor', each event is the same but its metadata need hold only the actor (and recordedAt)", async () => {
        const stream = newStreamId();
        const events = Array.from({ length: 3 }, (_, index) => newEvent('ActorOnly', { index }));
        await store.append(stream, events, 'no_stream');
        const whole = await store.readStream(stream);
        const lean = await store.readStream(stream, { fromVersion: 1, maxCount: 5, metadata: 'actor' });
        expect(lean.map((event) => event.streamVersion)).toEqual([1, 2]);
        lean.forEach((event, index) => {
          const { metadata, ...rest } = whole[index + 1];
          expect({ ...event, metadata: undefined }).toEqual({ ...rest, metadata: undefined });
          expect(event.metadata.actorId).toBe(metadata.actorId);
          expect(event.metadata.recordedAt).toBe(metadata.recordedAt);
          // Whatever else an adapter returns is the stored metadata, never something else.
          for (const [key, value] of Object.entries(event.metadata)) expect(value).toEqual(metadata[key]);
        });
      });

      it('round-trips data that is not an object', async () => {
        const stream = newStreamId();
        const values = ['a string', 42, null, [1, 2]];
        await store.append(stream, values.map((value) => newEvent('Scalar', value)), 'no_stream');
        expect((await store.readStream(stream)).map((event) => event.data)).toEqual(values);
      });
    });

    describe('the global log', () => {
      it('returns events in append order, each with the position its append reported', async () => {
        const kind = newKind();
        const [a, b] = [newStreamId(kind), newStreamId(kind)];
        const appended: string[] = [];
        const results = [];
        for (const [stream, expected] of [[a, 'no_stream'], [b, 'no_stream'], [a, 0], [b, 0], [a, 1]] as const) {
          const event = newEvent();
          appended.push(event.metadata.eventId);
          results.push(await store.append(stream, [event], expected));
        }

        // PostgreSQL holds committed events back while an older transaction is open anywhere on the
        // server (xmin is server-wide), waiting at most its settle time (500 ms) per read: another test
        // file's long transaction on the shared test server can outlast one read, never a few.
        let log = await store.readAll({ filter: { streamPrefixes: [`${kind}-`] } });
        for (const deadline = Date.now() + 10_000; log.length < appended.length && Date.now() < deadline; ) {
          log = await store.readAll({ filter: { streamPrefixes: [`${kind}-`] } });
        }
        expect(log.map((event) => event.eventId)).toEqual(appended);
        expect(log.map((event) => event.position)).toEqual(results.map((result) => result.position));
        expect(new Set(log.map((event) => event.position)).size).toBe(log.length);
      });

      it('reads after a position, unfiltered', async () => {
        const marker = await store.append(newStreamId(), [newEvent()], 'no_stream');
        const mine = [newEvent(), newEvent(), newEvent()];
        const stream = newStreamId();
        await store.append(stream, mine.slice(0, 2), 'no_stream');
        await store.append(stream, mine.slice(2), 1);

        const after = await store.readAll({ after: marker.position });
        expect(after.slice(0, 3).map((event) => event.eventId)).toEqual(mine.map((event) => event.metadata.eventId));
      });

      it('filters by event type', async () => {
        const [wanted, other] = [`Wanted${randomUUID()}`, `Other${randomUUID()}`];
        const stream = newStreamId();
        await store.append(stream, [newEvent(wanted), newEvent(other), newEvent(wanted)], 'no_stream');

        const log = await store.readAll({ filter: { eventTypes: [wanted] } });
        expect(log.map((event) => [event.type, event.streamVersion])).toEqual([
          [wanted, 0],
          [wanted, 2],
        ]);
        const both = await store.readAll({ filter: { eventTypes: [wanted, other] } });
        expect(both.map((event) => event.streamVersion)).toEqual([0, 1, 2]);
      });

      it('filters by stream prefix, taking "_" and "%" literally', async () => {
        const kind = newKind();
        const [calls, grants] = [`${kind}_call`, `${kind}_grant`];
        await store.append(newStreamId(calls), [newEvent()], 'no_stream');
        await store.append(newStreamId(grants), [newEvent()], 'no_stream');
        await store.append(newStreamId(`${kind}xcall`), [newEvent()], 'no_stream');

        const onlyCalls = await store.readAll({ filter: { streamPrefixes: [`${calls}-`] } });
        expect(onlyCalls).toHaveLength(1);
        expect(onlyCalls[0].streamId.startsWith(`${calls}-`)).toBe(true);
        const both = await store.readAll({ filter: { streamPrefixes: [`${calls}-`, `${grants}-`] } });
        expect(both).toHaveLength(2);
      });

      it('pages with maxCount and after', async () => {
        const kind = newKind();
        for (let index = 0; index < 7; index++) await store.append(newStreamId(kind), [newEvent()], 'no_stream');
        const filter = { streamPrefixes: [`${kind}-`] };
        const everything = await store.readAll({ filter });

        const paged: RecordedEvent[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.readAll({ filter, after, maxCount: 3 });
          expect(page.length).toBeLessThanOrEqual(3);
          if (page.length === 0) break;
          paged.push(...page);
          after = page[page.length - 1].position;
        }
        expect(everything).toHaveLength(7);
        expect(paged.map((event) => event.eventId)).toEqual(everything.map((event) => event.eventId));
      });
    });

    describe('the head of the log', () => {
      /**
       * A position this log never handed out, far after `position`. Both adapters write a position as
       * two zero-padded numbers, ordered by the first (PostgreSQL: transaction, then position;
       * EventStoreDB: commit, then prepare): moving the first a million on is beyond anything
       * appended in this suite, and still in range for either.
       */
      const farAfter = (position: string) => position.replace(/^\d+/, (first) => (BigInt(first) + 1_000_000n).toString().padStart(first.length, '0'));

      it('tells a position beyond its last event (another log\'s, or one from before a restore) from every position it handed out', async () => {
        expect(store.isBeyondHead).toBeDefined();
        const isBeyondHead = (position: string) => (store.isBeyondHead as (position: string) => Promise<boolean>).call(store, position);
        const stream = newStreamId();
        const first = await store.append(stream, [newEvent()], 'no_stream');
        expect(await isBeyondHead(first.position)).toBe(false); // the last event's own position is not beyond
        const beyond = farAfter(first.position);
        expect(beyond).not.toBe(first.position);
        expect(await isBeyondHead(beyond)).toBe(true);

        const second = await store.append(stream, [newEvent()], 0);
        expect(await isBeyondHead(first.position)).toBe(false);
        expect(await isBeyondHead(second.position)).toBe(false);
        const [read] = await store.readAll({ after: first.position, maxCount: 1 });
        expect(read.position).toBe(second.position); // the form readAll hands out, the one a feed cursor carries
        expect(await isBeyondHead(farAfter(second.position))).toBe(true);
      });

      it('refuses a position that is not of its form, as readAll does', async () => {
        const isBeyondHead = (position: string) => (store.isBeyondHead as (position: string) => Promise<boolean>).call(store, position);
        await expect(isBeyondHead('not-a-position')).rejects.toThrow(RangeError);
        await expect(store.readAll({ after: 'not-a-position' })).rejects.toThrow(RangeError);
      });
    });

    describe('subscriptions', () => {
      it('catches up from a middle position, then delivers live events', async () => {
        const kind = newKind();
        const stream = newStreamId(kind);
        await store.append(stream, Array.from({ length: 6 }, () => newEvent()), 'no_stream');
        const filter = { streamPrefixes: [`${kind}-`] };
        const history = await store.readAll({ filter });

        const subscription = store.subscribe({ after: history[2].position, filter });
        const received = collect(subscription, 4);
        const live = newEvent();
        await store.append(stream, [live], 5);

        const events = await received;
        expect(events.map((event) => event.eventId)).toEqual([
          ...history.slice(3).map((event) => event.eventId),
          live.metadata.eventId,
        ]);
      });

      it('ends the iteration promptly on close while waiting for events', async () => {
        const subscription = store.subscribe({ filter: { streamPrefixes: [`${newKind()}-`] } });
        const iterator = subscription[Symbol.asyncIterator]();
        const next = iterator.next();
        await delay(100);
        const closedAt = Date.now();
        await subscription.close();
        const result = await next;
        expect(result.done).toBe(true);
        expect(Date.now() - closedAt).toBeLessThan(1000);
      });

      it('sees every event of concurrent writers exactly once, in the order readAll returns', async () => {
        const rounds = 10;
        const writers = 8;
        const appendsPerWriter = 25;
        for (let round = 0; round < rounds; round++) {
          const kind = newKind();
          const filter = { streamPrefixes: [`${kind}-`] };
          const subscription = store.subscribe({ filter });
          const expectedCount = writers * appendsPerWriter;
          const received = collect(subscription, expectedCount, 20_000);

          await Promise.all(
            Array.from({ length: writers }, async () => {
              const stream = newStreamId(kind);
              let expected: number | 'no_stream' = 'no_stream';
              for (let index = 0; index < appendsPerWriter; index++) {
                expected = (await store.append(stream, [newEvent()], expected)).nextExpectedVersion;
              }
            }),
          );

          const seen = (await received).map((event) => event.eventId);
          const log = (await store.readAll({ filter, maxCount: expectedCount + 1 })).map((event) => event.eventId);
          expect(log).toHaveLength(expectedCount);
          expect(new Set(seen).size).toBe(seen.length);
          expect(seen).toEqual(log);
        }
      }, 120_000);
    });

    describe('append-only enforcement', () => {
      it('refuses UPDATE, DELETE and TRUNCATE on the events table', async () => {
        const rawSql = subject.rawSql;
        // Only SQL-backed adapters can be asked this; EventStoreDB has no such statements.
        if (!rawSql) {
          expect(rawSql).toBeUndefined();
          return;
        }
        const stream = newStreamId();
        await store.append(stream, [newEvent('Original')], 'no_stream');

        await expect(rawSql(`UPDATE events SET type = 'Tampered' WHERE stream_id = '${stream}'`)).rejects.toThrow(/append-only/);
        await expect(rawSql(`DELETE FROM events WHERE stream_id = '${stream}'`)).rejects.toThrow(/append-only/);
        await expect(rawSql('TRUNCATE events')).rejects.toThrow(/append-only/);

        const [event] = await store.readStream(stream);
        expect(event.type).toBe('Original');
      });
    });
  });
}
