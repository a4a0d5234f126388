export * from './blob-store';
export * from './document-blobs.migration';
export * from './document-vault';
export * from './postgres-blob-store';
export * from './s3-blob-store';
