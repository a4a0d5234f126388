import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EventMetadata, NewEvent, RecordedEvent } from '@app/event-store';
import type { DomainEvent, EventCodec, SchemaRegistry } from '../event-codec';
import { PersonalDataIntegrityError } from './personal-data.errors';
import type { PersonalDataKeyring } from './personal-data-keyring';
import type { PersonalDataPolicy } from './personal-data.policy';

const ENVELOPE_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a personal field looks like in the log: AES-256-GCM ciphertext of its JSON, under the subject's key. */
export interface PersonalDataEnvelope {
  $pii: {
    v: number;
    subject: string;
    /** Which of the subject's keys (a new key replaces an erased one). */
    kid: string;
    iv: string;
    ct: string;
    tag: string;
  };
}

export function isPersonalDataEnvelope(value: unknown): value is PersonalDataEnvelope {
  if (typeof value !== 'object' || value === null || !('$pii' in value)) return false;
  const inner = (value as { $pii: unknown }).$pii;
  return typeof inner === 'object' && inner !== null;
}

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

    const subject = this.policy.subjectOf(streamId);
    const { keyId, key } = await this.keyring.encryptionKey(subject);
    // A copy: the caller's domain event keeps its clear values.
    const data = structuredClone(event.data);
    for (const path of personal) {
      writePath(data, path, seal(readPath(data, path), { subject, keyId, key, aad: aad(subject, metadata.eventId, path) }));
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

  private async decrypt(event: RecordedEvent): Promise<RecordedEvent> {
    const paths = this.policy.fieldsOf(event.type).filter((path) => isPersonalDataEnvelope(readPath(event.data, path)));
    // A field stored in clear (or null) passes through: nothing to decrypt, and nothing to hide that isn't already visible.
    if (paths.length === 0) return event;

    const subject = this.policy.subjectOf(event.streamId);
    const data = structuredClone(event.data);
    for (const path of paths) {
      const { $pii: envelope } = readPath(data, path) as PersonalDataEnvelope;
      const fail = (reason: string) => new PersonalDataIntegrityError(event.streamId, event.eventId, path, reason);
      if (envelope.v !== ENVELOPE_VERSION) throw fail(`unknown envelope version ${String(envelope.v)}`);
      if (envelope.subject !== subject) throw fail('the envelope belongs to another subject');
      if (typeof envelope.kid !== 'string') throw fail('the envelope names no key');
      const key = await this.keyring.decryptionKey(subject, envelope.kid);
      writePath(data, path, key === null ? null : open(envelope, key, aad(subject, event.eventId, path), fail));
    }
    return { ...event, data };
  }
}

function aad(subject: string, eventId: string, path: string): Buffer {
  return Buffer.from(`grant-ledger:pii:v${ENVELOPE_VERSION}\0${subject}\0${eventId}\0${path}`, 'utf8');
}

function seal(value: unknown, k: { subject: string; keyId: string; key: Buffer; aad: Buffer }): PersonalDataEnvelope {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(k.aad);
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return {
    $pii: { v: ENVELOPE_VERSION, subject: k.subject, kid: k.keyId, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') },
  };
}

function open(envelope: PersonalDataEnvelope['$pii'], key: Buffer, additionalData: Buffer, fail: (reason: string) => Error): unknown {
  const iv = Buffer.from(String(envelope.iv), 'base64');
  const tag = Buffer.from(String(envelope.tag), 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw fail('malformed IV or tag');
  let clear: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(additionalData);
    decipher.setAuthTag(tag);
    clear = Buffer.concat([decipher.update(Buffer.from(String(envelope.ct), 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw fail('the ciphertext, its tag or its binding to this event was altered');
  }
  return JSON.parse(clear) as unknown;
}

const present = (value: unknown) => value !== undefined && value !== null;

function readPath(data: unknown, path: string): unknown {
  let node = data;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Only called for paths that `readPath` found, so every parent exists. */
function writePath(data: unknown, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop() as string;
  let node = data as Record<string, unknown>;
  for (const part of parts) node = node[part] as Record<string, unknown>;
  node[last] = value;
}
