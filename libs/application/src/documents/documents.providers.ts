import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { BLOB_STORE, type BlobStore } from '@app/documents/blob-store';
import { DocumentVault } from '@app/documents/document-vault';
import { PostgresBlobStore } from '@app/documents/postgres-blob-store';
import { loadS3BlobStore } from '@app/documents/load-s3-blob-store';

/** Where documents go, by configuration: PostgreSQL (default, the application's pool) or an S3-compatible bucket. */
export async function createBlobStore(config: AppConfig['documents'], dataSource: DataSource): Promise<BlobStore> {
  if (config.storage === 's3' && config.s3) return loadS3BlobStore(config.s3);
  return new PostgresBlobStore(dataSource);
}

@Injectable()
class BlobStoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(BLOB_STORE) private readonly store: BlobStore) {}
  onApplicationShutdown(): void {
    if ('close' in this.store && typeof this.store.close === 'function') this.store.close();
  }
}

export const DOCUMENT_PROVIDERS: Provider[] = [
  {
    provide: BLOB_STORE,
    useFactory: (config: AppConfig, dataSource: DataSource) => createBlobStore(config.documents, dataSource),
    inject: [APP_CONFIG, DataSource],
  },
  {
    provide: DocumentVault,
    useFactory: (store: BlobStore, keyring: PersonalDataKeyring, config: AppConfig) =>
      new DocumentVault(store, keyring, { maxBytes: config.documents.maxBytes, allowedTypes: config.documents.allowedTypes }),
    inject: [BLOB_STORE, PersonalDataKeyring, APP_CONFIG],
  },
  BlobStoreLifecycle,
];
