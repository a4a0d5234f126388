import { type EventStore, type ExpectedVersion, type NewEvent, type RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import type { Decider } from '@app/domain/shared/decider';
import type { CommandContext } from './command-context';
import { PlainEventCodec, SchemaRegistry } from './event-codec';
import { StreamCommandExecutor } from './stream-command-executor';

type Counted = { type: 'Counted'; data: { by: string } };
const counter: Decider<{ by: string }, Counted, number> = {
  initialState: 0,
  evolve: (count) => count + 1,
  decide: (command) => [{ type: 'Counted', data: { by: command.by } }],
};

/** Just enough of the port: one stream map, exact expected versions, and a count of stream reads. */
class FakeStore {
  readonly streams = new Map<string, RecordedEvent[]>();
  reads = 0;
  readonly expectations: ExpectedVersion[] = [];

  async readStream(streamId: string): Promise<RecordedEvent[]> {
    this.reads += 1;
    return this.streams.get(streamId) ?? [];
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

const context = (idempotencyKey?: string): CommandContext => ({
  actor: { id: 'alice', role: 'grant-manager' },
  correlationId: 'c',
  causationId: 'r',
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

describe('StreamCommandExecutor', () => {
  const setup = () => {
    const store = new FakeStore();
    const executor = new StreamCommandExecutor(store as unknown as EventStore, new PlainEventCodec(new SchemaRegistry().register({ Counted: 1 })), {
      attempts: 3,
      baseDelayMs: 0,
      maxDelayMs: 0,
    });
    return { store, executor };
  };

  it('reads the stream it decides on once, then appends with the version read', async () => {
    const { store, executor } = setup();
    await executor.execute(counter, 's-1', '1', { by: 'a' }, context());
    await executor.execute(counter, 's-1', '1', { by: 'b' }, context());
    expect(store.reads).toBe(2);
    expect(store.expectations).toEqual(['no_stream', 0]);
  });

  it('a stream minted for the command (newStream, no Idempotency-Key) is decided on empty without a read', async () => {
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

  it('with an Idempotency-Key a minted stream is read, so a retry finds its earlier attempt', async () => {
    const { store, executor } = setup();
    const first = await executor.execute(counter, 's-keyed', 'keyed', { by: 'a' }, context('k-1'), { newStream: true });
    const again = await executor.execute(counter, 's-keyed', 'keyed', { by: 'a' }, context('k-1'), { newStream: true });
    expect(store.reads).toBe(2);
    expect(again).toMatchObject({ version: first.version, replayed: true });
    expect(store.streams.get('s-keyed')).toHaveLength(1);
  });
});
