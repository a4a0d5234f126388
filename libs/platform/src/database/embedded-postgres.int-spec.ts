/**
 * Stopping the embedded PostgreSQL right after the app's pools have ended (the API's shutdown: the
 * app first, the database last). pg-pool's `end()` resolves once it has asked each connection to
 * close (Terminate written), not once the connection has closed. A server stopped at that moment
 * (fast shutdown) still has those sessions, ends them with FATAL 57P01 "terminating connection due
 * to administrator command", and the pool reports it as a connection error: an error-level line in
 * the log of a clean SIGTERM (CI, the embedded default's test, on a busy machine). The child holds
 * the sessions' server processes (SIGSTOP) for a moment so that it happens every time.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../../test/setup/postgres-server';
import { folderClosedToOthers } from './embedded-postgres';

const CHILD = join(__dirname, '..', '..', 'test', 'support', 'stop-after-pools-end.ts');
// As root the server runs as `postgres`, which must reach the binaries under node_modules (README).
const closedClone = process.getuid?.() === 0 ? folderClosedToOthers(join(process.cwd(), 'node_modules')) : undefined;

describe('the embedded PostgreSQL stopped right after pools end', () => {
  let home: string;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'embedded-stop-'));
    chmodSync(home, 0o711);
  });

  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('hands the app a URL through its Unix socket in the data directory, and lets the sessions still closing end before it stops: no pool sees "terminating connection due to administrator command" (as root in a clone others cannot enter: refuses, naming the folder)', async () => {
    const env = { ...process.env, DATA_DIR: join(home, 'data'), PORT: String(await freePort()), POOLS: '4', SLOW_MS: '300' };
    const child = promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD], { env, timeout: 120_000 });
    if (closedClone) {
      // The server could not reach its binaries: the refusal the README describes is what can be checked here.
      await expect(child).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`cannot enter ${closedClone}`) });
      return;
    }
    const { stdout } = await child;
    const { sessions, idle, errors, overSocket, socketDirectories } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      sessions: number;
      idle: number[];
      errors: string[];
      overSocket: boolean;
      socketDirectories: string;
    };
    expect({ sessions, idle }).toEqual({ sessions: 32, idle: [8, 8, 8, 8] }); // every connection open and idle when the pools ended
    expect(errors).toEqual([]);
    // The app's pools reach the server through its Unix socket, in its own data directory (not /tmp, not TCP).
    expect({ overSocket, socketDirectories }).toEqual({ overSocket: true, socketDirectories: `"${join(home, 'data', 'postgres')}"` });
  }, 150_000);
});
