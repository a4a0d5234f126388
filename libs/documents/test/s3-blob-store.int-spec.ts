import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3BlobStore } from '../src/s3-blob-store';
import { blobStoreContract } from './blob-store.contract';

/**
 * The blob store contract against an S3-compatible server over HTTP, with the SDK's own request
 * signing: DOCUMENT_S3_TEST_ENDPOINT when it names one (e.g. http://127.0.0.1:9000 for a MinIO;
 * DOCUMENT_S3_TEST_BUCKET, created if missing, default grant-ledger-contract; the SDK's usual
 * credentials), otherwise s3rver (an S3 server in Node, started here on a free port with its
 * objects in a temporary folder: S3's REST protocol, its XML errors and the SDK's path-style
 * requests for real; of the SDK's Signature Version 4 it checks the access key id, not the
 * signature itself, so credentials are tried against a real S3 or MinIO only). Until
 * 2026-12-07 this suite was skipped unless an endpoint was named, so the S3 adapter ran nowhere.
 */
const endpoint = process.env.DOCUMENT_S3_TEST_ENDPOINT;

if (endpoint) {
  blobStoreContract(`S3-compatible (${endpoint})`, async () => {
    const bucket = process.env.DOCUMENT_S3_TEST_BUCKET ?? 'grant-ledger-contract';
    const region = process.env.DOCUMENT_S3_TEST_REGION ?? 'us-east-1';
    const admin = new S3Client({ endpoint, region, forcePathStyle: true });
    await admin.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
      if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
    });
    admin.destroy();
    const store = new S3BlobStore({ endpoint, bucket, region, forcePathStyle: true, prefix: 'contract/' });
    return { store, close: async () => store.close() };
  });
} else {
  blobStoreContract('S3-compatible (s3rver)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'grant-ledger-s3-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: 'grant-ledger-contract', configs: [] }] });
    const { port } = (await server.run()) as AddressInfo;
    // s3rver's one account (its default credentials): a request signed with any other key is refused.
    const store = new S3BlobStore({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'grant-ledger-contract',
      region: 'us-east-1',
      forcePathStyle: true,
      prefix: 'contract/',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    return {
      store,
      close: async () => {
        await store.close();
        await server.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  });

  // The adapter signs with the credentials it is given, and a server that refuses them is an error (not "not found", not a null blob).
  it('a request with credentials the server does not know is refused, as an error, by every operation', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'grant-ledger-s3-'));
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: 'grant-ledger-contract', configs: [] }] });
    const { port } = (await server.run()) as AddressInfo;
    const store = new S3BlobStore({
      endpoint: `http://127.0.0.1:${port}`,
      bucket: 'grant-ledger-contract',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'NOT-AN-ACCOUNT', secretAccessKey: 'S3RVER' },
    });
    try {
      await expect(store.put('k', Buffer.from('x'))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
      await expect(store.get('k')).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
      await expect(store.delete('k')).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    } finally {
      await store.close();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
}
