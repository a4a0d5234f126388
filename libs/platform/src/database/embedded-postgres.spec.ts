import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderClosedToOthers } from './embedded-postgres';

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
