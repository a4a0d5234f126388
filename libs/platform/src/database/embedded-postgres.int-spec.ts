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
const START_TWICE = join(__dirname, '..', '..', 'test', 'support', 'embedded-start-twice.ts');
// As root the server runs as `postgres`, which must reach the binaries under node_modules (README).
const closedClone = process.getuid?.() === 0 ? folderClosedToOthers(join(process.cwd(), 'node_modules')) : undefined;

describe('the embedded PostgreSQL stopped right after pools end', () => {
  let home: string;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'embedded-stop-'));
    chmodSync(home, 0o711);
  });

  afterAll(() => rmSync(home, { recursive: true, force: true }));

  /** Runs the child on DATA_DIR; undefined when, as root in a clone others cannot enter, it was refused as the README says. */
  const runChild = async (dataDir: string) => {
    const env = { ...process.env, DATA_DIR: dataDir, PORT: String(await freePort()), POOLS: '4', SLOW_MS: '300' };
    const child = promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD], { env, timeout: 120_000 });
    if (closedClone) {
      // The server could not reach its binaries: the refusal the README describes is what can be checked here.
      await expect(child).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`cannot enter ${closedClone}`) });
      return undefined;
    }
    const { stdout } = await child;
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { sessions: number; idle: number[]; errors: string[]; overSocket: boolean; socketDirectories: string };
  };

  it('hands the app a URL through its Unix socket in the data directory, and lets the sessions still closing end before it stops: no pool sees "terminating connection due to administrator command" (as root in a clone others cannot enter: refuses, naming the folder)', async () => {
    const seen = await runChild(join(home, 'data'));
    if (!seen) return;
    expect({ sessions: seen.sessions, idle: seen.idle }).toEqual({ sessions: 32, idle: [8, 8, 8, 8] }); // every connection open and idle when the pools ended
    expect(seen.errors).toEqual([]);
    // The app's pools reach the server through its Unix socket, in its own data directory (not /tmp, not TCP).
    expect({ overSocket: seen.overSocket, socketDirectories: seen.socketDirectories }).toEqual({ overSocket: true, socketDirectories: `"${join(home, 'data', 'postgres')}"` });
  }, 150_000);

  it('keeps to TCP on 127.0.0.1, with no socket anywhere, when the data directory is too deep for a socket address', async () => {
    const deep = join(home, 'a-data-directory-deep-enough'.repeat(4));
    const seen = await runChild(deep);
    if (!seen) return;
    expect(seen.errors).toEqual([]);
    expect({ overSocket: seen.overSocket, socketDirectories: seen.socketDirectories }).toEqual({ overSocket: false, socketDirectories: '' });
  }, 150_000);

  it("started twice at once on one data directory (two tools run together): one start succeeds, the other fails in the server's words; and a process that loaded the package keeps its exit code", async () => {
    const env = { ...process.env, DATA_DIR: join(home, 'twice'), PORT: String(await freePort()) };
    const child = promisify(execFile)(process.execPath, ['--import', 'tsx', START_TWICE], { env, timeout: 120_000 });
    if (closedClone) {
      await expect(child).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`cannot enter ${closedClone}`) });
      return;
    }
    // The child ends on its own with process.exitCode = 3: async-exit-hook's beforeExit listener made it 0.
    const failed = await child.then(
      () => undefined,
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );
    expect({ code: failed?.code, stderr: failed?.stderr }).toEqual({ code: 3, stderr: '' });
    const seen = JSON.parse(failed?.stdout?.trim().split('\n').pop() ?? '{}') as { started: number; failures: string[] };
    expect(seen.started).toBe(1);
    // Not "undefined": the package rejects with nothing when the server exits before it is ready.
    expect(seen.failures).toEqual([expect.stringMatching(/^the embedded PostgreSQL in .+ did not start: FATAL: .*postmaster\.pid/)]);
  }, 150_000);
});
