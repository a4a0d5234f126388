import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { embeddedDatabaseUrl, embeddedSocketDirectory, folderClosedToOthers, socketsWork } from './embedded-postgres';

/** What `npm start` checks, as root, before the embedded PostgreSQL (run as "postgres") is initialised. */
describe('folderClosedToOthers', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'embedded-reach-')); // created 0700, as `mktemp -d` does
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names the first folder on the way that others cannot enter, even when the path does not exist yet', () => {
    mkdirSync(join(root, 'clone'), { mode: 0o755 });
    expect(folderClosedToOthers(join(root, 'clone', '.data', 'postgres'))).toBe(root);
    chmodSync(root, 0o711);
    chmodSync(join(root, 'clone'), 0o700);
    expect(folderClosedToOthers(join(root, 'clone', '.data', 'postgres'))).toBe(join(root, 'clone'));
  });

  it('names none when every folder on the way lets others through', () => {
    chmodSync(root, 0o755);
    mkdirSync(join(root, 'clone'), { mode: 0o755 });
    expect(folderClosedToOthers(join(root, 'clone', 'node_modules'))).toBeUndefined();
  });
});

/** Where the embedded server's Unix socket goes, and the URL the app's pools get for it. */
describe('the embedded socket', () => {
  /** How pg reads a URL (the Client only parses it here; it never connects). */
  const read = (url: string) => {
    const { host, port, database, user } = new Client({ connectionString: url });
    return { host, port, database, user };
  };

  it('is the data directory when the socket path fits in a socket address, with a URL pg reads as that directory and port', () => {
    const dir = '/home/ngo/grant ledger/.data/postgres';
    expect(embeddedSocketDirectory(dir, 54329)).toBe(dir);
    expect(read(embeddedDatabaseUrl(54329, 'grant_ledger', dir))).toEqual({ host: dir, port: 54329, database: 'grant_ledger', user: 'grant_ledger' });
    expect(new URL(embeddedDatabaseUrl(54329, 'grant_ledger', dir)).password).toBe('grant_ledger_local'); // a valid URL: the CLIs hide its password with URL
    expect(read(embeddedDatabaseUrl(54329, 'postgres'))).toEqual({ host: '127.0.0.1', port: 54329, database: 'postgres', user: 'grant_ledger' });
  });

  it('is none (TCP on 127.0.0.1 only) when the path is too long for a socket address (108 bytes) or holds a double quote', () => {
    const within = `/${'d'.repeat(107 - '/.s.PGSQL.54329.lock'.length - 1)}`; // the lock file's path: 107 bytes and its NUL
    expect(Buffer.byteLength(join(within, '.s.PGSQL.54329.lock'))).toBe(107);
    expect(embeddedSocketDirectory(within, 54329)).toBe(within);
    expect(embeddedSocketDirectory(`${within}d`, 54329)).toBeUndefined();
    expect(embeddedSocketDirectory('/srv/"quoted"/postgres', 54329)).toBeUndefined();
  });

  it('is probed for: a folder that takes a socket says so and is left as it was; one that cannot (here: missing) says not, so the server keeps to TCP', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'embedded-probe-'));
    try {
      expect(await socketsWork(folder)).toBe(true);
      expect(readdirSync(folder)).toEqual([]);
      expect(await socketsWork(join(folder, 'missing'))).toBe(false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
