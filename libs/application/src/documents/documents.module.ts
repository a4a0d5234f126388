import { Module } from '@nestjs/common';
import { BLOB_STORE } from '@app/documents/blob-store';
import { DocumentVault } from '@app/documents/document-vault';
import { DOCUMENT_PROVIDERS } from './documents.providers';

/** One blob store and one vault per process, for every area that carries documents (grants, proposals). */
@Module({
  providers: DOCUMENT_PROVIDERS,
  exports: [BLOB_STORE, DocumentVault],
})
export class DocumentsModule {}
