import { randomUUID } from 'node:crypto';
import { DuplicateEventIdError, type EventStore, type RecordedEvent, WrongExpectedVersionError } from '@app/event-store';
import { nameBasedId } from '@app/platform/ids';
import { type Decider, fold } from '@app/domain/shared/decider';
import type { CommandContext, CommandResult } from './command-context';
import type { DomainEvent, EventCodec } from './event-codec';
import { DEFAULT_RETRY, retryOnConflict, type RetryOptions } from './retry-on-conflict';

export interface ExecutionResult<E> extends CommandResult {
  /** The events this command appended (or, when `replayed`, those an earlier attempt with its Idempotency-Key appended). */
  events: E[];
  /** The command had already run: the stream holds events carrying its Idempotency-Key. Nothing was appended now. */
  replayed: boolean;
}

/**
 * Other streams a command is decided on, read for one attempt. `pin` makes the decision hold only
 * for the version read: the append then requires that stream to be unchanged (AppendOptions
 * conditions), and if it moved the whole attempt runs again on fresh reads. Pin a stream when a
 * rule depends on state of it that can change — a submission on its call being open — not for
 * facts fixed once written (a call's criteria), where pinning would only add conflicts.
 */
export interface Facts {
  load<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, streamId: string, options?: { pin?: boolean }): Promise<{ state: S; version: number }>;
}

/**
 * Builds the command from the stream's current state: checks who may act, looks up the outside
 * facts the decider needs. Runs again on every attempt, so it always judges the state decided on.
 */
export type CommandBuilder<C, S> = (state: S, version: number, facts: Facts) => C | Promise<C>;

export interface ExecuteOptions {
  /**
   * The caller minted `streamId` for this command (IdGenerator.forCommand). Without an
   * Idempotency-Key that id is a random UUID nobody has used, so the first attempt decides on the
   * empty stream without reading it and appends with `no_stream` (a stream that exists after all
   * answers a conflict, and the retry reads it). With a key the id is derived from the key, and the
   * stream is read as always, so that a retry finds its earlier attempt.
   */
  newStream?: boolean;
}

/**
 * The one way through a command, as emmett's handleCommand: read the stream once, fold it with
 * `evolve`, build the command on that state (reading other streams it depends on through `facts`),
 * `decide`, append with the version read — and, for pinned facts, only if those streams did not
 * move either. A version conflict re-runs the whole step on fresh reads (one shared policy) unless
 * the client pinned this stream's version with If-Match; the rules then judge the new state, so a
 * retry can never over-commit.
 *
 * Idempotency lives in the log itself: every event a command with an Idempotency-Key appends
 * carries the key (and an event id derived from actor, key, stream and index), so the record of
 * "this command ran" commits in the same statement as its effect. Before deciding, the stream is
 * searched for the key: found, the command already ran (perhaps in a process that died before it
 * could answer) and the earlier result is returned with nothing appended. Two concurrent attempts
 * derive the same event ids for the same version; the store keeps one and the other finds it.
 */
export class StreamCommandExecutor {
  constructor(
    private readonly store: EventStore,
    private readonly codec: EventCodec,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
  ) {}

