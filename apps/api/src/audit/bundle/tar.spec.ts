import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarArchive } from './tar';

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
