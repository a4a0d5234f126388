/**
 * Where document bytes live: a port with two adapters, PostgreSQL (the default: no setup) and an
 * S3-compatible bucket. What it stores is already encrypted (see DocumentVault): an adapter never
 * sees a clear byte, so neither the table files, the WAL, backups nor the bucket hold one.
 *
 * Keys are content addresses chosen by the vault (`<subject>/<sha256 of the clear bytes>`): the same
 * file uploaded twice for the same subject is stored once. An address is not tied to a key: the same
 * bytes uploaded after the subject's erasure replace the shredded blob with one under the new key,
 * so what keeps an erased document erased is its record (DocumentVault.get), never the blob.
 */
export interface BlobStore {
  /** Stores (or replaces) the blob under `key`. Idempotent. */
  put(key: string, bytes: Buffer): Promise<void>;
  /** The blob, or `null` if nothing is stored under `key`. */
  get(key: string): Promise<Buffer | null>;
  /** Removes the blob; `false` if there was none. */
  delete(key: string): Promise<boolean>;
}

export const BLOB_STORE = Symbol('BLOB_STORE');
