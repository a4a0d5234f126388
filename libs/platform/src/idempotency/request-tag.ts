import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Idempotency request tags: which request a keyed command's effect in the log belongs to.
 *
 * A keyed command's events carry its key (EventMetadata.idempotencyKey) and this tag of the request
 * the key came with (method, URL, If-Match and body: the hash the guard compares stored answers
 * with). A command that finds an earlier effect of its key in the log answers with it only if the
 * tag is its own request's; another request's is a key reused (422). That holds on every route and
 * every store, and settles two requests sent at once with one key and different bodies, which the
 * answer table alone could not (the first answer is stored only after its effect).
 *
 * A keyed MAC, not the hash itself: the log is immutable and readable by auditors, and a plain hash
 * of a body would let anyone confirm a guessed body (an e-mail address, a name) even after its
 * subject is erased. The key is derived from the personal-data master key (HKDF, an info string of
 * its own), which already guards everything personal; 128 bits of tag.
 */
export function requestTagKey(piiMasterKeyBase64: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(piiMasterKeyBase64, 'base64'), Buffer.alloc(0), 'grant-ledger/idempotency-request-tag/v1', 32));
}

/** The tag of a request, from its hash (IdempotencyKeyGuard's request hash). */
export function requestTag(key: Buffer, requestHash: string): string {
  return createHmac('sha256', key).update(requestHash).digest().subarray(0, 16).toString('base64url');
}
