import { loadS3BlobStore } from '../src/load-s3-blob-store';
import { S3BlobStore } from '../src/s3-blob-store';

describe('the S3 adapter, loaded on demand', () => {
  it('is the S3 blob store, configured as asked', async () => {
    const store = await loadS3BlobStore({ bucket: 'documents', region: 'eu-central-1', forcePathStyle: true, endpoint: 'http://127.0.0.1:9' });
    try {
      expect(store).toBeInstanceOf(S3BlobStore);
    } finally {
      store.close();
    }
  });
});
