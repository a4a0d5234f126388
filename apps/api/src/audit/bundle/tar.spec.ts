import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeTarFiles, tarArchive, type TarFile, tarSize } from './tar';

describe('tarArchive', () => {
  it('writes an archive that tar lists and extracts byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-spec-'));
    try {
      const events = Buffer.from('{"a":1}\n{"b":"é"}\n');
      const big = Buffer.alloc(1300, 7); // spans blocks and needs padding
      const archive = tarArchive([
        { name: 'bundle.jsonl', content: events, mtime: new Date('2027-01-10T09:00:00Z') },
        { name: 'big.bin', content: big, mtime: new Date('2027-01-10T09:00:00Z') },
        { name: 'empty.txt', content: Buffer.alloc(0), mtime: new Date('2027-01-10T09:00:00Z') },
      ]);
      expect(archive.length % 512).toBe(0);
      const file = join(dir, 'out.tar');
      writeFileSync(file, archive);
      expect(execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n')).toEqual(['bundle.jsonl', 'big.bin', 'empty.txt']);
      execFileSync('tar', ['-xf', file, '-C', dir]);
      expect(readFileSync(join(dir, 'bundle.jsonl'))).toEqual(events);
      expect(readFileSync(join(dir, 'big.bin'))).toEqual(big);
      expect(readFileSync(join(dir, 'empty.txt')).length).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a name with a directory or longer than the header holds', () => {
    expect(() => tarArchive([{ name: 'a/b', content: Buffer.alloc(1), mtime: new Date() }])).toThrow('not supported');
    expect(() => tarArchive([{ name: 'x'.repeat(101), content: Buffer.alloc(1), mtime: new Date() }])).toThrow('not supported');
  });
});

describe('pipeTarFiles', () => {
  const mtime = new Date('2027-01-10T09:00:00Z');
  let dir: string;
  let files: TarFile[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tar-pipe-spec-'));
    const contents = [Buffer.from('{"a":1}\n'), Buffer.alloc(70_000, 3), Buffer.alloc(0), Buffer.alloc(512, 9), Buffer.from('x'), Buffer.from('y')];
    files = contents.map((content, n) => {
      const path = join(dir, `f${n}`);
      writeFileSync(path, content);
      return { name: `file-${n}`, path, size: content.length };
    });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams the files from disk as the same archive tarArchive builds, of tarSize bytes', async () => {
    const out = join(dir, 'out.tar');
    await pipeTarFiles(files, mtime, createWriteStream(out));
    const expected = tarArchive(files.map((file) => ({ name: file.name, content: readFileSync(file.path), mtime })));
    expect(readFileSync(out)).toEqual(expected);
    expect(tarSize(files)).toBe(expected.length);
  });

  it('leaves an HTTP response no more listeners for six files than for one (one pipeline per file left its own: Node warned of a leak)', async () => {
    const listenersAfter = async (archived: TarFile[]): Promise<Record<string, number>> => {
      let piped!: Promise<Record<string, number>>;
      const server = createServer((_req, res: ServerResponse) => {
        piped = pipeTarFiles(archived, mtime, res).then(() => Object.fromEntries(res.eventNames().map((event) => [String(event), res.listenerCount(event)])));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const bytes = await new Promise<number>((resolve, reject) => {
          get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (res) => {
            let length = 0;
            res.on('data', (chunk: Buffer) => (length += chunk.length));
            res.on('end', () => resolve(length));
          }).on('error', reject);
        });
        expect(bytes).toBe(tarSize(archived));
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      return piped;
    };
    const one = await listenersAfter(files.slice(0, 1));
    const six = await listenersAfter(files);
    expect(Object.keys(one).length).toBeGreaterThan(0);
    expect(six).toEqual(one);
  });
});
