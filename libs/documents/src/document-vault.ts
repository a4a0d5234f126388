import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import type { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import type { BlobStore } from './blob-store';

/** What the vault learnt of a stored document: what the attaching event records. */
export interface StoredDocument {
  /** Lower-case hex SHA-256 of the clear bytes: the content address. */
  sha256: string;
  sizeBytes: number;
  /** Sniffed from the bytes (magic numbers), never taken from the client's Content-Type or file name. */
  contentType: string;
}

export interface DocumentVaultOptions {
  /** Larger documents are refused (DocumentTooLarge) as soon as the byte past the limit arrives. */
  maxBytes: number;
  /** MIME types accepted, as `file-type` names them. */
  allowedTypes: readonly string[];
}

/**
 * What the attaching event (GrantDocumentAttached, ProposalDocumentAttached) recorded of a document,
 * as the codec read it back: its content address, and its name, which was encrypted with the same
 * subject key as its bytes.
 */
export interface RecordedDocument {
  sha256: string;
  /** `null` once the key it was encrypted with is erased: the document's own key is gone. */
  name: string | null;
}

/** The upload is larger than DOCUMENT_MAX_BYTES (HTTP 413). */
export class DocumentTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`The document is larger than ${maxBytes} bytes`);
  }
}

/** The bytes are not of an allowed type (HTTP 415); `detected` is what the magic numbers say, if anything. */
export class DocumentTypeNotAllowed extends Error {
  constructor(readonly detected: string | undefined) {
    super(detected ? `Documents of type ${detected} are not accepted` : 'The document\'s type could not be recognised from its content');
  }
}

/** The subject's key was destroyed: the document is crypto-shredded (HTTP 410). */
export class DocumentErased extends Error {
  constructor() {
    super('The document was erased with the personal data of its organisation');
  }
}

/** Nothing is stored under the document's address, or the stored bytes are not the recorded ones. */
export class DocumentUnavailable extends Error {}

const FORMAT = 1;
const KEY_ID_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + IV_BYTES;
/** What file-type reads at most to recognise a type. */
const SNIFF_BYTES = 4_100;

/**
 * Documents encrypted with the personal-data key of their subject (the organisation owning the
 * record) and stored content-addressed. The upload is consumed as a stream: each chunk is hashed
 * and encrypted as it arrives (AES-256-GCM, a fresh IV per blob, the subject and key id as
 * additional authenticated data), the type is sniffed from the first bytes, and the upload is
 * refused at the first byte past the limit. Erasing the subject's key (crypto-shredding) makes
 * every blob of the subject unreadable at once, in any store and in every backup.
 *
 * Blob layout: format byte, key id (16 bytes, a UUID), IV (12 bytes), ciphertext, GCM tag (16 bytes).
 */
export class DocumentVault {
  constructor(
    private readonly store: BlobStore,
    private readonly keyring: PersonalDataKeyring,
    readonly options: DocumentVaultOptions,
  ) {}

  async put(subject: string, source: AsyncIterable<Buffer>): Promise<StoredDocument> {
    const { keyId, key } = await this.keyring.encryptionKey(subject);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(subject, keyId));
    const hash = createHash('sha256');
    const parts: Buffer[] = [Buffer.from([FORMAT]), uuidBytes(keyId), iv];
    let head: Buffer = Buffer.alloc(0);
    let contentType: string | undefined;
    let sizeBytes = 0;
    for await (const chunk of source) {
      sizeBytes += chunk.length;
      if (sizeBytes > this.options.maxBytes) throw new DocumentTooLarge(this.options.maxBytes);
      if (contentType === undefined && head.length < SNIFF_BYTES) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= SNIFF_BYTES) contentType = await this.sniff(head);
      }
      hash.update(chunk);
      parts.push(cipher.update(chunk));
    }
    contentType ??= await this.sniff(head);
    parts.push(cipher.final(), cipher.getAuthTag());
    const sha256 = hash.digest('hex');
    await this.store.put(blobKey(subject, sha256), Buffer.concat(parts));
    return { sha256, sizeBytes, contentType };
  }

  /**
   * The clear bytes, checked against their SHA-256. A document recorded under a key since erased
   * (its name reads `null`) is erased for good, whatever its address holds now: the address is the
   * content's, not the key's, so the same bytes uploaded again after the erasure (for a new document,
   * or by a command then refused) are stored there anew under the subject's new key, which must not
   * open the old document.
   */
  async get(subject: string, document: RecordedDocument): Promise<Buffer> {
    if (document.name === null) throw new DocumentErased();
    const { sha256 } = document;
    const blob = await this.store.get(blobKey(subject, sha256));
    if (blob === null || blob.length < HEADER_BYTES + TAG_BYTES || blob[0] !== FORMAT) throw new DocumentUnavailable(`No document ${sha256} is stored`);
    const keyId = uuidString(blob.subarray(1, 1 + KEY_ID_BYTES));
    const key = await this.keyring.decryptionKey(subject, keyId);
    if (key === null) throw new DocumentErased();
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1 + KEY_ID_BYTES, HEADER_BYTES));
    decipher.setAAD(aad(subject, keyId));
    decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    let clear: Buffer;
    try {
      clear = Buffer.concat([decipher.update(blob.subarray(HEADER_BYTES, blob.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new DocumentUnavailable(`The stored document ${sha256} was altered`);
    }
    if (createHash('sha256').update(clear).digest('hex') !== sha256) throw new DocumentUnavailable(`The stored document does not match ${sha256}`);
    return clear;
  }

  private async sniff(head: Buffer): Promise<string> {
    const detected = (await fileTypeFromBuffer(head))?.mime;
    if (detected === undefined || !this.options.allowedTypes.includes(detected)) throw new DocumentTypeNotAllowed(detected);
    return detected;
  }
}

/** The content address of a subject's document. */
export function blobKey(subject: string, sha256: string): string {
  return `${subject}/${sha256}`;
}

function aad(subject: string, keyId: string): Buffer {
  return Buffer.from(`grant-ledger:document:v${FORMAT}\0${subject}\0${keyId}`, 'utf8');
}

function uuidBytes(uuid: string): Buffer {
  const bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex');
  if (bytes.length !== KEY_ID_BYTES) throw new Error('A personal-data key id is a UUID');
  return bytes;
}

function uuidString(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
