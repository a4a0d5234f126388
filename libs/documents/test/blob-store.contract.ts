import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../src/blob-store';

/**
 * One suite for every BlobStore adapter: what the document vault relies on. Each test works under a
 * key prefix of its own, so a shared bucket or table is fine.
 */
export function blobStoreContract(name: string, setup: () => Promise<{ store: BlobStore; close(): Promise<void> }>): void {
  describe(`${name}: the blob store contract`, () => {
    let store: BlobStore;
    let close: () => Promise<void>;
    const prefix = `contract-${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      ({ store, close } = await setup());
    });

    afterAll(async () => {
      await close?.();
    });

    it('gives back exactly the bytes stored under a key', async () => {
      const bytes = randomBytes(70_000);
      await store.put(`${prefix}/a`, bytes);
      const got = await store.get(`${prefix}/a`);
      expect(got).not.toBeNull();
      expect(Buffer.compare(got as Buffer, bytes)).toBe(0);
    });

    it('answers null for a key never stored', async () => {
      expect(await store.get(`${prefix}/never`)).toBeNull();
    });

    // The vault relies on it: the same content stored again after an erasure replaces the shredded blob.
    it('replaces the blob when the same key is stored again (idempotent put)', async () => {
      await store.put(`${prefix}/b`, Buffer.from('first'));
      await store.put(`${prefix}/b`, Buffer.from('second'));
      expect((await store.get(`${prefix}/b`))?.toString()).toBe('second');
      await store.put(`${prefix}/b`, Buffer.from('second'));
      expect((await store.get(`${prefix}/b`))?.toString()).toBe('second');
    });

    it('keeps keys apart, including keys that share a prefix', async () => {
      await store.put(`${prefix}/organisation-1/abc`, Buffer.from('one'));
      await store.put(`${prefix}/organisation-1/abcd`, Buffer.from('two'));
      expect((await store.get(`${prefix}/organisation-1/abc`))?.toString()).toBe('one');
      expect((await store.get(`${prefix}/organisation-1/abcd`))?.toString()).toBe('two');
    });

    it('deletes a blob once: true, then false, and it is gone', async () => {
      await store.put(`${prefix}/c`, Buffer.from('to delete'));
      expect(await store.delete(`${prefix}/c`)).toBe(true);
      expect(await store.get(`${prefix}/c`)).toBeNull();
      expect(await store.delete(`${prefix}/c`)).toBe(false);
    });

    it('stores an empty blob and binary bytes unchanged', async () => {
      await store.put(`${prefix}/empty`, Buffer.alloc(0));
      expect((await store.get(`${prefix}/empty`))?.length).toBe(0);
      const binary = Buffer.from([0, 255, 0, 1, 0x7f, 0x80]);
      await store.put(`${prefix}/binary`, binary);
      expect(Buffer.compare((await store.get(`${prefix}/binary`)) as Buffer, binary)).toBe(0);
    });
  });
}
