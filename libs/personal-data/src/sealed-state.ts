import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * A copy of data decrypted with subjects' keys, kept outside the log (a folded stream state):
 * AES-256-GCM under a key derived (HKDF-SHA256) from the master key and every one of those data
 * keys, with a binding (what the copy is of) as additional authenticated data. It opens only while
 * every one of those keys is live: erasing any of them shreds the copy with the events, and an
 * altered copy (or one moved to another binding) does not open at all.
 */
export const SEALED_STATE_FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const SALT = Buffer.from(`grant-ledger:sealed-state:v${SEALED_STATE_FORMAT}`, 'utf8');

/** A data key a sealed state depends on, with its material. */
export interface StateKey {
  subject: string;
  keyId: string;
  key: Buffer;
}

/** The sealing key: one per set of data keys (in any order, each once), never stored. */
export function deriveStateKey(masterKey: Buffer, keys: readonly StateKey[]): Buffer {
  const sorted = [...keys].sort((a, b) => (a.subject === b.subject ? compare(a.keyId, b.keyId) : compare(a.subject, b.subject)));
  const material = Buffer.concat([masterKey, ...sorted.map((key) => key.key)]);
  // HKDF's info is at most 1,024 bytes: the list's digest, however many keys a state depends on.
  const info = createHash('sha256').update(sorted.map((key) => `${key.subject}\u0000${key.keyId}`).join('\n'), 'utf8').digest();
  return Buffer.from(hkdfSync('sha256', material, SALT, info, KEY_BYTES));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const aad = (binding: string) => Buffer.from(`grant-ledger:sealed-state:v${SEALED_STATE_FORMAT}\u0000${binding}`, 'utf8');

export function sealState(key: Buffer, clear: Buffer, binding: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(binding));
  const ciphertext = Buffer.concat([cipher.update(clear), cipher.final()]);
  return Buffer.concat([Buffer.from([SEALED_STATE_FORMAT]), iv, cipher.getAuthTag(), ciphertext]);
}

/** The clear bytes; throws SealedStateAltered when the copy, its format or its binding is not what was sealed. */
export function openState(key: Buffer, sealed: Buffer, binding: string): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== SEALED_STATE_FORMAT) throw new SealedStateAltered('unknown format');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES));
  decipher.setAAD(aad(binding));
  decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealedStateAltered('the ciphertext, its tag or its binding was altered');
  }
}

export class SealedStateAltered extends Error {
  constructor(reason: string) {
    super(`A sealed state does not open: ${reason}`);
    this.name = new.target.name;
  }
}
