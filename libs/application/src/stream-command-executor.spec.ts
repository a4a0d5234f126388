import { type AppendResult, DuplicateEventIdError, type EventStore, type ExpectedVersion, type NewEvent, type ReadStreamOptions, type RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import type { Decider } from '@app/domain/shared/decider';
import { IdempotencyKeyReused } from '@app/platform/idempotency/idempotency-key-reused.error';
import type { CommandContext } from './command-context';
import { PlainEventCodec, SchemaRegistry } from './event-codec';
import { StreamCommandExecutor } from './stream-command-executor';

type Counted = { type: 'Counted'; data: { by: string } };
/** Its state lists who counted, in order: what it was folded from shows. */
const counter: Decider<{ by: string }, Counted, string[]> = {
  initialState: [],
  evolve: (by, event) => [...by, event.data.by],
  decide: (command) => [{ type: 'Counted', data: { by: command.by } }],
};

/** Just enough of the port: one stream map, exact expected versions, and a count of stream reads. */
class FakeStore {
  readonly streams = new Map<string, RecordedEvent[]>();
  reads = 0;
  /** The first version each read asked for. */
  readonly readsFrom: number[] = [];
  readonly expectations: ExpectedVersion[] = [];

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.reads += 1;
    this.readsFrom.push(options?.fromVersion ?? 0);
    return (this.streams.get(streamId) ?? []).filter((event) => event.streamVersion >= (options?.fromVersion ?? 0));
  }

  async append(streamId: string, events: NewEvent[], expected: ExpectedVersion) {
    this.expectations.push(expected);
    const stream = this.streams.get(streamId) ?? [];
    const actual = stream.length - 1;
    if ((expected === 'no_stream' && actual !== -1) || (typeof expected === 'number' && expected !== actual)) throw new WrongExpectedVersionError(streamId, expected, actual);
    for (const event of events) {
      stream.push({
        ...event,
        streamId,
        streamVersion: stream.length,
        position: String(stream.length),
        eventId: event.metadata.eventId,
        metadata: { ...event.metadata, recordedAt: new Date(0).toISOString() },
        recordedAt: new Date(0),
      });
    }
    this.streams.set(streamId, stream);
    return { nextExpectedVersion: stream.length - 1, position: String(stream.length) };
  }
}

/**
 * As the PostgreSQL adapter: an event id stored anywhere is refused (DuplicateEventIdError), unless
 * the append is exactly an earlier one again at the same versions, which is answered `alreadyStored`.
 */
class UniqueIdsStore extends FakeStore {
  readonly refusesDuplicateEventIds = true;
  wholeReads = 0;

  override async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    if ((options?.fromVersion ?? 0) === 0) this.wholeReads += 1;
    return super.readStream(streamId, options);
  }

  override async append(streamId: string, events: NewEvent[], expected: ExpectedVersion) {
    const stream = this.streams.get(streamId) ?? [];
    const first = expected === 'no_stream' ? 0 : Number(expected) + 1;
    const stored = events.every((event, index) => stream[first + index]?.eventId === event.metadata.eventId);
    if (stored) {
      this.expectations.push(expected);
      return { nextExpectedVersion: first + events.length - 1, position: String(first + events.length), alreadyStored: true };
    }
    const held = new Set([...this.streams.values()].flat().map((event) => event.eventId));
    const duplicate = events.find((event) => held.has(event.metadata.eventId));
    if (duplicate && (expected === 'no_stream' ? stream.length === 0 : expected === stream.length - 1)) {
      this.expectations.push(expected);
      throw new DuplicateEventIdError(duplicate.metadata.eventId);
    }
    return super.append(streamId, events, expected);
  }
}

/** Counts each name once: counting the same name again is refused. */
const once: Decider<{ by: string }, Counted, string[]> = {
  ...counter,
  decide: (command, state) => {
    if (state.includes(command.by)) throw new Error(`${command.by} has counted already`);
    return [{ type: 'Counted', data: { by: command.by } }];
  },
};

