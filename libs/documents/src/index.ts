export * from './blob-store';
export * from './document-blobs.migration';
export * from './document-vault';
export * from './postgres-blob-store';
export { loadS3BlobStore } from './load-s3-blob-store';
export type { S3BlobStoreOptions } from './s3-blob-store';
