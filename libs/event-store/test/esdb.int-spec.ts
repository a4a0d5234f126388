import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { createEventStore, EsdbEventStore, WrongExpectedVersionError } from '@app/event-store';
import { eventStoreContract } from './contract';
import { InProcessEsdbServer } from './esdb/in-process-esdb-server';
import { collect, newEvent, newKind, newStreamId, rejection } from './helpers';

// Always: the in-process gRPC test double (see its header for what it does not mirror). It writes
// system events while the suite runs, as a real node does, only much more often.
eventStoreContract('EsdbEventStore on the in-process gRPC test server', async () => {
  const server = await InProcessEsdbServer.start({ systemEventIntervalMs: 50 });
  const store = new EsdbEventStore(server.connectionString);
  return {
    store,
    async teardown() {
      await store.close();
      await server.stop();
    },
  };
});

// A real EventStoreDB / KurrentDB whenever one is configured (docker compose --profile test sets it).
const realServer = process.env.EVENTSTORE_CONNECTION_STRING;
if (realServer) {
  eventStoreContract(`EsdbEventStore on ${realServer}`, async () => {
    const store = new EsdbEventStore(realServer);
    return { store, teardown: () => store.close() };
  });
} else {
  console.warn(
    'EVENTSTORE_CONNECTION_STRING is not set: the event-store contract did NOT run against a real EventStoreDB ' +
      '(only against the in-process test server). See docker/README.md.',
  );
}

/** What the contract cannot say: how the port's shapes sit in ESDB, and ESDB's system events. */
describe('EsdbEventStore specifics (in-process gRPC test server)', () => {
  let server: InProcessEsdbServer;
  let store: EsdbEventStore;
  let rawClient: EventStoreDBClient;

  beforeAll(async () => {
    server = await InProcessEsdbServer.start();
    store = new EsdbEventStore(server.connectionString);
    rawClient = EventStoreDBClient.connectionString(server.connectionString);
  });

  afterAll(async () => {
    await store.close();
    await rawClient.dispose();
    await server.stop();
  });

  it("stores correlation and causation ids also under ESDB's $correlationId and $causationId, with the schema version", async () => {
    const stream = newStreamId();
    const event = { ...newEvent('Stored', { amount: 5 }), schemaVersion: 4 };
    await store.append(stream, [event], 'no_stream');

    const [raw] = await collectRaw(rawClient.readStream(stream));
    expect(raw.event?.id).toBe(event.metadata.eventId);
    expect(raw.event?.type).toBe('Stored');
    expect(raw.event?.isJson).toBe(true);
    expect(raw.event?.metadata).toEqual({
      ...event.metadata,
      $correlationId: event.metadata.correlationId,
      $causationId: event.metadata.causationId,
      schemaVersion: 4,
    });
    const [read] = await store.readStream(stream);
    expect(read.schemaVersion).toBe(4);
    expect(read.metadata).toEqual({ ...event.metadata, recordedAt: read.recordedAt.toISOString() });
  });

  it('reads events written by other ESDB clients, with ESDB metadata only', async () => {
    const stream = newStreamId();
    const correlationId = 'corr-from-elsewhere';
    const written = jsonEvent({ type: 'Foreign', data: { ok: true }, metadata: { $correlationId: correlationId, $causationId: 'cause' } });
    await rawClient.appendToStream(stream, written);

    const [event] = await store.readStream(stream);
    expect(event.eventId).toBe(written.id);
    expect(event.schemaVersion).toBe(1);
    expect(event.metadata.correlationId).toBe(correlationId);
    expect(event.metadata.causationId).toBe('cause');
  });

  it('refuses metadata keys the adapter reserves, writing nothing', async () => {
    const stream = newStreamId();
    const event = newEvent();
    event.metadata.$correlationId = 'forged';
    await expect(store.append(stream, [event], 'no_stream')).rejects.toBeInstanceOf(TypeError);
    expect(await store.readStream(stream)).toEqual([]);
  });

  it('keeps system events out of readAll and subscriptions, and fills a page past them', async () => {
    const stream = newStreamId(newKind());
    const marker = await store.append(newStreamId(), [newEvent()], 'no_stream');
    const subscription = store.subscribe({ after: marker.position });
    const received = collect(subscription, 2);
    // A $-typed event the server filter drops, and an ordinary type in a $-stream only the client check drops.
    server.appendSystemEvent(`$probe-${stream}`, 'ProbeRecorded');
    const [second, third] = [newEvent(), newEvent()];
    await store.append(stream, [second], 'no_stream');
    server.appendSystemEvent('$stats-test', '$statsCollected');
    server.appendSystemEvent(`$probe-${stream}`, 'ProbeRecorded');
    await store.append(stream, [third], 0);

    const page = await store.readAll({ after: marker.position, maxCount: 2 });
    expect(page.map((event) => event.eventId)).toEqual([second.metadata.eventId, third.metadata.eventId]);
    expect((await received).map((event) => event.eventId)).toEqual([second.metadata.eventId, third.metadata.eventId]);
  });

  it('encodes positions that sort as plain strings, and rejects foreign ones', async () => {
    const stream = newStreamId();
    for (let version = 0; version < 12; version++) await store.append(stream, [newEvent()], version - 1);
    const positions = (await store.readStream(stream)).map((event) => event.position);
    expect([...positions].sort()).toEqual(positions);
    expect(new Set(positions).size).toBe(12);
    await expect(store.readAll({ after: 'not-a-position' })).rejects.toThrow(RangeError);
    expect(() => store.subscribe({ after: '42' })).toThrow(RangeError);
  });

  it('returns the original result, position included, for a retried append', async () => {
    const stream = newStreamId();
    const batch = [newEvent(), newEvent()];
    const first = await store.append(stream, batch, 'no_stream');
    await store.append(stream, [newEvent()], 1);

    expect(await store.append(stream, batch, 'no_stream')).toEqual(first);
    expect(await store.append(stream, batch, 'any')).toEqual(first);
    expect(await store.readStream(stream)).toHaveLength(3);
  });

  it('checks the expected version of an empty append without writing', async () => {
    const stream = newStreamId();
    expect((await store.append(stream, [], 'no_stream')).nextExpectedVersion).toBe(-1);
    const created = await store.append(stream, [newEvent()], 'no_stream');
    expect(await store.append(stream, [], 0)).toEqual(created);
    const error = await rejection(store.append(stream, [], 'no_stream'));
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect((error as WrongExpectedVersionError).actual).toBe(0);
    expect(await store.readStream(stream)).toHaveLength(1);
  });

  it('is what createEventStore builds for EVENT_STORE=esdb, and answers ping', async () => {
    const selected = createEventStore({ kind: 'esdb', esdbConnectionString: server.connectionString });
    try {
      expect(selected).toBeInstanceOf(EsdbEventStore);
      await expect(selected.ping()).resolves.toBeUndefined();
    } finally {
      await selected.close();
    }
    expect(() => createEventStore({ kind: 'esdb' })).toThrow(/EVENTSTORE_CONNECTION_STRING/);
  });
});

async function collectRaw<T>(read: AsyncIterable<T>): Promise<T[]> {
  const events: T[] = [];
  for await (const event of read) events.push(event);
  return events;
}
