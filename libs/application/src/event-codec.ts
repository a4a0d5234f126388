import type { EventMetadata, NewEvent, RecordedEvent } from '@app/event-store';
import type { EventUpcaster } from '@app/domain/shared/upcaster';

export interface DomainEvent {
  type: string;
  data: unknown;
}

/**
 * The boundary between domain events and stored events: the schema version of each type on the
 * way in; on the way out, (for personal data) decryption, then upcasting to the current version.
 * A decoded event is always at its type's current schema version, so deciders, projections and
 * workflows read one shape per type.
 */
export interface EventCodec {
  encode(streamId: string, event: DomainEvent, metadata: EventMetadata): Promise<NewEvent>;
  decode(event: RecordedEvent): Promise<RecordedEvent>;
  /** To the current schema version, personal fields left as stored (encrypted): for `sealed` consumers. */
  upcast(event: RecordedEvent): RecordedEvent;
  /**
   * The personal-data keys (subject, key id) this event's sealed fields are opened with on decode,
   * as stored (`encode`'s output, or a recorded event). None: a codec that seals nothing leaves this out.
   */
  sealedWith?(streamId: string, event: { type: string; data: unknown }): readonly SealedKey[];
  /**
   * Whether each key is still its subject's live key, asked of the key store (never a cache): what
   * was decrypted with them reads the same now. False once any was erased (here or elsewhere).
   */
  keysStillLive?(keys: readonly SealedKey[]): Promise<boolean>;
  /**
   * A copy of what was decoded with these keys (a folded state), sealed so that it opens only while
   * every one of them is live and only for `binding`; `null` when one was erased already (the copy
   * must then not be kept). A codec that leaves this out keeps no such copies.
   */
  sealState?(keys: readonly SealedKey[], clear: Buffer, binding: string): Promise<Buffer | null>;
  /** The clear copy, or `null` once any of its keys was erased; throws if the copy was altered. */
  openState?(keys: readonly SealedKey[], sealed: Buffer, binding: string): Promise<Buffer | null>;
}

/** A personal-data key a sealed field was encrypted with. */
export interface SealedKey {
  subject: string;
  keyId: string;
}

export const EVENT_CODEC = Symbol('EVENT_CODEC');

/**
 * Current schema versions per event type, filled from each stream's events file, and the
 * upcasters that bring older stored versions up to them: one per (type, fromVersion), applied
 * in a chain (v1 → v2 → … → current) on decode.
 */
export class SchemaRegistry {
  private readonly versions = new Map<string, number>();
  private readonly upcasters = new Map<string, EventUpcaster>();

  /**
   * Registers a stream's types with their current versions and its upcasters. Refused at start-up
   * (not at the first old event read): a type registered twice, an upcaster for an unknown type or
   * a version that is not below the current one, two upcasters for one step, and a type whose
   * current version is above 1 without an upcaster for every older version.
   */
  register(versions: Readonly<Record<string, number>>, upcasters: readonly EventUpcaster[] = []): this {
    for (const [type, version] of Object.entries(versions)) {
      if (this.versions.has(type)) throw new Error(`Event type ${type} registered twice`);
      if (!Number.isSafeInteger(version) || version < 1) throw new Error(`Event type ${type}: schema version ${version} is not a positive integer`);
      this.versions.set(type, version);
    }
    for (const upcaster of upcasters) {
      const current = this.versions.get(upcaster.type);
      if (current === undefined) throw new Error(`Upcaster for unknown event type ${upcaster.type}`);
      if (!Number.isSafeInteger(upcaster.fromVersion) || upcaster.fromVersion < 1 || upcaster.fromVersion >= current) {
        throw new Error(`Upcaster ${upcaster.type} v${upcaster.fromVersion}: the current version is ${current}`);
      }
      const key = stepKey(upcaster.type, upcaster.fromVersion);
      if (this.upcasters.has(key)) throw new Error(`Two upcasters for ${upcaster.type} v${upcaster.fromVersion}`);
      this.upcasters.set(key, upcaster);
    }
    for (const [type, version] of Object.entries(versions)) {
      for (let from = 1; from < version; from++) {
        if (!this.upcasters.has(stepKey(type, from))) {
          throw new Error(`Event type ${type} is at schema version ${version} but has no upcaster from version ${from}`);
        }
      }
    }
    return this;
  }

  /** Every type's current version and upcaster steps (part of what a decider snapshot's fingerprint covers). */
  describe(): string {
    const versions = [...this.versions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const upcasters = [...this.upcasters.keys()].sort();
    return JSON.stringify({ versions, upcasters });
  }

  /** Whether the type is registered: every type the application appends is (versionOf refuses any other). */
  knows(type: string): boolean {
    return this.versions.has(type);
  }

  versionOf(type: string): number {
    const version = this.versions.get(type);
    if (version === undefined) throw new Error(`Unknown event type ${type}: add it to its stream's schema versions`);
    return version;
  }

  /**
   * The event at its type's current schema version: the stored event itself when it is current,
   * else a copy with upcast data and the current version (position, ids, metadata unchanged).
   * Types this registry does not know pass through untouched. An event stored by a newer version
   * of the application (a version above the current one) is refused rather than misread.
   */
  upcast(event: RecordedEvent): RecordedEvent {
    const current = this.versions.get(event.type);
    if (current === undefined || event.schemaVersion === current) return event;
    if (event.schemaVersion > current) {
      throw new Error(
        `Event ${event.eventId} (${event.type}) is stored at schema version ${event.schemaVersion}, newer than this application reads (${current})`,
      );
    }
    const stored = { streamId: event.streamId, eventId: event.eventId, actorId: event.metadata.actorId, recordedAt: event.recordedAt.toISOString() };
    let data = event.data;
    for (let version = event.schemaVersion; version < current; version++) {
      const step = this.upcasters.get(stepKey(event.type, version));
      // register() guarantees every step from 1; only a version below 1 can miss one.
      if (!step) throw new Error(`Event ${event.eventId} (${event.type}) has schema version ${event.schemaVersion}: no upcaster from version ${version}`);
      data = step.upcast(data, stored);
    }
    return { ...event, schemaVersion: current, data };
  }
}

const stepKey = (type: string, fromVersion: number) => `${type}\u0000${fromVersion}`;

export class PlainEventCodec implements EventCodec {
  constructor(private readonly registry: SchemaRegistry) {}

  async encode(_streamId: string, event: DomainEvent, metadata: EventMetadata): Promise<NewEvent> {
    return { type: event.type, schemaVersion: this.registry.versionOf(event.type), data: event.data, metadata };
  }

  async decode(event: RecordedEvent): Promise<RecordedEvent> {
    return this.registry.upcast(event);
  }

  upcast(event: RecordedEvent): RecordedEvent {
    return this.registry.upcast(event);
  }
}
