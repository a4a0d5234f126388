import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The envelope a personal field becomes in the log, and the only code that seals or opens one:
 * AES-256-GCM over the field's JSON under its subject's key, a fresh IV per field, and additional
 * authenticated data binding the ciphertext to its subject, event and field path. Used by the
 * EncryptingEventCodec (in and out of the log) and by the read side, which opens fields that read
 * models keep sealed (SealedPersonalData).
 */
export const ENVELOPE_VERSION = 1;
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

/** Where a ciphertext belongs; authenticated with it, so it cannot be moved to another subject, event or field. */
export interface EnvelopeBinding {
  subject: string;
  eventId: string;
  path: string;
}

function envelopeAad({ subject, eventId, path }: EnvelopeBinding): Buffer {
  return Buffer.from(`grant-ledger:pii:v${ENVELOPE_VERSION}\0${subject}\0${eventId}\0${path}`, 'utf8');
}

export function sealEnvelope(value: unknown, binding: EnvelopeBinding, key: { keyId: string; key: Buffer }): PersonalDataEnvelope {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(envelopeAad(binding));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return {
    $pii: { v: ENVELOPE_VERSION, subject: binding.subject, kid: key.keyId, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') },
  };
}

/**
 * Why an envelope cannot be opened for `subject` whatever the key: an unknown format, another
 * subject's envelope, no key id. `undefined` when it is well formed.
 */
export function envelopeDefect(envelope: PersonalDataEnvelope['$pii'], subject: string): string | undefined {
  if (envelope.v !== ENVELOPE_VERSION) return `unknown envelope version ${String(envelope.v)}`;
  if (envelope.subject !== subject) return 'the envelope belongs to another subject';
  if (typeof envelope.kid !== 'string') return 'the envelope names no key';
  return undefined;
}

/** The clear value; `fail(reason)` is thrown when the ciphertext, its tag or its binding was altered. */
export function openEnvelope(envelope: PersonalDataEnvelope['$pii'], key: Buffer, binding: EnvelopeBinding, fail: (reason: string) => Error): unknown {
  const iv = Buffer.from(String(envelope.iv), 'base64');
  const tag = Buffer.from(String(envelope.tag), 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw fail('malformed IV or tag');
  let clear: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(envelopeAad(binding));
    decipher.setAuthTag(tag);
    clear = Buffer.concat([decipher.update(Buffer.from(String(envelope.ct), 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw fail('the ciphertext, its tag or its binding to this event was altered');
  }
  return JSON.parse(clear) as unknown;
}

/** The value at a dot-separated path within an event's data; `undefined` when a part is missing. */
export function readPath(data: unknown, path: string): unknown {
  let node = data;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
