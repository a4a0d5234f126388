import type { EventMetadata, NewEvent, RecordedEvent } from '@app/event-store';

export interface DomainEvent {
  type: string;
  data: unknown;
}

/**
 * The boundary between domain events and stored events: the schema version of each type, and
 * (for personal data) encryption on the way in and decryption on the way out.
 */
export interface EventCodec {
  encode(streamId: string, event: DomainEvent, metadata: EventMetadata): Promise<NewEvent>;
  decode(event: RecordedEvent): Promise<RecordedEvent>;
}

export const EVENT_CODEC = Symbol('EVENT_CODEC');

/** Registry of current schema versions per event type, filled from each stream's events file. */
export class SchemaRegistry {
  private readonly versions = new Map<string, number>();

  register(versions: Record<string, number>): this {
    for (const [type, version] of Object.entries(versions)) {
      if (this.versions.has(type)) throw new Error(`Event type ${type} registered twice`);
      this.versions.set(type, version);
    }
    return this;
  }

  versionOf(type: string): number {
    const version = this.versions.get(type);
    if (version === undefined) throw new Error(`Unknown event type ${type}: add it to its stream's schema versions`);
    return version;
  }
}

export class PlainEventCodec implements EventCodec {
  constructor(private readonly registry: SchemaRegistry) {}

  async encode(_streamId: string, event: DomainEvent, metadata: EventMetadata): Promise<NewEvent> {
    return { type: event.type, schemaVersion: this.registry.versionOf(event.type), data: event.data, metadata };
  }

  async decode(event: RecordedEvent): Promise<RecordedEvent> {
    return event;
  }
}
