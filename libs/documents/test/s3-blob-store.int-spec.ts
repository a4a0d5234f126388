import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../src/s3-blob-store';
import { blobStoreContract } from './blob-store.contract';

/**
 * The same contract against an S3-compatible server, when one is named:
 * DOCUMENT_S3_TEST_ENDPOINT (e.g. http://127.0.0.1:9000 for MinIO), DOCUMENT_S3_TEST_BUCKET
 * (created if missing; default grant-ledger-contract), and the SDK's usual credentials
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Skipped otherwise, because this machine has no S3
 * server and the SDK would only time out; the PostgreSQL adapter runs the suite for real.
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
  describe('S3-compatible blob store contract', () => {
    it.skip('skipped: no S3 endpoint configured (set DOCUMENT_S3_TEST_ENDPOINT, e.g. a local MinIO, to run the blob store contract against it)', () => undefined);
  });
}
