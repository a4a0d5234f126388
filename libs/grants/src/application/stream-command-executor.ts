import { randomUUID } from 'node:crypto';
import { type EventStore, WrongExpectedVersionError } from '@app/event-store';
import { type Decider, fold } from '../shared/decider';
import type { CommandContext, CommandResult } from './command-context';
import type { DomainEvent, EventCodec } from './event-codec';

/**
 * The whole command path for one stream, kept free of business rules:
 * read the stream, fold it with `evolve`, `decide`, append with the version we folded.
 * The append's expected version makes a concurrent writer fail instead of being overwritten.
 */
export class StreamCommandExecutor {
  constructor(
    private readonly store: EventStore,
    private readonly codec: EventCodec,
  ) {}

  async execute<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    entityId: string,
    command: C,
    context: CommandContext,
  ): Promise<CommandResult & { events: E[] }> {
    const { state, version } = await this.load(decider, streamId);
    if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
      throw new WrongExpectedVersionError(streamId, context.expectedVersion, version);
    }
    const events = decider.decide(command, state);
    if (events.length === 0) return { id: entityId, version, events };
    const stored = await Promise.all(
      events.map((event) =>
        this.codec.encode(streamId, event, {
          eventId: randomUUID(),
          actorId: context.actor.id,
          actorRole: context.actor.role,
          correlationId: context.correlationId,
          causationId: context.causationId,
          ...(context.idempotencyKey ? { idempotencyKey: context.idempotencyKey } : {}),
        }),
      ),
    );
    const result = await this.store.append(streamId, stored, version < 0 ? 'no_stream' : version);
    return { id: entityId, version: result.nextExpectedVersion, events };
  }

  async load<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, streamId: string, upTo?: Date): Promise<{ state: S; version: number }> {
    const recorded = await this.store.readStream(streamId);
    const visible = upTo ? recorded.filter((e) => e.recordedAt.getTime() <= upTo.getTime()) : recorded;
    const decoded = await Promise.all(visible.map((e) => this.codec.decode(e)));
    const domainEvents = decoded.map((e) => ({ type: e.type, data: e.data }) as E);
    const version = visible.length ? visible[visible.length - 1].streamVersion : -1;
    return { state: fold(decider, domainEvents), version };
  }
}
