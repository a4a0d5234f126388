import { BadRequestException } from '@nestjs/common';
import type { Request } from 'express';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { readFileUpload, type FileUpload } from './multipart';

/**
 * The helper against real sockets: a body cut short, never closed or abandoned by its client must
 * fail the upload with a 400 (never an unhandled stream error, which would end the process), and
 * must never leave its consumer waiting.
 */
describe('readFileUpload: bodies that are not whole', () => {
  let server: Server;
  let port: number;
  let uploads: ((upload: Promise<FileUpload>) => void)[];

  beforeEach(async () => {
    uploads = [];
    server = createServer((req: IncomingMessage, res) => {
      const express = Object.assign(req, { header: (name: string) => req.headers[name.toLowerCase()] }) as unknown as Request;
      const upload = readFileUpload(express, { maxBytes: 1_000 });
      upload.catch(() => undefined);
      uploads.shift()?.(upload);
      res.on('error', () => undefined);
      setTimeout(() => res.end(), 200);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends `body` (all of it, or the first bytes of a longer declared one), then ends or drops the connection. */
  function send(body: string, options: { declared?: number; drop?: boolean } = {}): Promise<FileUpload> {
    const upload = new Promise<Promise<FileUpload>>((resolve) => uploads.push(resolve));
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=xyz\r\nContent-Length: ${options.declared ?? Buffer.byteLength(body)}\r\n\r\n${body}`);
    return upload.then(async (started) => {
      const got = await started;
      if (options.drop) setTimeout(() => socket.destroy(), 20);
      return got;
    });
  }

  const head = '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n';

  async function read(content: AsyncIterable<Buffer>): Promise<string> {
    let text = '';
    for await (const chunk of content) text += chunk.toString('latin1');
    return text;
  }

  it('gives the file of a whole body, ending once the body is parsed', async () => {
    const upload = await send(`${head}%PDF-1.4 whole\r\n--xyz--\r\n`);
    expect(upload.fileName).toBe('a.pdf');
    expect(await read(upload.content)).toBe('%PDF-1.4 whole');
  });

  it('a body cut short inside the file: 400 when read, and from discard() when nobody read it, with no unhandled error', async () => {
    const unread = await send(`${head}%PDF-1.4 trunc`);
    // Busboy fails the file stream while nobody reads it: an unhandled 'error' would end the process here.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await unread.discard()).toBeInstanceOf(BadRequestException);

    const consumed = await send(`${head}%PDF-1.4 trunc`);
    await expect(read(consumed.content)).rejects.toBeInstanceOf(BadRequestException);
  });

  it('a file part whole in a body never closed: the content fails rather than ending', async () => {
    const upload = await send(`${head}%PDF-1.4 whole\r\n--xyz`);
    await expect(read(upload.content)).rejects.toThrow('cut short');
  });

  it('a client that goes away mid-file: the content fails instead of waiting for the rest', async () => {
    const upload = await send(`${head}%PDF-1.4 the first half`, { declared: 5_000, drop: true });
    await expect(read(upload.content)).rejects.toBeInstanceOf(BadRequestException);
  });

  describe('the file name, as clients send it', () => {
    const named = async (disposition: string) => {
      const upload = await send(`--xyz\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\n\r\n%PDF-1.4 whole\r\n--xyz--\r\n`);
      await read(upload.content);
      return upload.fileName;
    };

    it('a name in UTF-8, as browsers and curl write it, is the name sent (busboy reads parameters as latin1 by default)', async () => {
      expect(await named('filename="نظام-أساسي-ريما.pdf"')).toBe('نظام-أساسي-ريما.pdf');
      expect(await named('filename="تقرير Omar.pdf"')).toBe('تقرير Omar.pdf');
      expect(await named('filename="Zoë Ağa.pdf"')).toBe('Zoë Ağa.pdf');
    });

    it('an RFC 8187 filename* is decoded in the charset it names', async () => {
      expect(await named("filename*=UTF-8''%D8%AA%D9%82%D8%B1%D9%8A%D8%B1.pdf")).toBe('تقرير.pdf');
      expect(await named("filename*=ISO-8859-1''Zo%EB.pdf")).toBe('Zoë.pdf');
    });

    it('the quote, CR and LF that a browser writes as %22, %0D and %0A are decoded; nothing else is', async () => {
      expect(await named('filename="report %22final%22.pdf"')).toBe('report "final".pdf');
      expect(await named('filename="100%25 %41.pdf"')).toBe('100%25 %41.pdf');
      expect(await named('filename="two%0D%0Alines.pdf"')).toBe('two  lines.pdf');
    });

    it('keeps the last path segment, and a name with nothing left is "document"', async () => {
      expect(await named('filename="C:\\\\Users\\\\rima\\\\statutes.pdf"')).toBe('statutes.pdf');
      expect(await named('filename="../../etc/pass%22wd.pdf"')).toBe('pass"wd.pdf');
      expect(await named('filename="  "')).toBe('document');
    });
  });

  it('a refusal before the file was read: discard() says nothing of a whole body', async () => {
    const upload = await send(`${head}%PDF-1.4 whole\r\n--xyz--\r\n`);
    expect(await upload.discard()).toBeUndefined();
  });
});
