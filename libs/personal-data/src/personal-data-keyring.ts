import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { PersonalDataKeyStore, StoredSubjectKey } from './personal-data-key-store';
import { deriveStateKey, openState, sealState, type StateKey } from './sealed-state';

const WRAP_FORMAT = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface KeyringOptions {
  /**
   * How long an unwrapped key (or the fact that it is erased) is trusted without asking the store.
   * Bounds how long another process may keep decrypting with a key erased elsewhere.
   */
  cacheTtlMs?: number;
  cacheMaxEntries?: number;
  now?: () => number;
}

interface CachedKey {
  keyId: string | null;
  /** `null`: erased (or never existed). */
  key: Buffer | null;
  expiresAt: number;
}

/**
 * Per-subject data keys, wrapped (AES-256-GCM) with the master key, with a small LRU/TTL cache of
 * unwrapped keys. Key material never leaves this class except to the codec, and is never logged.
 */
export class PersonalDataKeyring {
  private readonly masterKey: Buffer;
  private readonly cache = new Map<string, CachedKey>();
  private readonly forgetListeners = new Set<(subject: string) => void>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly store: PersonalDataKeyStore,
    masterKey: Buffer,
    options: KeyringOptions = {},
  ) {
    if (masterKey.length !== KEY_BYTES) throw new Error('The personal-data master key must be 32 bytes');
    this.masterKey = Buffer.from(masterKey);
    this.ttlMs = options.cacheTtlMs ?? 5_000;
    this.maxEntries = options.cacheMaxEntries ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The subject's live key, created if it has none (or only an erased one). Always asks the store,
   * so a key erased by another process is never used to encrypt new data.
   */
  async encryptionKey(subject: string): Promise<{ keyId: string; key: Buffer }> {
    let stored = await this.store.find(subject);
    if (!stored?.wrappedKey) {
      const keyId = randomUUID();
      const key = randomBytes(KEY_BYTES);
      stored = await this.store.createIfAbsent(subject, { keyId, wrappedKey: this.wrap(subject, keyId, key) });
    }
    const key = this.unwrapStored(subject, stored);
    if (!key) throw new Error(`No live personal-data key for ${subject}`);
    this.remember(subject, stored.keyId, key);
    return { keyId: stored.keyId, key };
  }

  /** The key a ciphertext was made with, or `null` if it has been erased. */
  async decryptionKey(subject: string, keyId: string): Promise<Buffer | null> {
    const cached = this.cache.get(subject);
    if (cached && cached.expiresAt > this.now() && cached.keyId === keyId) {
      this.cache.delete(subject); // LRU: most recently used last
      this.cache.set(subject, cached);
      return cached.key;
    }
    const stored = await this.store.find(subject);
    // Keys only move forward (a new key replaces an erased one), so a ciphertext whose key id is not
    // the subject's current one was made with a key that has been erased.
    const current = stored ? this.unwrapStored(subject, stored) : null;
    this.remember(subject, stored?.keyId ?? null, current);
    return stored?.keyId === keyId ? current : null;
  }

  /**
   * The live key of each subject, asked of the store every time (one query for all of them), never
   * of the cache: an answer opened with these keys can never show what another process has just
   * erased. `null`: the subject's key is erased, or it never had one.
   */
  async liveKeys(subjects: readonly string[]): Promise<Map<string, { keyId: string; key: Buffer } | null>> {
    const unique = [...new Set(subjects)];
    const stored = await this.store.findMany(unique);
    const keys = new Map<string, { keyId: string; key: Buffer } | null>();
    for (const subject of unique) {
      const row = stored.get(subject);
      const key = row ? this.unwrapStored(subject, row) : null;
      keys.set(subject, row && key ? { keyId: row.keyId, key } : null);
    }
    return keys;
  }

  /**
   * Seals a copy of data decrypted with these keys (a folded state) under a key derived from the
   * master key and all of them (sealed-state.ts), once the store shows every one still live; `null`
   * if any was erased meanwhile (the copy may hold what it protected: it must not be kept).
   */
  async sealState(keys: readonly { subject: string; keyId: string }[], clear: Buffer, binding: string): Promise<Buffer | null> {
    const stateKey = await this.stateKey(keys);
    return stateKey && sealState(stateKey, clear, binding);
  }

  /**
   * The clear copy, if every key it was sealed under is still live (asked of the store, never the
   * cache); `null` once any was erased. Throws SealedStateAltered for a copy that was changed.
   */
  async openState(keys: readonly { subject: string; keyId: string }[], sealed: Buffer, binding: string): Promise<Buffer | null> {
    const stateKey = await this.stateKey(keys);
    return stateKey && openState(stateKey, sealed, binding);
  }

  private async stateKey(keys: readonly { subject: string; keyId: string }[]): Promise<Buffer | null> {
    const live = keys.length > 0 ? await this.liveKeys(keys.map((key) => key.subject)) : new Map<string, { keyId: string; key: Buffer } | null>();
    const material: StateKey[] = [];
    for (const { subject, keyId } of keys) {
      const current = live.get(subject);
      if (current?.keyId !== keyId) return null;
      if (!material.some((known) => known.subject === subject && known.keyId === keyId)) material.push({ subject, keyId, key: current.key });
    }
    return deriveStateKey(this.masterKey, material);
  }

  /** Crypto-shreds the subject: destroys its key in the store and forgets it in this process. */
  async erase(subject: string, options?: { createdNoLaterThan?: Date }): Promise<boolean> {
    try {
      return await this.store.erase(subject, options);
    } finally {
      this.forget(subject);
    }
  }

  /** Drops the subject from this process's cache (e.g. on hearing it was erased elsewhere). */
  forget(subject: string): void {
    this.cache.delete(subject);
    for (const listener of this.forgetListeners) listener(subject);
  }

  /**
   * Called whenever a subject is forgotten (erased here, or heard to be erased elsewhere): whatever
   * else this process keeps decrypted (e.g. folded stream states) must be dropped with the key.
   */
  onForget(listener: (subject: string) => void): () => void {
    this.forgetListeners.add(listener);
    return () => this.forgetListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.store.close();
  }

  private remember(subject: string, keyId: string | null, key: Buffer | null): void {
    this.cache.delete(subject);
    this.cache.set(subject, { keyId, key, expiresAt: this.now() + this.ttlMs });
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }

  private unwrapStored(subject: string, stored: StoredSubjectKey): Buffer | null {
    return stored.wrappedKey ? this.unwrap(subject, stored.keyId, stored.wrappedKey) : null;
  }

  /** Binds the wrapped key to its subject and key id, so a wrapped key cannot be copied to another subject. */
  private wrapAad(subject: string, keyId: string): Buffer {
    return Buffer.from(`grant-ledger:pdk:v${WRAP_FORMAT}\0${subject}\0${keyId}`, 'utf8');
  }

  private wrap(subject: string, keyId: string, key: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(this.wrapAad(subject, keyId));
    const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([Buffer.from([WRAP_FORMAT]), iv, cipher.getAuthTag(), ciphertext]);
  }

  private unwrap(subject: string, keyId: string, wrapped: Buffer): Buffer {
    if (wrapped[0] !== WRAP_FORMAT || wrapped.length !== 1 + IV_BYTES + TAG_BYTES + KEY_BYTES) {
      throw new Error(`The personal-data key of ${subject} has an unknown format`);
    }
    const iv = wrapped.subarray(1, 1 + IV_BYTES);
    const tag = wrapped.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, iv);
    decipher.setAAD(this.wrapAad(subject, keyId));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(`The personal-data key of ${subject} cannot be unwrapped: wrong master key or altered key row`);
    }
  }
}
