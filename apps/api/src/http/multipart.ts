import { BadRequestException, type HttpException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import busboy from 'busboy';
import type { Request } from 'express';

/** One file read from a multipart/form-data body, still streaming. */
export interface FileUpload {
  /** The client's file name (personal data: never logged). */
  fileName: string;
  /**
   * The file's bytes as they arrive; consume it exactly once. It ends only once the whole body was
   * parsed: a body that is cut short, malformed or aborted by the client fails it with a 400 instead,
   * so nothing is stored or recorded from a file that may be incomplete.
   */
  content: AsyncIterable<Buffer>;
  /**
   * Stops reading the file after a refusal, discarding whatever is left of the request. Resolves to
   * the body's own refusal (400: cut short or malformed) if it has one, which is the answer rather
   * than the command's: a command refused before it read the file (an unknown record: 404) says
   * nothing of a body that was not whole. When the whole request has already arrived, it is parsed to
   * its end first (the file's bytes dropped) to know; otherwise the rest is drained unread.
   */
  discard(): Promise<HttpException | undefined>;
}

/** Multipart framing, part headers and the other small fields allowed beside the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Reads the single file part named `field` of a multipart/form-data request, streaming: nothing is
 * buffered here, the caller consumes `content` (and counts its bytes: the part is cut one byte past
 * `maxBytes` so the consumer sees that it is too large). A declared Content-Length beyond the limit
 * is refused before a byte is read (413); a body that is not multipart is 415; a malformed body or
 * one without the file part is 400.
 *
 * Every stream here has an 'error' listener from the moment it exists: busboy fails the file stream
 * of a body cut short ("Unexpected end of form") whether or not anyone reads it yet, and an
 * unhandled stream error would end the process. A client that goes away mid-body fails the parser
 * too, so a consumer waiting for the rest of the file is released rather than left pending.
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
      // Parameters such as the file name in UTF-8, as browsers and curl send them (busboy's default,
      // latin1, stored an Arabic name as mojibake); a `filename*` (RFC 8187) names its own charset.
      parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fileSize: options.maxBytes + 1, fields: 4, fieldSize: 1024, parts: 5 } });
    } catch {
      req.resume();
      reject(new BadRequestException('The multipart/form-data body has no boundary'));
      return;
    }
    let settled = false;
    /** The body's own refusal, once known: before the file part it rejects the upload, after it fails `content`. */
    let failure: HttpException | undefined;
    // Settles when the parser has read the whole body (resolved) or given up on it (rejected). Handled
    // here once, so a rejection nobody awaits (the upload refused first) is not an unhandled one.
    const parsed = new Promise<void>((parsedWhole, parsedNot) => {
      parser.on('finish', parsedWhole);
      parser.on('error', parsedNot);
    });
    parsed.catch(() => undefined);
    const stop = () => {
      req.unpipe(parser);
      req.resume();
    };
    const fail = (error: HttpException) => {
      failure ??= error;
      if (settled) return;
      settled = true;
      stop();
      reject(error);
    };
    parser.on('file', (name, stream, info) => {
      stream.on('error', () => fail(cutShort()));
      if (name !== field || settled) {
        stream.resume();
        return;
      }
      const refusedName = fileNameProblem(info.filename);
      if (refusedName) {
        stream.resume();
        fail(new BadRequestException(refusedName));
        return;
      }
      settled = true;
      const fileName = uploadedFileName(info.filename);
      const content = async function* (): AsyncGenerator<Buffer> {
        try {
          for await (const chunk of stream) yield chunk as Buffer;
          await parsed;
        } catch {
          throw failure ?? cutShort();
        }
        if (failure) throw failure;
      };
      const discard = async (): Promise<HttpException | undefined> => {
        if (failure === undefined && req.complete && !stream.destroyed) {
          stream.resume();
          await parsed.catch(() => undefined);
        }
        stop();
        return failure;
      };
      resolve({ fileName, content: content(), discard });
    });
    parser.on('error', () => fail(cutShort()));
    parser.on('partsLimit', () => fail(new BadRequestException('Too many parts: send one file part')));
    // A second file part: refused, not dropped unseen (the upload then fails before anything is stored).
    parser.on('filesLimit', () => fail(new BadRequestException('Send one file per upload: this body has more than one file part')));
    parser.on('close', () => {
      if (!settled) fail(new BadRequestException(`The multipart/form-data body has no "${field}" file part`));
    });
    // The client went away before the whole body arrived: nothing more will come, so the parser is
    // failed (and with it the file stream), rather than left waiting for an end that never arrives.
    req.once('close', () => {
      if (!req.complete) parser.destroy(new Error('The request was aborted'));
    });
    req.pipe(parser);
  });
}

/**
 * The name of an uploaded file as its user gave it. A browser writes `"`, CR and LF of a name as
 * %22, %0D and %0A in a multipart/form-data part (the HTML standard's encoding; curl does the same),
 * so those three are decoded, nothing else (a name may hold a literal `%41`); then only the last
 * path segment is kept (some clients send a full path), and control characters, which no file
 * name shown in a list or a CSV should carry, become spaces.
 */
export function uploadedFileName(sent: string | undefined): string {
  const decoded = (sent ?? '').replace(/%(22|0d|0a)/gi, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
  const name = (decoded.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return name || 'document';
}

/**
 * Why a sent file name is refused, if it is: one that was not valid UTF-8 (busboy has put U+FFFD
 * for each bad byte, so the stored name would not be the user's), or one with a bidirectional
 * override or isolate (U+202A–U+202E, U+2066–U+2069), which can show `report` + U+202E + `fdp.exe` as
 * `reportexe.pdf`. The marks an Arabic name may carry (U+200E, U+200F, U+061C) are kept.
 */
export function fileNameProblem(sent: string | undefined): string | undefined {
  if (sent === undefined) return undefined;
  if (sent.includes('\uFFFD')) return 'The file name is not valid UTF-8: send it UTF-8 encoded (or as filename*=UTF-8\'\'…)';
  if (/[\u202A-\u202E\u2066-\u2069]/.test(sent)) return 'The file name holds a bidirectional override or isolate character, which can disguise its extension: rename the file';
  return undefined;
}

function cutShort(): HttpException {
  return new BadRequestException('The multipart/form-data body is malformed or cut short');
}
