/**
 * A TEST DOUBLE of an EventStoreDB node, never used by the product: the gRPC services the
 * `@eventstore/db-client` v6 speaks (its own generated definitions), served by @grpc/grpc-js on
 * 127.0.0.1 at a random port, over an in-memory log. It lets the EsdbEventStore run the port's
 * contract suite where no real server can run; the same suite runs against a real server whenever
 * EVENTSTORE_CONNECTION_STRING is set.
 *
 * What it mirrors (as documented by EventStoreDB and seen from its clients):
 * - ServerFeatures/GetSupportedMethods: advertises Streams Read and Append only (so the client
 *   never uses BatchAppend, which is left unimplemented).
 * - Append: expected revision (exact, no_stream, any, stream_exists); WrongExpectedVersion as a
 *   response carrying the current revision or `no stream`; idempotent retries — the same event
 *   ids at the same expected revision succeed without writing and report the original last
 *   revision and position; `any`/`stream_exists` retries are recognised when all ids were written
 *   as one run in that stream; missing `type`/`content-type` is refused.
 * - The log: positions are growing byte-offset-like numbers with gaps (commit = prepare per
 *   event), events of one append are contiguous, an append is atomic; `created` in 100 ns ticks
 *   since the Unix epoch; system events exist ($-prefixed streams and types: seeded user events at
 *   start, `$statsCollected` every `systemEventIntervalMs`) and can be added with appendSystemEvent.
 * - Read of a stream: forwards/backwards, from start/end/revision, count; `stream not found` for
 *   a stream without events.
 * - Read of $all: forwards from a position inclusive, backwards exclusive, count; a filter on
 *   stream name or event type, by prefixes or a regex, with `count` counting matching events.
 * - Subscription to $all: confirmation, then catch-up strictly after the given position
 *   (or from start, or live only from end), then live events without gap or duplicate; the
 *   filter, and checkpoints every (search window × checkpoint multiplier) scanned events.
 * - UUIDs as string or structured, as the request asks.
 *
 * What it does NOT mirror:
 * - Persistence, clustering, leader election, gossip, TLS, authentication and ACLs (any caller
 *   may do anything), deadlines and server-side timeouts.
 * - Real byte positions, chunk boundaries, scavenging, stream deletion/tombstones ($tb), stream
 *   metadata ($$streams: $maxAge, $maxCount, ACLs), truncation, soft-deleted streams.
 * - Projections and link events ($>, $ce-, $et-, $by_correlation_id), resolveLinkTos.
 * - The event-id cache: ESDB recognises `any` retries only while the ids are in a bounded cache,
 *   this double always does; it never reports a partially matching retry as corrupt idempotency.
 * - Reading $all from a position that is not an event's position (the real server errors).
 * - Subscription to a single stream, persistent subscriptions, BatchAppend, Delete, Tombstone,
 *   Projections, Users, Operations, Gossip and Monitoring services (UNIMPLEMENTED).
 * - Slow-consumer handling (FellBehind, live-queue overflow), CaughtUp messages, the
 *   first/last stream position messages and the deprecated 20.6 fields of WrongExpectedVersion.
 * - .NET regular-expression dialect: filters are evaluated as JavaScript regular expressions.
 * - Maximum append size and event size limits.
 */
import { randomUUID } from 'node:crypto';
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';

const SERVER_VERSION = '23.10.0';
const STREAMS_SERVICE = 'event_store.client.streams.Streams';
/** ESDB's default search window for a filtered subscription that gives none. */
const DEFAULT_SEARCH_WINDOW = 32;
/** Fixed record overhead added to each position step, so positions have gaps as real ones do. */
const RECORD_OVERHEAD = 97;
const TICKS_PER_MILLISECOND = 10_000n;

export interface InProcessEsdbServerOptions {
  /** Write a `$statsCollected` system event this often (0 = never). Real ESDB does every 30 s. */
  systemEventIntervalMs?: number;
}

interface StoredEvent {
  streamId: string;
  revision: number;
  id: string;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  createdTicks: bigint;
  position: bigint;
}

type EventPredicate = (event: StoredEvent) => boolean;

interface LiveSubscription {
  call: ServerWritableStream<ReadReq, ReadResp>;
  matches: EventPredicate;
  checkpointEvery: number | undefined;
  scanned: number;
  structuredIds: boolean;
}

