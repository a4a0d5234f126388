import { BadRequestException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';

/** One file read from a multipart/form-data body, still streaming. */
export interface FileUpload {
  /** The client's file name (personal data: never logged). */
  fileName: string;
  /** The file's bytes as they arrive; consume it exactly once. */
  content: Readable;
  /** Stops reading the request (after a refusal), discarding whatever is left of it. */
  discard(): void;
}

/** Multipart framing, part headers and the other small fields allowed beside the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Reads the single file part named `field` of a multipart/form-data request, streaming: nothing is
 * buffered here, the caller consumes `content` (and counts its bytes: the part is cut one byte past
 * `maxBytes` so the consumer sees that it is too large). A declared Content-Length beyond the limit
 * is refused before a byte is read (413); a body that is not multipart is 415; a malformed body or
 * one without the file part is 400.
 */
export function readFileUpload(req: Request, options: { maxBytes: number; field?: string }): Promise<FileUpload> {
  const field = options.field ?? 'file';
  const declared = Number(req.header('content-length'));
  if (Number.isFinite(declared) && declared > options.maxBytes + MULTIPART_OVERHEAD_BYTES) {
    req.resume();
    return Promise.reject(new PayloadTooLargeException(`A document may be at most ${options.maxBytes} bytes`));
  }
  if (!/^multipart\/form-data\b/i.test(req.header('content-type') ?? '')) {
    req.resume();
    return Promise.reject(new UnsupportedMediaTypeException(`Upload the document as multipart/form-data with a "${field}" part`));
  }
  return new Promise<FileUpload>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: options.maxBytes + 1, fields: 4, fieldSize: 1024, parts: 5 } });
    } catch {
      req.resume();
      reject(new BadRequestException('The multipart/form-data body has no boundary'));
      return;
    }
    let settled = false;
    const discard = () => {
      req.unpipe(parser);
      req.resume();
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      discard();
      reject(error);
    };
    parser.on('file', (name, stream, info) => {
      if (name !== field || settled) {
        stream.resume();
        return;
      }
      settled = true;
      // Only the last path segment: some clients send a full path.
      const fileName = (info.filename ?? '').split(/[\\/]/).pop()?.trim() || 'document';
      resolve({ fileName, content: stream, discard });
    });
    parser.on('error', () => fail(new BadRequestException('The multipart/form-data body is malformed')));
    parser.on('partsLimit', () => fail(new BadRequestException('Too many parts: send one file part')));
    parser.on('close', () => fail(new BadRequestException(`The multipart/form-data body has no "${field}" file part`)));
    req.pipe(parser);
  });
}
