import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
/**
 * A POSIX ustar archive of a few regular files (whole, or header and padding around streamed content): what one HTTP answer needs to carry the
 * audit bundle's files (events, manifest, offline verifier) as `npm run audit:export` writes them.
 * Names up to 100 bytes, no directories; `tar -xf` reads it.
 */
export interface TarEntry {
  name: string;
  content: Buffer;
  mtime: Date;
}

/** A file on disk to archive, with its size (known before: the answer's Content-Length counts it). */
export interface TarFile {
  name: string;
  path: string;
  size: number;
}

const BLOCK = 512;

/** The archive's size in bytes: a header block per file, its content padded to whole blocks, the end. */
export function tarSize(files: readonly Pick<TarFile, 'size'>[]): number {
  return files.reduce((total, file) => total + BLOCK + file.size + tarPadding(file.size).length, TAR_END.length);
}

/**
 * Streams files on disk as one archive into `out` (ended after it), never holding a file whole.
 * One pipeline for the whole archive: piping each file with `end: false` left that pipeline's
 * listeners on `out`, and an HTTP response carrying three files made Node warn of a leak.
 */
export async function pipeTarFiles(files: readonly TarFile[], mtime: Date, out: NodeJS.WritableStream): Promise<void> {
  async function* archive(): AsyncGenerator<Buffer> {
    for (const file of files) {
      yield tarHeader(file.name, file.size, mtime);
      for await (const chunk of createReadStream(file.path)) yield chunk as Buffer;
      const padding = tarPadding(file.size);
      if (padding.length > 0) yield padding;
    }
    yield TAR_END;
  }
  await pipeline(archive, out);
}

export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) parts.push(tarHeader(entry.name, entry.content.length, entry.mtime), entry.content, tarPadding(entry.content.length));
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

/** The zeros after a file's content, up to the next 512-byte block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** End of archive: two empty blocks. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

/** The header block of one regular file (written before its content, so content can be streamed). */
export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  return header({ name, size, mtime });
}

function header(entry: { name: string; size: number; mtime: Date }): Buffer {
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length === 0 || name.length > 100 || entry.name.includes('/')) throw new Error(`tar entry name not supported: ${entry.name}`);
  const block = Buffer.alloc(BLOCK);
  name.copy(block, 0);
  octal(block, 100, 8, 0o644); // mode
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, entry.size);
  octal(block, 136, 12, Math.floor(entry.mtime.getTime() / 1000));
  block.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  block.write('0', 156, 'ascii'); // regular file
  block.write('ustar\u000000', 257, 'binary');
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  block.write(`${checksum.toString(8).padStart(6, '0')}\u0000 `, 148, 'binary');
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, 'ascii');
}