interface AppendOutcome {
  response: AppendResp;
  written: StoredEvent[];
}

export class InProcessEsdbServer {
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly live = new Set<LiveSubscription>();
  private nextPosition = 1_000n;
  private systemTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Starts a server on 127.0.0.1 at a free port. */
  static async start(options: InProcessEsdbServerOptions = {}): Promise<InProcessEsdbServer> {
    const server = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      ),
    );
    const instance = new InProcessEsdbServer(server, port);
    instance.register();
    instance.seedSystemEvents();
    if (options.systemEventIntervalMs) {
      instance.systemTimer = setInterval(
        () => instance.appendSystemEvent(`$stats-127.0.0.1:${port}`, '$statsCollected'),
        options.systemEventIntervalMs,
      );
      instance.systemTimer.unref();
    }
    return instance;
  }

  get connectionString(): string {
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  /** Writes an event as the server or an admin tool would (any stream, any type). */
  appendSystemEvent(streamId: string, type: string, data: unknown = {}): void {
    const stream = this.streams.get(streamId) ?? [];
    const written = this.write(streamId, stream.length - 1, [
      {
        id: randomUUID(),
        type,
        contentType: 'application/json',
        data: Buffer.from(JSON.stringify(data)),
        metadata: new Uint8Array(),
      },
    ]);
    this.publish(written);
  }

  async stop(): Promise<void> {
    clearInterval(this.systemTimer);
    for (const subscription of this.live) subscription.call.end();
    this.live.clear();
    this.server.forceShutdown();
  }

  private register(): void {
    this.server.addService(ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: sendUnaryData<SupportedMethods>) => {
        const methods = ['Read', 'Append'].map((name) => {
          const method = new SupportedMethod();
          method.setServiceName(STREAMS_SERVICE);
          method.setMethodName(name);
          return method;
        });
        const supported = new SupportedMethods();
        supported.setMethodsList(methods);
        supported.setEventStoreServerVersion(SERVER_VERSION);
        callback(null, supported);
      },
    });
    this.server.addService(StreamsService, {
      append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) =>
        this.handleAppend(call, callback),
      read: (call: ServerWritableStream<ReadReq, ReadResp>) => this.handleRead(call),
    });
  }

  private seedSystemEvents(): void {
    // What a fresh node writes before any client does (users, default settings).
    this.appendSystemEvent('$users', '$User', { loginName: 'admin' });
    this.appendSystemEvent('$user-admin', '$UserCreated', { loginName: 'admin', fullName: 'Event Store Administrator' });
    this.appendSystemEvent('$settings', '$update-default-acl', { $userStreamAcl: {}, $systemStreamAcl: {} });
  }

  // ---- Append ----------------------------------------------------------------------------

  private handleAppend(call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
    let options: AppendReq.Options | undefined;
    const proposed: AppendReq.ProposedMessage[] = [];
    call.on('data', (request: AppendReq) => {
      if (request.hasOptions()) options = request.getOptions();
      const message = request.getProposedMessage();
      if (message) proposed.push(message);
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      if (!options) return callback({ code: status.INVALID_ARGUMENT, details: 'Append without options' });
      try {
        const outcome = this.append(options, proposed);
        callback(null, outcome.response);
        this.publish(outcome.written);
      } catch (error) {
        callback({ code: status.INVALID_ARGUMENT, details: (error as Error).message });
      }
    });
  }

  /** Runs synchronously: appends are atomic and serialised, as the real writer makes them. */
  private append(options: AppendReq.Options, proposed: AppendReq.ProposedMessage[]): AppendOutcome {
    const streamId = streamName(options.getStreamIdentifier());
    const stream = this.streams.get(streamId) ?? [];
    const current = stream.length - 1;
    const ids = proposed.map((message) => uuidText(message.getId()));
    const Case = AppendReq.Options.ExpectedStreamRevisionCase;
    const expectedCase = options.getExpectedStreamRevisionCase();

    let exact: number | undefined;
    if (expectedCase === Case.REVISION) exact = Number(options.getRevision());
    if (expectedCase === Case.NO_STREAM) exact = -1;

    if (exact !== undefined) {
      if (current === exact) return this.written(this.write(streamId, current, proposed.map(toNewRecord)));
      const retried = current > exact ? this.retriedRun(stream, exact + 1, ids) : undefined;
      if (retried) return { response: this.success(retried), written: [] };
      return { response: wrongExpectedVersion(options, current), written: [] };
    }
    if (expectedCase === Case.STREAM_EXISTS && current === -1) {
      return { response: wrongExpectedVersion(options, current), written: [] };
    }
    const firstIndex = ids.length ? stream.findIndex((event) => event.id === ids[0]) : -1;
    const retried = firstIndex >= 0 ? this.retriedRun(stream, firstIndex, ids) : undefined;
    if (retried) return { response: this.success(retried), written: [] };
    return this.written(this.write(streamId, current, proposed.map(toNewRecord)));
  }

  private written(events: StoredEvent[]): AppendOutcome {
    return { response: this.success(events), written: events };
  }

  /** The events of an earlier append of the same ids at `from`, or undefined if it is not one. */
  private retriedRun(stream: StoredEvent[], from: number, ids: string[]): StoredEvent[] | undefined {
    if (ids.length === 0 || from + ids.length > stream.length) return undefined;
    const run = stream.slice(from, from + ids.length);
    return run.every((event, index) => event.id === ids[index]) ? run : undefined;
  }

  /** Appends after `current` and returns the stream's events as they now end (the new ones). */
  private write(streamId: string, current: number, records: NewRecord[]): StoredEvent[] {
    const stream = this.streams.get(streamId) ?? [];
    const createdTicks = BigInt(Date.now()) * TICKS_PER_MILLISECOND;
    const written = records.map((record, index) => {
      const event: StoredEvent = { ...record, streamId, revision: current + 1 + index, createdTicks, position: this.nextPosition };
      this.nextPosition += BigInt(RECORD_OVERHEAD + streamId.length + record.type.length + record.data.length + record.metadata.length);
      return event;
    });
    stream.push(...written);
    this.streams.set(streamId, stream);
    this.log.push(...written);
    return written;
  }

  private success(events: StoredEvent[]): AppendResp {
    const success = new AppendResp.Success();
    const last = events[events.length - 1];
    if (!last) {
      success.setNoStream(new Empty());
      success.setNoPosition(new Empty());
    } else {
      success.setCurrentRevision(String(last.revision));
      const position = new AppendResp.Position();
      position.setCommitPosition(last.position.toString());
      position.setPreparePosition(last.position.toString());
      success.setPosition(position);
    }
    const response = new AppendResp();
    response.setSuccess(success);
    return response;
  }

  // ---- Read ------------------------------------------------------------------------------

  private handleRead(call: ServerWritableStream<ReadReq, ReadResp>): void {
    const options = call.request.getOptions();
    if (!options) return fail(call, grpcError(status.INVALID_ARGUMENT, 'Read without options'));
    const structuredIds = options.getUuidOption()?.getContentCase() === ReadReq.Options.UUIDOption.ContentCase.STRUCTURED;
    const subscription = options.getCountOptionCase() === ReadReq.Options.CountOptionCase.SUBSCRIPTION;
    const stream = options.getStream();
    if (stream) {
      if (subscription) return fail(call, grpcError(status.UNIMPLEMENTED, 'Stream subscriptions are not implemented by this test server'));
      return this.readStream(call, stream, options, structuredIds);
    }
    const all = options.getAll();
    if (!all) return fail(call, grpcError(status.INVALID_ARGUMENT, 'Read without a stream option'));
    const filter = options.getFilterOptionCase() === ReadReq.Options.FilterOptionCase.FILTER ? options.getFilter() : undefined;
    if (subscription) return this.subscribeToAll(call, all, filter, structuredIds);
    return this.readAll(call, all, options, filter, structuredIds);
  }

  private readStream(
    call: ServerWritableStream<ReadReq, ReadResp>,
    options: ReadReq.Options.StreamOptions,
    readOptions: ReadReq.Options,
    structuredIds: boolean,
  ): void {
    const identifier = options.getStreamIdentifier();
    const events = this.streams.get(streamName(identifier));
    if (!events) {
      const notFound = new ReadResp.StreamNotFound();
      notFound.setStreamIdentifier(identifier);
      const response = new ReadResp();
      response.setStreamNotFound(notFound);
      call.write(response);
      call.end();
      return;
    }
    const count = Number(readOptions.getCount());
    const backwards = readOptions.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const Case = ReadReq.Options.StreamOptions.RevisionOptionCase;
    const last = events.length - 1;
    let from: number;
    switch (options.getRevisionOptionCase()) {
      case Case.START:
        from = 0;
        break;
      case Case.END:
        from = backwards ? last : events.length;
        break;
      default:
        from = Number(options.getRevision());
    }
    const selected = backwards
      ? events.slice(Math.max(0, Math.min(from, last) - count + 1), Math.min(from, last) + 1).reverse()
      : events.slice(from, from + count);
    for (const event of selected) call.write(readEvent(event, structuredIds));
    call.end();
  }

  private readAll(
    call: ServerWritableStream<ReadReq, ReadResp>,
    options: ReadReq.Options.AllOptions,
    readOptions: ReadReq.Options,
    filter: ReadReq.Options.FilterOptions | undefined,
    structuredIds: boolean,
  ): void {
    const count = Number(readOptions.getCount());
    const backwards = readOptions.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const matches = eventFilter(filter);
    const Case = ReadReq.Options.AllOptions.AllOptionCase;
    let index: number;
    switch (options.getAllOptionCase()) {
      case Case.START:
        index = backwards ? -1 : 0;
        break;
      case Case.END:
        index = backwards ? this.log.length - 1 : this.log.length;
        break;
      default: {
        const position = BigInt(options.getPosition()?.getCommitPosition() ?? '0');
        // Forwards includes the event at the position, backwards excludes it.
        index = backwards ? this.firstIndexAtOrAfter(position) - 1 : this.firstIndexAtOrAfter(position);
      }
    }
    let sent = 0;
    for (; sent < count && index >= 0 && index < this.log.length; index += backwards ? -1 : 1) {
      const event = this.log[index];
      if (!matches(event)) continue;
      call.write(readEvent(event, structuredIds));
      sent++;
    }
    call.end();
  }

  private subscribeToAll(
    call: ServerWritableStream<ReadReq, ReadResp>,
    options: ReadReq.Options.AllOptions,
    filter: ReadReq.Options.FilterOptions | undefined,
    structuredIds: boolean,
  ): void {
    const confirmation = new ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(randomUUID());
    const confirmed = new ReadResp();
    confirmed.setConfirmation(confirmation);
    call.write(confirmed);

    const window = filter?.getWindowCase() === ReadReq.Options.FilterOptions.WindowCase.MAX ? filter.getMax() : DEFAULT_SEARCH_WINDOW;
    const subscription: LiveSubscription = {
      call,
      matches: eventFilter(filter),
      checkpointEvery: filter ? window * Math.max(1, filter.getCheckpointintervalmultiplier()) : undefined,
      scanned: 0,
      structuredIds,
    };
    const Case = ReadReq.Options.AllOptions.AllOptionCase;
    let from: number;
    switch (options.getAllOptionCase()) {
      case Case.START:
        from = 0;
        break;
      case Case.END:
        from = this.log.length;
        break;
      default: {
        // Subscriptions start strictly after the given position.
        const position = BigInt(options.getPosition()?.getCommitPosition() ?? '0');
        from = this.firstIndexAtOrAfter(position + 1n);
      }
    }
    // Catch-up and going live happen in one synchronous step: nothing can be appended in between.
    for (const event of this.log.slice(from)) deliver(subscription, event);
    this.live.add(subscription);
    const drop = () => this.live.delete(subscription);
    call.on('cancelled', drop);
    call.on('close', drop);
    call.on('error', drop);
  }

  private publish(events: StoredEvent[]): void {
    for (const subscription of this.live) {
      for (const event of events) deliver(subscription, event);
    }
  }

  private firstIndexAtOrAfter(position: bigint): number {
    let low = 0;
    let high = this.log.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.log[middle].position < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

type NewRecord = Pick<StoredEvent, 'id' | 'type' | 'contentType' | 'data' | 'metadata'>;

function toNewRecord(message: AppendReq.ProposedMessage): NewRecord {
  const type = message.getMetadataMap().get('type');
  const contentType = message.getMetadataMap().get('content-type');
  // The real server refuses a proposed message without these (RequiredMetadataPropertyMissing).
  if (!type || !contentType) throw new Error('Required metadata properties are missing: type, content-type');
  return {
    id: uuidText(message.getId()),
    type,
    contentType,
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

function deliver(subscription: LiveSubscription, event: StoredEvent): void {
  subscription.scanned++;
  if (subscription.matches(event)) subscription.call.write(readEvent(event, subscription.structuredIds));
  if (subscription.checkpointEvery && subscription.scanned % subscription.checkpointEvery === 0) {
    const checkpoint = new ReadResp.Checkpoint();
    checkpoint.setCommitPosition(event.position.toString());
    checkpoint.setPreparePosition(event.position.toString());
    const response = new ReadResp();
    response.setCheckpoint(checkpoint);
    subscription.call.write(response);
  }
}

function eventFilter(filter: ReadReq.Options.FilterOptions | undefined): EventPredicate {
  if (!filter) return () => true;
  const Case = ReadReq.Options.FilterOptions.FilterCase;
  const onStream = filter.getFilterCase() === Case.STREAM_IDENTIFIER;
  const expression = onStream ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) return () => true;
  const prefixes = expression.getPrefixList();
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  return (event) => {
    const subject = onStream ? event.streamId : event.type;
    if (prefixes.length) return prefixes.some((prefix) => subject.startsWith(prefix));
    return regex ? regex.test(subject) : true;
  };
}

function wrongExpectedVersion(options: AppendReq.Options, current: number): AppendResp {
  const error = new AppendResp.WrongExpectedVersion();
  if (current === -1) error.setCurrentNoStream(new Empty());
  else error.setCurrentRevision(String(current));
  const Case = AppendReq.Options.ExpectedStreamRevisionCase;
  switch (options.getExpectedStreamRevisionCase()) {
    case Case.REVISION:
      error.setExpectedRevision(options.getRevision());
      break;
    case Case.NO_STREAM:
      error.setExpectedNoStream(new Empty());
      break;
    case Case.STREAM_EXISTS:
      error.setExpectedStreamExists(new Empty());
      break;
    default:
      error.setExpectedAny(new Empty());
  }
  const response = new AppendResp();
  response.setWrongExpectedVersion(error);
  return response;
}

function readEvent(event: StoredEvent, structuredIds: boolean): ReadResp {
  const identifier = new StreamIdentifier();
  identifier.setStreamName(Buffer.from(event.streamId, 'utf8'));
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidMessage(event.id, structuredIds));
  recorded.setStreamIdentifier(identifier);
  recorded.setStreamRevision(String(event.revision));
  recorded.setCommitPosition(event.position.toString());
  recorded.setPreparePosition(event.position.toString());
  recorded.getMetadataMap().set('type', event.type);
  recorded.getMetadataMap().set('content-type', event.contentType);
  recorded.getMetadataMap().set('created', event.createdTicks.toString());
  recorded.setData(event.data);
  recorded.setCustomMetadata(event.metadata);
  const read = new ReadResp.ReadEvent();
  read.setEvent(recorded);
  read.setCommitPosition(event.position.toString());
  const response = new ReadResp();
  response.setEvent(read);
  return response;
}

function streamName(identifier: StreamIdentifier | undefined): string {
  if (!identifier) throw new Error('Missing stream identifier');
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

function uuidText(uuid: UUID | undefined): string {
  if (!uuid) throw new Error('Missing event id');
  const structured = uuid.getStructured();
  if (!structured) return uuid.getString().toLowerCase();
  const hex = (value: string) => BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, '0');
  const digits = hex(structured.getMostSignificantBits()) + hex(structured.getLeastSignificantBits());
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}

function uuidMessage(id: string, structured: boolean): UUID {
  const uuid = new UUID();
  if (!structured) return uuid.setString(id);
  const digits = id.replace(/-/g, '');
  const bits = new UUID.Structured();
  bits.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${digits.slice(0, 16)}`)).toString());
  bits.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${digits.slice(16)}`)).toString());
  return uuid.setStructured(bits);
}

function fail(call: ServerWritableStream<ReadReq, ReadResp>, error: Error): void {
  call.emit('error', error);
}

function grpcError(code: status, details: string): Error & { code: status; details: string } {
  return Object.assign(new Error(details), { code, details });
}
