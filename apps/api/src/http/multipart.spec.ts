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

  it('a refusal before the file was read: discard() says nothing of a whole body', async () => {
    const upload = await send(`${head}%PDF-1.4 whole\r\n--xyz--\r\n`);
    expect(await upload.discard()).toBeUndefined();
  });
});
