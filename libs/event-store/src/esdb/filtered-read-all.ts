/**
 * A server-side filtered, bounded read of $all. The gRPC protocol has it (a `Read` with `count`
 * and a filter), but client v6's `readAll` always sends `no_filter`; only `subscribeToAll` takes a
 * filter. So this builds the request itself and sends it over the client's own connection, through
 * the client's protected plumbing (the same calls its `readAll` makes): reconnection to the leader,
 * credentials and connection name stay the client's.
 */
import type { AllStreamResolvedEvent, EventStoreDBClient, Position } from '@eventstore/db-client';
import type { CallOptions, ClientReadableStream, Metadata } from '@grpc/grpc-js';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { convertGrpcEvent, convertToCommandError } from '@eventstore/db-client/dist/utils';
import type { ServerFilter } from './esdb-codec';

/** The protected members of the v6 client this read uses (see the file comment). */
interface ClientPlumbing {
  GRPCStreamCreator<T>(
    Client: typeof StreamsClient,
    debugName: string,
    creator: (client: StreamsClient) => T,
  ): () => Promise<T>;
  callArguments(options: { requiresLeader?: boolean }, callOptions?: CallOptions): [Metadata, CallOptions];
}

/** Reads up to `count` events of $all matching `filter`, forwards from `from` (inclusive) or the start. */
export async function readAllFiltered(
  client: EventStoreDBClient,
  from: Position | 'start',
  count: number,
  filter: ServerFilter,
): Promise<AllStreamResolvedEvent[]> {
  const plumbing = client as unknown as ClientPlumbing;
  const request = readRequest(from, count, filter);
  const createStream = plumbing.GRPCStreamCreator(StreamsClient, 'readAllFiltered', (streams) =>
    streams.read(request, ...plumbing.callArguments({}, { deadline: Infinity })),
  );
  const stream: ClientReadableStream<ReadResp> = await createStream();
  const events: AllStreamResolvedEvent[] = [];
  try {
    for await (const response of stream as AsyncIterable<ReadResp>) {
      const event = response.getEvent();
      if (event) events.push(convertGrpcEvent(event) as AllStreamResolvedEvent);
    }
  } catch (error) {
    throw convertToCommandError(error as Error);
  }
  return events;
}

function readRequest(from: Position | 'start', count: number, filter: ServerFilter): ReadReq {
  const all = new ReadReq.Options.AllOptions();
  if (from === 'start') {
    all.setStart(new Empty());
  } else {
    const position = new ReadReq.Options.Position();
    position.setCommitPosition(from.commit.toString(10));
    position.setPreparePosition(from.prepare.toString(10));
    all.setPosition(position);
  }

  const expression = new ReadReq.Options.FilterOptions.Expression();
  if (filter.on === 'streamName') expression.setPrefixList(filter.prefixes);
  else expression.setRegex(filter.regex);
  const filterOptions = new ReadReq.Options.FilterOptions();
  if (filter.on === 'streamName') filterOptions.setStreamIdentifier(expression);
  else filterOptions.setEventType(expression);
  filterOptions.setCount(new Empty()); // the search window is the count: return `count` matches
  filterOptions.setCheckpointintervalmultiplier(1);

  const uuid = new ReadReq.Options.UUIDOption();
  uuid.setString(new Empty());
  const options = new ReadReq.Options();
  options.setAll(all);
  options.setReadDirection(ReadReq.Options.ReadDirection.FORWARDS);
  options.setResolveLinks(false);
  options.setCount(count.toString(10));
  options.setFilter(filterOptions);
  options.setUuidOption(uuid);
  const request = new ReadReq();
  request.setOptions(options);
  return request;
}
