import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { PersonalDataKeys1764000150000, PostgresPersonalDataKeyStore, PersonalDataKeyring } from '@app/personal-data';
import { DocumentBlobs1764001500000 } from '../src/document-blobs.migration';
import { blobKey, DocumentErased, DocumentTooLarge, DocumentTypeNotAllowed, DocumentUnavailable, DocumentVault } from '../src/document-vault';
import { PostgresBlobStore } from '../src/postgres-blob-store';

const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% quarterly budget, Tunis\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');

/** A document as its attaching event records it, with its name readable (its key live). */
const recorded = (sha256: string) => ({ sha256, name: 'quarterly-budget.pdf' });

async function* chunks(bytes: Buffer, size = 7): AsyncIterable<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('DocumentVault over PostgreSQL: encrypted with the subject key, content-addressed, shredded with the key', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let keyring: PersonalDataKeyring;
  let blobs: PostgresBlobStore;
  let vault: DocumentVault;

  beforeAll(async () => {
    db = await createTestDatabase('vault');
    dataSource = await new DataSource({ type: 'postgres', url: db.url, migrations: [PersonalDataKeys1764000150000, DocumentBlobs1764001500000], migrationsRun: true }).initialize();
    keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(db.url), randomBytes(32), { cacheTtlMs: 0 });
    blobs = new PostgresBlobStore(dataSource);
    vault = new DocumentVault(blobs, keyring, { maxBytes: 1_000, allowedTypes: ['application/pdf'] });
  });

  afterAll(async () => {
    await keyring.close();
    await dataSource.destroy();
    await db.drop();
  });

  it('stores ciphertext under <subject>/<sha256> and reads back the clear bytes', async () => {
    const stored = await vault.put('organisation-a', chunks(PDF));
    expect(stored).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), sizeBytes: PDF.length, contentType: 'application/pdf' });
    const blob = await blobs.get(blobKey('organisation-a', stored.sha256));
    expect(blob?.includes(Buffer.from('quarterly budget'))).toBe(false);
    expect(Buffer.compare(await vault.get('organisation-a', recorded(stored.sha256)), PDF)).toBe(0);
  });

  it('sniffs the type from the first bytes, even when they arrive one byte at a time', async () => {
    expect((await vault.put('organisation-a', chunks(PDF, 1))).contentType).toBe('application/pdf');
    await expect(vault.put('organisation-a', chunks(Buffer.from('GIF89a-and-more-bytes')))).rejects.toBeInstanceOf(DocumentTypeNotAllowed);
  });

  it('refuses a document one byte past the limit, and accepts one at the limit', async () => {
    const atLimit = Buffer.concat([PDF, Buffer.alloc(1_000 - PDF.length, 0x20)]);
    expect((await vault.put('organisation-a', chunks(atLimit, 100))).sizeBytes).toBe(1_000);
    await expect(vault.put('organisation-a', chunks(Buffer.concat([atLimit, Buffer.from(' ')]), 100))).rejects.toBeInstanceOf(DocumentTooLarge);
  });

  it('cannot be read as another subject, and detects altered bytes', async () => {
    const { sha256 } = await vault.put('organisation-b', chunks(PDF));
    await expect(vault.get('organisation-c', recorded(sha256))).rejects.toBeInstanceOf(DocumentUnavailable);
    // A blob copied under another subject's address does not open under that subject's key.
    const blob = (await blobs.get(blobKey('organisation-b', sha256))) as Buffer;
    await vault.put('organisation-c', chunks(PDF));
    await blobs.put(blobKey('organisation-c', sha256), blob);
    await expect(vault.get('organisation-c', recorded(sha256))).rejects.toThrow();
    const altered = Buffer.from(blob);
    altered[altered.length - 20] ^= 1;
    await blobs.put(blobKey('organisation-b', sha256), altered);
    await expect(vault.get('organisation-b', recorded(sha256))).rejects.toBeInstanceOf(DocumentUnavailable);
  });

  it('an erased subject key makes its documents unreadable for good; a new upload gets a new key', async () => {
    const { sha256 } = await vault.put('organisation-d', chunks(PDF));
    await keyring.erase('organisation-d');
    await expect(vault.get('organisation-d', recorded(sha256))).rejects.toBeInstanceOf(DocumentErased);
    // The same content uploaded after the erasure is encrypted under the subject's new key.
    await vault.put('organisation-d', chunks(PDF));
    expect(Buffer.compare(await vault.get('organisation-d', recorded(sha256)), PDF)).toBe(0);
  });

  it('a document recorded before the erasure stays erased when the same bytes are stored again under the new key', async () => {
    const { sha256 } = await vault.put('organisation-e', chunks(PDF));
    const before = await blobs.get(blobKey('organisation-e', sha256));
    await keyring.erase('organisation-e');
    // What the codec reads of the old document's event now: its name, under the erased key, is gone.
    const erased = { sha256, name: null };
    await expect(vault.get('organisation-e', erased)).rejects.toBeInstanceOf(DocumentErased);
    // The same bytes again (a new document, or a command refused after the bytes were stored): the
    // content address now holds them under the new key...
    await vault.put('organisation-e', chunks(PDF));
    const after = await blobs.get(blobKey('organisation-e', sha256));
    expect(after?.subarray(1, 17).equals((before as Buffer).subarray(1, 17))).toBe(false);
    // ...which opens the new document, never the erased one.
    expect(Buffer.compare(await vault.get('organisation-e', recorded(sha256)), PDF)).toBe(0);
    await expect(vault.get('organisation-e', erased)).rejects.toBeInstanceOf(DocumentErased);
    // Nor does a blob still under the erased key open for a document whose name reads: the key is gone.
    await blobs.put(blobKey('organisation-e', sha256), before as Buffer);
    await expect(vault.get('organisation-e', recorded(sha256))).rejects.toBeInstanceOf(DocumentErased);
  });
});
