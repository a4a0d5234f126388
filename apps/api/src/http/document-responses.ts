import { GoneException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { create as contentDisposition } from 'content-disposition';
import type { Response } from 'express';
import { DocumentErased, DocumentTooLarge, DocumentTypeNotAllowed } from '@app/documents/document-vault';
import { CommandResultDto } from './command-result.dto';

/** The answer to an upload: what was stored and recorded. */
export class DocumentAttachedDto extends CommandResultDto {
  @ApiProperty({ description: 'Id of the document: name it where it belongs (`documentIds`), download it under its record' })
  documentId: string;
  @ApiProperty({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', description: 'Lower-case hex SHA-256 of the bytes' })
  sha256: string;
  @ApiProperty({ example: 48213 }) sizeBytes: number;
  @ApiProperty({ example: 'application/pdf', description: 'Sniffed from the bytes, not taken from the request' })
  contentType: string;
}

export class DocumentDto {
  @ApiProperty() documentId: string;
  @ApiProperty({ type: String, nullable: true, example: 'interim-financial-report.pdf', description: "Personal data: `null` once the organisation's personal data was erased" })
  name: string | null;
  @ApiProperty({ example: 48213 }) sizeBytes: number;
  @ApiProperty({ example: 'application/pdf' }) contentType: string;
  @ApiProperty({ example: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }) sha256: string;
  @ApiProperty({ example: '2027-03-01T10:00:00.000Z' }) attachedAt: string;
}

export class DocumentListDto {
  @ApiProperty({ type: [DocumentDto] }) items: DocumentDto[];
}

export const UPLOAD_BODY_SCHEMA = { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description: 'The document' } } };

export function toDocumentDto(document: DocumentDto): DocumentDto {
  const { documentId, name, sizeBytes, contentType, sha256, attachedAt } = document;
  return { documentId, name, sizeBytes, contentType, sha256, attachedAt };
}

/** The vault's refusals as HTTP problems: too large 413, type not allowed 415, erased 410. */
export function documentProblem(error: unknown, allowedTypes: readonly string[]): unknown {
  if (error instanceof DocumentTooLarge) return new PayloadTooLargeException(error.message);
  if (error instanceof DocumentTypeNotAllowed) return new UnsupportedMediaTypeException(`${error.message}; accepted: ${allowedTypes.join(', ')}`);
  if (error instanceof DocumentErased) return new GoneException(error.message);
  return error;
}

/** The bytes, with the sniffed type, the name as an attachment and the recorded digest. */
export function sendDocument(res: Response, document: { documentId: string; name: string | null; contentType: string; sha256: string }, bytes: Buffer): void {
  res
    .status(200)
    .set({
      'Content-Type': document.contentType,
      'Content-Length': String(bytes.length),
      'Content-Disposition': contentDisposition(document.name ?? `document-${document.documentId}`),
      'Repr-Digest': `sha-256=:${Buffer.from(document.sha256, 'hex').toString('base64')}:`,
    })
    .end(bytes);
}