const context = (idempotencyKey?: string): CommandContext => ({
  actor: { id: 'alice', role: 'grant-manager' },
  correlationId: 'c',
  causationId: 'r',
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

describe('StreamCommandExecutor', () => {
  const codec = new PlainEventCodec(new SchemaRegistry().register({ Counted: 1 }));
  /** Every executor a test made: their folded states are dropped after it, which stops their sweep timers. */
  const made: StreamCommandExecutor[] = [];
  afterEach(() => made.splice(0).forEach((executor) => executor.forgetFoldedStates()));
  const track = (executor: StreamCommandExecutor) => {
    made.push(executor);
    return executor;
  };
  const setup = (maxAgeMs?: number) => {
    const store = new FakeStore();
    // The look-ups' moment drawn at maxAgeMs itself (random 1): the timings below are exact.
    const executor = track(new StreamCommandExecutor(store as unknown as EventStore, codec, { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 }, { maxAgeMs, random: () => 1 }));
    return { store, executor };
  };
  const appendElsewhere = (store: FakeStore, streamId: string, by: string, expected: ExpectedVersion) =>
    store.append(streamId, [{ type: 'Counted', schemaVersion: 1, data: { by }, metadata: { eventId: by, actorId: 'bob', actorRole: 'admin', correlationId: 'x', causationId: 'x' } }], expected);

  it('reads the stream it decides on once, then appends with the version read', async () => {
    const { store, executor } = setup(0);
    await executor.execute(counter, 's-1', '1', { by: 'a' }, context());
    await executor.execute(counter, 's-1', '1', { by: 'b' }, context());
    expect(store.reads).toBe(2);
    expect(store.expectations).toEqual(['no_stream', 0]);
  });

  it('on a stream it folded lately it decides without reading, with the remembered version expected', async () => {
    const { store, executor } = setup();
    await executor.execute(counter, 's-hot', 'hot', { by: 'a' }, context());
    await executor.execute(counter, 's-hot', 'hot', { by: 'b' }, context());
    await executor.execute(counter, 's-hot', 'hot', { by: 'c' }, context());
    expect(store.readsFrom).toEqual([0]);
    expect(store.expectations).toEqual(['no_stream', 0, 1]);
    expect(await executor.load(counter, 's-hot')).toEqual({ state: ['a', 'b', 'c'], version: 2 });
  });

  it('if another process appended since, the append is refused and the retry reads only the tail, folding it in', async () => {
    const { store, executor } = setup();
    await executor.execute(counter, 's-moved', 'moved', { by: 'a' }, context());
    await executor.execute(counter, 's-moved', 'moved', { by: 'b' }, context());
    await appendElsewhere(store, 's-moved', 'other process', 1);
    const result = await executor.execute(counter, 's-moved', 'moved', { by: 'c' }, context());
    expect(result.version).toBe(3);
    expect(store.readsFrom).toEqual([0, 2]);
    expect(store.expectations).toEqual(['no_stream', 0, 1 /* the other process */, 1 /* refused */, 2]);
    expect(await executor.load(counter, 's-moved')).toEqual({ state: ['a', 'b', 'other process', 'c'], version: 3 });
  });

  it('a refusal or a no-op decided on a remembered state is judged again on the stream as it is', async () => {
    // Refuses a second count by the same person; "noop" decides nothing.
    const once: Decider<{ by: string }, Counted, string[]> = {
      ...counter,
      decide: (command, state) => {
        if (command.by === 'noop') return [];
        if (state.includes(command.by)) throw new Error(`${command.by} counted already`);
        return [{ type: 'Counted', data: { by: command.by } }];
      },
    };
    const { store, executor } = setup();
    await executor.execute(once, 's-judged', 'judged', { by: 'a' }, context());
    await appendElsewhere(store, 's-judged', 'b', 0);
    // The remembered state (['a'] at 0) would accept 'b'; the stream refuses it, and the read shows why.
    await expect(executor.execute(once, 's-judged', 'judged', { by: 'b' }, context())).rejects.toThrow('b counted already');
    await appendElsewhere(store, 's-judged', 'c', 1);
    // A no-op answers with the stream's version, not the remembered one.
    const noop = await executor.execute(once, 's-judged', 'judged', { by: 'noop' }, context());
    expect(noop.version).toBe(2);
    expect(store.readsFrom).toEqual([0, 1, 2]);
  });

  it('a refusal on a remembered state that the stream no longer supports is decided again after a read', async () => {
    const unless: Decider<{ by: string }, Counted, string[]> = {
      ...counter,
      decide: (command, state) => {
        if (state.at(-1) === 'closed') throw new Error('closed');
        return [{ type: 'Counted', data: { by: command.by } }];
      },
    };
    const { store, executor } = setup();
    await executor.execute(unless, 's-reopened', 'reopened', { by: 'closed' }, context());
    await appendElsewhere(store, 's-reopened', 'reopened', 0);
    const result = await executor.execute(unless, 's-reopened', 'reopened', { by: 'c' }, context());
    expect(result.version).toBe(2);
    expect(store.readsFrom).toEqual([0, 1]);
  });

  it('with If-Match other than the remembered version it reads the tail: the client may know a later version', async () => {
    const { store, executor } = setup();
    await executor.execute(counter, 's-if', 'if', { by: 'a' }, context());
    await appendElsewhere(store, 's-if', 'other process', 0);
    const result = await executor.execute(counter, 's-if', 'if', { by: 'b' }, { ...context(), expectedVersion: 1 });
    expect(result.version).toBe(2);
    expect(store.readsFrom).toEqual([0, 1]);
    // If-Match equal to the remembered version, while the stream moved on: 409, not a retry.
    await appendElsewhere(store, 's-if', 'yet another', 2);
    await expect(executor.execute(counter, 's-if', 'if', { by: 'c' }, { ...context(), expectedVersion: 2 })).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });

  it('a conflict is decided again on the fresh tail', async () => {
    const { store, executor } = setup(0);
    await executor.execute(counter, 's-race', 'race', { by: 'a' }, context());
    const raced = store.readStream.bind(store);
    let once = true;
    store.readStream = async (streamId, options) => {
      const events = await raced(streamId, options);
      if (once) {
        once = false;
        await appendElsewhere(store, streamId, 'winner', 0); // lands between this read and the append
      }
      return events;
    };
    const result = await executor.execute(counter, 's-race', 'race', { by: 'b' }, context());
    expect(result.version).toBe(2);
    expect((await executor.load(counter, 's-race')).state).toEqual(['a', 'winner', 'b']);
  });

  describe('how long a folded state is used (a fake clock: Date.now and the sweep\'s timer)', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'], now: 0 }));
    afterEach(() => jest.useRealTimers());
    const later = (ms: number) => jest.advanceTimersByTime(ms);

    it('with no personal data, it is used past maxAgeMs without a read while in use: the append\'s version still checks it', async () => {
      const { store, executor } = setup(40);
      await executor.execute(counter, 's-old', 'old', { by: 'a' }, context());
      later(30);
      await executor.execute(counter, 's-old', 'old', { by: 'b' }, context());
      later(30); // 60 ms after it was read; the sweep at 40 ms found it used 10 ms before
      await executor.execute(counter, 's-old', 'old', { by: 'c' }, context());
      expect(store.readsFrom).toEqual([0]);
      expect(store.expectations).toEqual(['no_stream', 0, 1]);
      expect((await executor.load(counter, 's-old')).state).toEqual(['a', 'b', 'c']);
    });

    it('nobody used for maxAgeMs, it is dropped: the next command reads the stream whole', async () => {
      const { store, executor } = setup(40);
      await executor.execute(counter, 's-idle', 'idle', { by: 'a' }, context());
      later(40);
      await executor.execute(counter, 's-idle', 'idle', { by: 'b' }, context());
      expect(store.readsFrom).toEqual([0, 0]);
    });

    describe('holding personal data', () => {
      /** Events counted by `pii-…` carry a field sealed with the key `key-<by>` of the subject `subject-<stream>`. */
      class SealingCodec extends PlainEventCodec {
        live = true;
        readonly lookUps: string[][] = [];
        sealedWith(streamId: string, event: { type: string; data: unknown }) {
          const by = (event.data as { by: string }).by;
          return by.startsWith('pii-') ? [{ subject: `subject-${streamId}`, keyId: `key-${by}` }] : [];
        }
        async keysStillLive(keys: readonly { subject: string; keyId: string }[]) {
          this.lookUps.push(keys.map((key) => key.keyId));
          return this.live;
        }
      }
      const setupSealing = (maxAgeMs: number, random: () => number = () => 1) => {
        const store = new FakeStore();
        const sealing = new SealingCodec(new SchemaRegistry().register({ Counted: 1 }));
        const executor = track(new StreamCommandExecutor(store as unknown as EventStore, sealing, { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 }, { maxAgeMs, random }));
        return { store, sealing, executor };
      };

      it('it is used for maxAgeMs without a look-up; then, its keys found live (one look-up, no read), for another maxAgeMs', async () => {
        const { store, sealing, executor } = setupSealing(40);
        await executor.execute(counter, 's-p', 'p', { by: 'pii-a' }, context());
        later(30);
        await executor.execute(counter, 's-p', 'p', { by: 'b' }, context());
        expect(sealing.lookUps).toEqual([]);
        later(15);
        await executor.execute(counter, 's-p', 'p', { by: 'pii-c' }, context());
        later(30);
        await executor.execute(counter, 's-p', 'p', { by: 'd' }, context());
        expect(sealing.lookUps).toEqual([['key-pii-a']]); // the keys the state was decrypted with, once
        later(15);
        await executor.execute(counter, 's-p', 'p', { by: 'e' }, context());
        expect(sealing.lookUps).toEqual([['key-pii-a'], ['key-pii-a', 'key-pii-c']]); // and those of what this process appended
        expect(store.readsFrom).toEqual([0]);
        expect((await executor.load(counter, 's-p')).state).toEqual(['pii-a', 'b', 'pii-c', 'd', 'e']);
      });

      it('its look-up comes at a moment drawn in the second half of maxAgeMs, drawn anew at each look-up, so that states folded together are not looked up together', async () => {
        const draws = [0, 0.5];
        const { sealing, executor } = setupSealing(40, () => draws.shift() ?? 1);
        await executor.execute(counter, 's-d', 'd', { by: 'pii-a' }, context()); // drawn 0: looked up 20 ms after its check
        later(19);
        await executor.execute(counter, 's-d', 'd', { by: 'b' }, context());
        expect(sealing.lookUps).toEqual([]);
        later(1);
        await executor.execute(counter, 's-d', 'd', { by: 'c' }, context()); // 20 ms: looked up; drawn 0.5: the next 30 ms after
        expect(sealing.lookUps).toEqual([['key-pii-a']]);
        later(29);
        await executor.execute(counter, 's-d', 'd', { by: 'e' }, context());
        expect(sealing.lookUps).toEqual([['key-pii-a']]);
        later(1);
        await executor.execute(counter, 's-d', 'd', { by: 'f' }, context());
        expect(sealing.lookUps).toEqual([['key-pii-a'], ['key-pii-a']]);
      });

      it('never later than maxAgeMs, whatever is drawn', async () => {
        const { sealing, executor } = setupSealing(40, () => 0.9999999);
        await executor.execute(counter, 's-m', 'm', { by: 'pii-a' }, context());
        later(39);
        await executor.execute(counter, 's-m', 'm', { by: 'b' }, context()); // in use, so not swept
        expect(sealing.lookUps).toEqual([]);
        later(1);
        await executor.execute(counter, 's-m', 'm', { by: 'c' }, context());
        expect(sealing.lookUps).toEqual([['key-pii-a']]);
      });

      it('it is dropped once a key it was decrypted with is no longer live: the stream is read and decoded whole again', async () => {
        const { store, sealing, executor } = setupSealing(40);
        await executor.execute(counter, 's-e', 'e', { by: 'pii-a' }, context());
        sealing.live = false; // erased by another process: this one was not told
        later(30);
        await executor.execute(counter, 's-e', 'e', { by: 'b' }, context()); // within maxAgeMs: the bound the codec's key memory has too
        expect(store.readsFrom).toEqual([0]);
        later(15);
        await executor.execute(counter, 's-e', 'e', { by: 'c' }, context());
        expect(sealing.lookUps).toEqual([['key-pii-a']]);
        expect(store.readsFrom).toEqual([0, 0]);
        expect((await executor.load(counter, 's-e')).state).toEqual(['pii-a', 'b', 'c']);
      });

      it('it is kept through a look-up only if it is still the state remembered (an erasure here clears them all meanwhile)', async () => {
        const { store, sealing, executor } = setupSealing(40);
        await executor.execute(counter, 's-c', 'c', { by: 'pii-a' }, context());
        later(30);
        await executor.execute(counter, 's-c', 'c', { by: 'b' }, context());
        later(15);
        const lookUp = sealing.keysStillLive.bind(sealing);
        sealing.keysStillLive = async (keys) => {
          executor.forgetFoldedStates(); // what the keyring's onForget does when this process erases a subject
          return lookUp(keys);
        };
        await executor.execute(counter, 's-c', 'c', { by: 'c' }, context());
        expect(store.readsFrom).toEqual([0, 0]);
      });
    });
  });

  it('a fold read before an erasure here drops every state is not remembered when it ends after it', async () => {
    const { store, executor } = setup();
    await executor.execute(counter, 's-race', 'race', { by: 'a' }, context());
    executor.forgetFoldedStates();
    // A read in flight (a process manager's, say) when this process erases a subject: its events were
    // decoded while the key was live. It ends after the drop.
    const read = store.readStream.bind(store);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    store.readStream = async (streamId, options) => {
      const events = await read(streamId, options);
      await held;
      return events;
    };
    const inFlight = executor.load(counter, 's-race');
    await new Promise((resolve) => setTimeout(resolve, 5));
    executor.forgetFoldedStates(); // what the keyring's onForget does when this process erases a subject
    release();
    expect((await inFlight).state).toEqual(['a']);
    store.readStream = read;
    const before = store.readsFrom.length;
    await executor.load(counter, 's-race');
    await executor.load(counter, 's-race');
    // Read whole again: nothing decoded before the erasure was kept. A fold read after it is
    // remembered as before: the next load reads only the tail.
    expect(store.readsFrom.slice(before)).toEqual([0, 1]);
  });

  it('maxAgeMs 0 reads every stream whole', async () => {
    const { store, executor } = setup(0);
    await executor.execute(counter, 's-cold', 'cold', { by: 'a' }, context());
    await executor.execute(counter, 's-cold', 'cold', { by: 'b' }, context());
    expect(store.readsFrom).toEqual([0, 0]);
  });

  it('a keyed command reads its stream whole, to find an earlier attempt anywhere in it, on a store without refusesDuplicateEventIds (EventStoreDB)', async () => {
    const { store, executor } = setup();
    await executor.execute(counter, 's-k', 'k', { by: 'a' }, context('k-0'));
    await executor.execute(counter, 's-k', 'k', { by: 'b' }, context());
    const again = await executor.execute(counter, 's-k', 'k', { by: 'a' }, context('k-0'));
    expect(again).toMatchObject({ version: 0, replayed: true });
    expect(store.readsFrom).toEqual([0, 0]); // the unkeyed command between decides on the state folded
  });

  it('a stream minted for the command (newStream) is decided on empty without a read', async () => {
    const { store, executor } = setup();
    const result = await executor.execute(counter, 's-new', 'new', { by: 'a' }, context(), { newStream: true });
    expect(result).toMatchObject({ id: 'new', version: 0, replayed: false });
    expect(store.reads).toBe(0);
    expect(store.expectations).toEqual(['no_stream']);
  });

  it('a minted stream that exists after all answers a conflict, and the retry decides on what it reads', async () => {
    const { store, executor } = setup();
    await executor.execute(counter, 's-taken', 'taken', { by: 'a' }, context());
    const result = await executor.execute(counter, 's-taken', 'taken', { by: 'b' }, context(), { newStream: true });
    expect(result.version).toBe(1);
    expect(store.expectations).toEqual(['no_stream', 'no_stream', 0]);
    expect(store.reads).toBe(2);
  });

  it('with an Idempotency-Key a minted stream is not read either: a retry finds its earlier attempt through the conflict', async () => {
    const { store, executor } = setup();
    const first = await executor.execute(counter, 's-keyed', 'keyed', { by: 'a' }, context('k-1'), { newStream: true });
    expect(store.reads).toBe(0);
    const again = await executor.execute(counter, 's-keyed', 'keyed', { by: 'a' }, context('k-1'), { newStream: true });
    expect(again).toMatchObject({ version: first.version, replayed: true });
    expect(store.expectations).toEqual(['no_stream', 'no_stream']);
    expect(store.readsFrom).toEqual([0]);
    expect(store.streams.get('s-keyed')).toHaveLength(1);
  });

  describe('keyed commands on a store that refuses an event id it holds (PostgreSQL)', () => {
    const unique = (maxAgeMs?: number) => {
      const store = new UniqueIdsStore();
      const executor = track(new StreamCommandExecutor(store as unknown as EventStore, codec, { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 }, { maxAgeMs }));
      return { store, executor };
    };

    it('decide on the folded state like any command: the stream is not searched for an earlier attempt', async () => {
      const { store, executor } = unique();
      await executor.execute(counter, 's-u', 'u', { by: 'a' }, context());
      const keyed = await executor.execute(counter, 's-u', 'u', { by: 'b' }, context('k-1'));
      const next = await executor.execute(counter, 's-u', 'u', { by: 'c' }, context('k-2'));
      expect([keyed, next]).toMatchObject([{ version: 1, replayed: false }, { version: 2, replayed: false }]);
      expect(store.readsFrom).toEqual([0]); // the first command's read only
      expect(store.expectations).toEqual(['no_stream', 0, 1]);
    });

    it('a retry of a keyed command that ran is refused by the store, found in the stream and answered as before', async () => {
      const { store, executor } = unique();
      await executor.execute(counter, 's-r', 'r', { by: 'a' }, context('k-a'));
      await executor.execute(counter, 's-r', 'r', { by: 'b' }, context());
      const again = await executor.execute(counter, 's-r', 'r', { by: 'a' }, context('k-a'));
      expect(again).toMatchObject({ version: 0, replayed: true, events: [{ type: 'Counted', data: { by: 'a' } }] });
      expect(store.streams.get('s-r')?.map((event) => event.data)).toEqual([{ by: 'a' }, { by: 'b' }]);
      expect(store.wholeReads).toBe(2); // the first command's read, and the search after the refusal
    });

    it('a retry whose decision is now a refusal finds its earlier attempt instead of refusing', async () => {
      const { store, executor } = unique();
      await executor.execute(once, 's-once', 'once', { by: 'a' }, context('k-once'));
      const again = await executor.execute(once, 's-once', 'once', { by: 'a' }, context('k-once'));
      expect(again).toMatchObject({ version: 0, replayed: true });
      expect(store.streams.get('s-once')).toHaveLength(1);
      // Without the key the same command is refused: the search is what answers the retry.
      await expect(executor.execute(once, 's-once', 'once', { by: 'a' }, context())).rejects.toThrow('a has counted already');
    });

    it('a refusal decided on a stream just read whole is not followed by a second whole read', async () => {
      const { store, executor } = unique(0); // nothing remembered: every read is of the whole stream
      await executor.execute(once, 's-cold', 'cold', { by: 'a' }, context());
      const before = store.wholeReads;
      await expect(executor.execute(once, 's-cold', 'cold', { by: 'a' }, context('k-cold'))).rejects.toThrow('a has counted already');
      expect(store.wholeReads - before).toBe(1);
    });

    it('a version conflict caused by another writer is decided again on the tail, without a search of the whole stream', async () => {
      const { store, executor } = unique();
      await executor.execute(counter, 's-busy', 'busy', { by: 'a' }, context()); // folded here at version 0
      await appendElsewhere(store, 's-busy', 'b', 0);
      const before = store.wholeReads;
      const result = await executor.execute(counter, 's-busy', 'busy', { by: 'c' }, context('k-busy'));
      expect(result).toMatchObject({ version: 2, replayed: false });
      expect(store.wholeReads).toBe(before);
      expect(store.readsFrom.slice(-1)).toEqual([1]);
    });

    it('an attempt another process appended at the same version is answered with what is stored, not with what was decided here', async () => {
      const store = new UniqueIdsStore();
      const options = { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 };
      const here = track(new StreamCommandExecutor(store as unknown as EventStore, codec, options));
      const elsewhere = track(new StreamCommandExecutor(store as unknown as EventStore, codec, options));
      await here.execute(counter, 's-two', 'two', { by: 'a' }, context()); // folded here at version 0
      await elsewhere.execute(counter, 's-two', 'two', { by: 'from elsewhere' }, context('k-same'));
      const answer = await here.execute(counter, 's-two', 'two', { by: 'from here' }, context('k-same'));
      expect(answer).toMatchObject({ version: 1, replayed: true, events: [{ data: { by: 'from elsewhere' } }] });
      expect(store.streams.get('s-two')?.map((event) => (event.data as { by: string }).by)).toEqual(['a', 'from elsewhere']);
      // What this process folds next is the stream as stored.
      const next = await here.execute(counter, 's-two', 'two', { by: 'b' }, context());
      expect(next.version).toBe(2);
    });
  });

  describe("the request a key's effect belongs to (CommandContext.idempotencyRequest)", () => {
    const tagged = (key: string, tag: string): CommandContext => ({ ...context(key), idempotencyRequest: tag });
    const stores = [
      ['a store that refuses an event id it holds (PostgreSQL)', () => new UniqueIdsStore()],
      ['a store searched before deciding (EventStoreDB)', () => new FakeStore()],
    ] as const;

    it.each(stores)("on %s, another request's effect under the key refuses the command (422); the same request's is answered as before", async (_name, makeStore) => {
      const store = makeStore();
      const options = { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 };
      const first = track(new StreamCommandExecutor(store as unknown as EventStore, codec, options));
      const second = track(new StreamCommandExecutor(store as unknown as EventStore, codec, options));
      await first.execute(counter, 's-tag', 'tag', { by: 'first body' }, tagged('k-t', 'request-A'));
      expect(store.streams.get('s-tag')?.[0].metadata).toMatchObject({ idempotencyKey: 'k-t', idempotencyRequest: 'request-A' });

      // Another body with the same key, sent at once from another process: not answered with the first one's outcome.
      await expect(second.execute(counter, 's-tag', 'tag', { by: 'second body' }, tagged('k-t', 'request-B'))).rejects.toBeInstanceOf(IdempotencyKeyReused);
      await expect(first.execute(counter, 's-tag', 'tag', { by: 'second body' }, tagged('k-t', 'request-B'))).rejects.toBeInstanceOf(IdempotencyKeyReused);
      // The first request sent again is its own effect: replayed, nothing appended.
      for (const executor of [first, second]) {
        expect(await executor.execute(counter, 's-tag', 'tag', { by: 'first body' }, tagged('k-t', 'request-A'))).toMatchObject({ version: 0, replayed: true });
      }
      expect(store.streams.get('s-tag')?.map((event) => event.data)).toEqual([{ by: 'first body' }]);
    });

    it('an effect recorded without a tag (before tags) is answered as the command\'s own, as it was', async () => {
      const store = new UniqueIdsStore();
      const executor = track(new StreamCommandExecutor(store as unknown as EventStore, codec, { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 }));
      await executor.execute(counter, 's-old', 'old', { by: 'a' }, context('k-old'));
      expect(store.streams.get('s-old')?.[0].metadata).not.toHaveProperty('idempotencyRequest');
      expect(await executor.execute(counter, 's-old', 'old', { by: 'a' }, tagged('k-old', 'request-A'))).toMatchObject({ version: 0, replayed: true });
    });
  });

  describe('a keyed command whose key the HTTP layer did not look up first (CommandContext.verifyKey)', () => {
    /** A context whose key check answers as `refuse` says, counting how often it was asked. */
    const checked = (key: string, refuse?: Error, answered = false) => {
      const asked = { count: 0 };
      const slot = { scope: 'alice', key, requestHash: 'h', status: 200 };
      const ctx: CommandContext = {
        ...context(key),
        ...(answered ? { answer: slot } : {}),
        verifyKey: async () => {
          asked.count += 1;
          if (refuse) throw refuse;
        },
      };
      return { ctx, asked };
    };
    /** As PostgreSQL: writes the answer with the events (answerRemembered). */
    class AnsweringStore extends UniqueIdsStore {
      readonly remembersAnswers = true;
      override async append(streamId: string, events: NewEvent[], expected: ExpectedVersion, options?: { answer?: unknown }) {
        const result: AppendResult = await super.append(streamId, events, expected);
        return options?.answer && !result.alreadyStored ? { ...result, answerRemembered: true } : result;
      }
    }
    const executorOn = (store: FakeStore) => track(new StreamCommandExecutor(store as unknown as EventStore, codec, { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 }));

    it('an append that carries the answer to a store that remembers it is not preceded by a check, nor followed by one', async () => {
      const store = new AnsweringStore();
      const { ctx, asked } = checked('k-fast', undefined, true);
      const result = await executorOn(store).execute(counter, 's-fast', 'fast', { by: 'a' }, ctx);
      expect(result).toMatchObject({ version: 0, replayed: false });
      expect(asked.count).toBe(0);
    });

    it('an append without the answer (another stream, or a store that cannot remember it) waits for the check, and a refused check appends nothing', async () => {
      const reused = new Error('reused');
      for (const [store, answered] of [[new AnsweringStore(), false], [new UniqueIdsStore(), true], [new FakeStore(), true]] as const) {
        const { ctx, asked } = checked('k-other', reused, answered);
        await expect(executorOn(store).execute(counter, 's-other', 'other', { by: 'a' }, ctx)).rejects.toBe(reused);
        expect(asked.count).toBe(1);
        expect(store.streams.get('s-other')).toBeUndefined();
      }
    });

    it('an answer without an append remembered with it (replayed from the stream, or a no-op) waits for the check', async () => {
      const store = new AnsweringStore();
      const executor = executorOn(store);
      await executor.execute(once, 's-replay', 'replay', { by: 'a' }, checked('k-replay', undefined, true).ctx);
      const reused = new Error('reused');
      // The same key again: the store refuses its event ids and the stream shows the earlier attempt.
      const replay = checked('k-replay', reused, true);
      await expect(executor.execute(once, 's-replay', 'replay', { by: 'a' }, replay.ctx)).rejects.toBe(reused);
      expect(replay.asked.count).toBe(1);
      const noOp: Decider<{ by: string }, Counted, string[]> = { ...counter, decide: () => [] };
      const quiet = checked('k-noop', reused, true);
      await expect(executor.execute(noOp, 's-replay', 'replay', { by: 'b' }, quiet.ctx)).rejects.toBe(reused);
      expect(store.streams.get('s-replay')).toHaveLength(1);
    });

    it('a retry refused by the store asks the key before searching the stream: an answered key reads nothing more', async () => {
      const store = new AnsweringStore();
      const executor = executorOn(store);
      await executor.execute(counter, 's-asked', 'asked', { by: 'a' }, checked('k-asked', undefined, true).ctx);
      const before = store.wholeReads;
      const answered = new Error('answered before');
      const retry = checked('k-asked', answered, true);
      await expect(executor.execute(counter, 's-asked', 'asked', { by: 'a' }, retry.ctx)).rejects.toBe(answered);
      expect(retry.asked.count).toBe(1);
      expect(store.wholeReads).toBe(before);
      expect(store.streams.get('s-asked')).toHaveLength(1);
    });

    it('a command without a key is never checked', async () => {
      const { ctx, asked } = checked('unused', new Error('never'));
      const { idempotencyKey: _key, ...unkeyed } = ctx;
      await executorOn(new FakeStore()).execute(counter, 's-plain', 'plain', { by: 'a' }, unkeyed);
      expect(asked.count).toBe(0);
    });
  });
});
