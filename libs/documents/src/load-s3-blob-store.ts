import type { BlobStore } from './blob-store';
import type { S3BlobStoreOptions } from './s3-blob-store';

/**
 * The S3 adapter, loaded only when a deployment configures it: `@aws-sdk/client-s3` takes about a
 * second of CPU to load, which every start of the API, the worker and each test app would pay for
 * nothing on the default (PostgreSQL) storage.
 */
export async function loadS3BlobStore(options: S3BlobStoreOptions): Promise<BlobStore & { close(): void }> {
  const { S3BlobStore } = await import('./s3-blob-store.js');
  return new S3BlobStore(options);
}
