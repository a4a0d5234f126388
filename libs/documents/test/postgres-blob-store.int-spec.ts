import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { DocumentBlobs1764001500000 } from '../src/document-blobs.migration';
import { PostgresBlobStore } from '../src/postgres-blob-store';
import { blobStoreContract } from './blob-store.contract';

blobStoreContract('PostgreSQL (document_blobs)', async () => {
  const db: TestDatabase = await createTestDatabase('blobs');
  const dataSource = await new DataSource({ type: 'postgres', url: db.url, migrations: [DocumentBlobs1764001500000], migrationsRun: true }).initialize();
  return {
    store: new PostgresBlobStore(dataSource),
    async close() {
      await dataSource.destroy();
      await db.drop();
    },
  };
});
