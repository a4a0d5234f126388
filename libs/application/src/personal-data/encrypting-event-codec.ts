import type { EventMetadata, NewEvent, RecordedEvent } from '@app/event-store';
import type { DomainEvent, EventCodec, SchemaRegistry, SealedKey } from '../event-codec';
import { envelopeDefect, isPersonalDataEnvelope, openEnvelope, type PersonalDataEnvelope, readPath, sealEnvelope } from '@app/personal-data/personal-data-envelope';
import { PersonalDataIntegrityError } from '@app/personal-data/personal-data.errors';
import type { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import type { PersonalDataPolicy } from './personal-data.policy';

export { isPersonalDataEnvelope, type PersonalDataEnvelope } from '@app/personal-data/personal-data-envelope';

/**
 * The codec that keeps personal data out of the log in clear: on the way in, every personal field
 * (per the policy) becomes an envelope encrypted with its subject's key, a fresh IV per field, and
 * the subject, event id and field path as additional authenticated data (a ciphertext cannot be
 * moved to another event or field). On the way out, fields whose key was erased read as `null` —
 * every replay, projection and as-of read sees the same erased answer, and everything else in the
 * event stays intact. Schema versions and upcasters come from the registry as with the plain codec.
 */
export class EncryptingEventCodec implements EventCodec {
  constructor(
    private readonly registry: SchemaRegistry,
    private readonly keyring: PersonalDataKeyring,
    private readonly policy: PersonalDataPolicy,
  ) {}

  async encode(streamId: string, event: DomainEvent, metadata: EventMetadata): Promise<NewEvent> {
    const schemaVersion = this.registry.versionOf(event.type);
    const paths = this.policy.fieldsOf(event.type);
    const personal = paths.filter((path) => present(readPath(event.data, path)));
    if (personal.length === 0) return { type: event.type, schemaVersion, data: event.data, metadata };

    const subject = this.policy.subjectOf(streamId, event);
    const { keyId, key } = await this.keyring.encryptionKey(subject);
    // A copy: the caller's domain event keeps its clear values.
    const data = structuredClone(event.data);
    for (const path of personal) {
      writePath(data, path, sealEnvelope(readPath(data, path), { subject, eventId: metadata.eventId, path }, { keyId, key }));
    }
    return { type: event.type, schemaVersion, data, metadata };
  }

  /**
   * Decrypts first, then upcasts (SchemaRegistry.upcast): upcasters see clear values and may move
   * them. The policy names personal fields per type, not per schema version, so they are looked
   * for where the current version keeps them; a version that moves a personal field needs the
   * policy to learn the old path too.
   */
  async decode(event: RecordedEvent): Promise<RecordedEvent> {
    return this.registry.upcast(await this.decrypt(event));
  }

  /** Upcast without decrypting: an upcaster then sees a personal field as its sealed envelope. */
  upcast(event: RecordedEvent): RecordedEvent {
    return this.registry.upcast(event);
  }

  sealedWith(streamId: string, event: { type: string; data: unknown }): readonly SealedKey[] {
    const envelopes = this.policy
      .fieldsOf(event.type)
      .map((path) => readPath(event.data, path))
      .filter(isPersonalDataEnvelope);
    if (envelopes.length === 0) return [];
    const subject = this.policy.subjectOf(streamId, event);
    return envelopes.map(({ $pii: envelope }) => ({ subject, keyId: envelope.kid }));
  }

  async keysStillLive(keys: readonly SealedKey[]): Promise<boolean> {
    if (keys.length === 0) return true;
    const live = await this.keyring.liveKeys(keys.map((key) => key.subject));
    return keys.every((key) => live.get(key.subject)?.keyId === key.keyId);
  }

  sealState(keys: readonly SealedKey[], clear: Buffer, binding: string): Promise<Buffer | null> {
    return this.keyring.sealState(keys, clear, binding);
  }

  openState(keys: readonly SealedKey[], sealed: Buffer, binding: string): Promise<Buffer | null> {
    return this.keyring.openState(keys, sealed, binding);
  }

  private async decrypt(event: RecordedEvent): Promise<RecordedEvent> {
    const paths = this.policy.fieldsOf(event.type).filter((path) => isPersonalDataEnvelope(readPath(event.data, path)));
    // A field stored in clear (or null) passes through: nothing to decrypt, and nothing to hide that isn't already visible.
    if (paths.length === 0) return event;

    const subject = this.policy.subjectOf(event.streamId, event);
    const data = structuredClone(event.data);
    for (const path of paths) {
      const { $pii: envelope } = readPath(data, path) as PersonalDataEnvelope;
      const fail = (reason: string) => new PersonalDataIntegrityError(event.streamId, event.eventId, path, reason);
      const defect = envelopeDefect(envelope, subject);
      if (defect) throw fail(defect);
      const key = await this.keyring.decryptionKey(subject, envelope.kid);
      writePath(data, path, key === null ? null : openEnvelope(envelope, key, { subject, eventId: event.eventId, path }, fail));
    }
    return { ...event, data };
  }
}

const present = (value: unknown) => value !== undefined && value !== null;

/** Only called for paths that `readPath` found, so every parent exists. */
function writePath(data: unknown, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop() as string;
  let node = data as Record<string, unknown>;
  for (const part of parts) node = node[part] as Record<string, unknown>;
  node[last] = value;
}