  execute<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    entityId: string,
    command: C,
    context: CommandContext,
    options?: ExecuteOptions,
  ): Promise<ExecutionResult<E>> {
    return this.handle(decider, streamId, entityId, () => command, context, options);
  }

  async handle<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    entityId: string,
    build: CommandBuilder<C, S>,
    context: CommandContext,
    options?: ExecuteOptions,
  ): Promise<ExecutionResult<E>> {
    let unread = options?.newStream === true && context.idempotencyKey === undefined;
    const attempt = () => {
      const known = unread;
      unread = false; // a retry reads the stream
      return this.attempt(decider, streamId, entityId, build, context, known);
    };
    // With If-Match the client decided on the version it saw: a conflict on this stream is its
    // answer (409). A pinned fact that moved (another stream) is decided on again either way.
    const pinnedByClient = context.expectedVersion !== undefined;
    return retryOnConflict(attempt, { ...this.retry, retryable: (conflict) => !pinnedByClient || conflict.streamId !== streamId });
  }

  /** The stream folded to its current state (for queries that need a decider's view, and process managers). */
  async load<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, streamId: string, upTo?: Date): Promise<{ state: S; version: number }> {
    const { state, version } = await this.read(decider, streamId, upTo);
    return { state, version };
  }

  private async attempt<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    entityId: string,
    build: CommandBuilder<C, S>,
    context: CommandContext,
    knownEmpty: boolean,
  ): Promise<ExecutionResult<E>> {
    const { state, version, events: recorded } = knownEmpty ? { state: decider.initialState, version: -1, events: [] } : await this.read(decider, streamId);
    const earlier = this.earlierAttempt<E>(recorded, context);
    if (earlier) return { id: entityId, ...earlier };
    // Built first: the builder checks who may act, and a stranger must not learn the version from a 409.
    const pinned = new Map<string, number>();
    const facts: Facts = {
      load: async (factDecider, factStreamId, options) => {
        const fact = await this.read(factDecider, factStreamId);
        if (options?.pin && !pinned.has(factStreamId)) pinned.set(factStreamId, fact.version);
        return { state: fact.state, version: fact.version };
      },
    };
    const command = await build(state, version, facts);
    if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
      throw new WrongExpectedVersionError(streamId, context.expectedVersion, version);
    }
    const events = decider.decide(command, state);
    if (events.length === 0) return { id: entityId, version, events, replayed: false };
    const stored = await Promise.all(events.map((event, index) => this.codec.encode(streamId, event, this.metadata(streamId, index, context))));
    try {
      const conditions = [...pinned].map(([pinnedStreamId, pinnedVersion]) => ({ streamId: pinnedStreamId, version: pinnedVersion }));
      const result = await this.store.append(streamId, stored, version < 0 ? 'no_stream' : version, conditions.length ? { conditions } : undefined);
      return { id: entityId, version: result.nextExpectedVersion, events, replayed: false };
    } catch (error) {
      // A concurrent attempt of the same keyed command may have won the race: answer as it did.
      if (context.idempotencyKey !== undefined && (error instanceof WrongExpectedVersionError || error instanceof DuplicateEventIdError)) {
        const again = this.earlierAttempt<E>((await this.read(decider, streamId)).events, context);
        if (again) return { id: entityId, ...again };
      }
      throw error;
    }
  }

  private metadata(streamId: string, index: number, context: CommandContext) {
    const key = context.idempotencyKey;
    return {
      eventId: key === undefined ? randomUUID() : nameBasedId('event', context.actor.id, key, streamId, String(index)),
      actorId: context.actor.id,
      actorRole: context.actor.role,
      correlationId: context.correlationId,
      causationId: context.causationId,
      ...(key !== undefined ? { idempotencyKey: key } : {}),
    };
  }

  /** The events an earlier attempt of this keyed command appended to the stream, if any. */
  private earlierAttempt<E>(recorded: readonly RecordedEvent[], context: CommandContext): { version: number; events: E[]; replayed: true } | undefined {
    const key = context.idempotencyKey;
    if (key === undefined) return undefined;
    const mine = recorded.filter((event) => event.metadata.idempotencyKey === key && event.metadata.actorId === context.actor.id);
    if (mine.length === 0) return undefined;
    return { version: mine[mine.length - 1].streamVersion, events: mine.map((event) => ({ type: event.type, data: event.data }) as E), replayed: true };
  }

  private async read<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, streamId: string, upTo?: Date): Promise<{ state: S; version: number; events: RecordedEvent[] }> {
    const recorded = await this.store.readStream(streamId);
    const visible = upTo ? recorded.filter((e) => e.recordedAt.getTime() <= upTo.getTime()) : recorded;
    const decoded = await Promise.all(visible.map((e) => this.codec.decode(e)));
    const domainEvents = decoded.map((e) => ({ type: e.type, data: e.data }) as E);
    const version = visible.length ? visible[visible.length - 1].streamVersion : -1;
    return { state: fold(decider, domainEvents), version, events: decoded };
  }
}
