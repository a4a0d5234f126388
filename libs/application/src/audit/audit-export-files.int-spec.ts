import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type EventStore, type NewEvent, PostgresEventStore } from '@app/event-store';
import { HashChainingEventStore } from '@app/event-store/hash-chain';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { callStreamName } from '@app/domain/call';
import { databaseOptions } from '../database-options';
import { poolAuditDb } from './audit-db';
import { exportAuditBundle } from './audit-export';
import { auditSigningKeyFromEnv } from './audit-signing-key';

/**
 * How audit:export writes its files (the bundle's content is audit-export.int-spec.ts): each file to
 * a temporary file beside it, renamed into place when complete, so a failed or killed export leaves the
 * previous bundle verifying; and an output path it cannot write refused with one line, exit 2.
 */
const ROOT = resolve(__dirname, '../../../..');
const VERIFIER = join(ROOT, 'scripts/verify-bundle.js');
const run = promisify(execFile);
/** tsx itself, not through npx: what `npm run audit:export` runs. */
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function outcome(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: ROOT, env, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

const verifyBundle = (file: string) => outcome(process.execPath, [VERIFIER, file]);
const CLI_ENV = { ...process.env, NODE_ENV: 'development' };
const exportCli = (args: string[]) => outcome(TSX, ['scripts/audit-export.ts', ...args], CLI_ENV);
const tempFilesIn = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

const event = (type: string, data: Record<string, unknown>): NewEvent => ({
  type,
  schemaVersion: 1,
  data,
  metadata: { eventId: randomUUID(), actorId: 'officer', actorRole: 'grant-manager', correlationId: 'corr', causationId: 'cause' },
});

describe('audit:export writes its bundle whole or not at all', () => {
  const callId = randomUUID();
  const stream = callStreamName(callId);
  let db: TestDatabase;
  let pool: Pool;
  let store: HashChainingEventStore;
  let version = -1;
  let dir: string;

  /** Appends `count` events to the call's stream (large ones make an export long enough to kill). */
  async function append(count: number, padding = 0): Promise<void> {
    for (let done = 0; done < count; ) {
      const batch = Math.min(500, count - done);
      const events = Array.from({ length: batch }, (_, i) => event('CallNoteAdded', { callId, n: done + i, note: 'x'.repeat(padding) }));
      await store.append(stream, events, version < 0 ? 'no_stream' : version);
      version += batch;
      done += batch;
    }
    await db.settled();
  }

  beforeAll(async () => {
    db = await createTestDatabase('export_files');
    await (await new DataSource(databaseOptions(db.url)).initialize()).destroy();
    pool = new Pool({ connectionString: db.url, max: 4 });
    pool.on('error', () => undefined);
    store = new HashChainingEventStore(new PostgresEventStore({ pool }));
    await append(5);
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-export-files-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  afterAll(async () => {
    await store.close();
    await pool.end();
    await db.drop();
  });

  it('a failure in the middle of a re-export leaves the previous bundle verifying, and no temporary file behind', async () => {
    const key = auditSigningKeyFromEnv({});
    const file = join(dir, 'b.jsonl');
    const first = await exportAuditBundle({ store, db: poolAuditDb(pool), key, target: { stream }, outFile: file, now: new Date(), pageSize: 2 });
    const before = await verifyBundle(file);
    expect(before.code).toBe(0);
    await append(3);

    // The log read fails after its first page, when the first events are written.
    let reads = 0;
    const failing = new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'readAll') return Reflect.get(target, property, receiver) as unknown;
        return async (...args: Parameters<EventStore['readAll']>) => {
          reads += 1;
          if (reads === 2) throw new Error('connection lost mid-export');
          return target.readAll(...args);
        };
      },
    });
    await expect(
      exportAuditBundle({ store: failing, db: poolAuditDb(pool), key, target: { stream }, outFile: file, now: new Date(), pageSize: 2 }),
    ).rejects.toThrow('connection lost mid-export');

    const after = await verifyBundle(file);
    expect(after).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, events: first.events.count });
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it('audit:export killed (SIGKILL) in the middle of a re-export leaves the previous bundle verifying; the next run cleans up', async () => {
    const file = join(dir, 'b.jsonl');
    await append(1500, 4000); // ~6 MB of events to write, read in pages of 1000
    const first = await exportCli(['--stream', stream, '--out', file, '--database-url', db.url]);
    expect(first.code).toBe(0);
    // One stream, said in the singular (it said "1 streams").
    expect(`${first.stdout}${first.stderr}`).toMatch(/events, 1 stream, \d+ unsealed\)/);
    const before = await verifyBundle(file);
    expect(before.code).toBe(0);
    const previous = JSON.parse(before.stdout) as { events: number };
    const previousSize = statSync(file).size;
    await append(1500, 4000);

    // Its own process group: tsx and the node process it starts to export are killed at once.
    const child = spawn(TSX, ['scripts/audit-export.ts', '--stream', stream, '--out', file, '--database-url', db.url], {
      cwd: ROOT,
      env: CLI_ENV,
      detached: true,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    // Killed once it writes: the events file touched (written in place), or a temporary file holding data.
    const writing = () =>
      statSync(file).size !== previousSize || tempFilesIn(dir).some((name) => (statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0) > 0);
    const deadline = Date.now() + 60_000;
    let exitedFirst = false;
    void exited.then(() => (exitedFirst = true));
    while (!writing() && !exitedFirst && Date.now() < deadline) await new Promise((done) => setTimeout(done, 5));
    expect(exitedFirst).toBe(false);
    process.kill(-child.pid!, 'SIGKILL');
    await exited;

    const after = await verifyBundle(file);
    expect(after.stderr).toBe('');
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, events: previous.events });
    // What the kill left: the temporary file it was writing, never the bundle's own files.
    expect(tempFilesIn(dir).length).toBeGreaterThan(0);

    const again = await exportCli(['--stream', stream, '--out', file, '--database-url', db.url]);
    expect(again.code).toBe(0);
    const now = await verifyBundle(file);
    expect(now.code).toBe(0);
    expect(JSON.parse(now.stdout)).toMatchObject({ ok: true, events: previous.events + 1500 });
    expect(tempFilesIn(dir)).toEqual([]);
  }, 180_000);

  it('an export that finds no events writes nothing: a previous bundle at that path stays as it was (exit 1)', async () => {
    const file = join(dir, 'b.jsonl');
    expect((await exportCli(['--stream', stream, '--out', file, '--database-url', db.url])).code).toBe(0);
    const bytes = readFileSync(file);
    const result = await exportCli(['--stream', callStreamName(randomUUID()), '--out', file, '--database-url', db.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/No events found .*: nothing written/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect((await verifyBundle(file)).code).toBe(0);
    expect(tempFilesIn(dir)).toEqual([]);
  }, 60_000);

  it.each([
    ['a missing directory', () => join(dir, 'nonexistent', 'x.jsonl'), /: the directory .*nonexistent does not exist$/],
    ['a directory', () => dir, /: .* is a directory$/],
    ['a directory named with a trailing slash', () => `${dir}/`, /: that is a directory; name the events file/],
    ['a path under a file', () => (writeFileSync(join(dir, 'plain'), ''), join(dir, 'plain', 'x.jsonl')), /: .*plain is not a directory$/],
    ['a manifest path that is a directory', () => (mkdirSync(join(dir, 'y.jsonl.manifest.json')), join(dir, 'y.jsonl')), /manifest\.json is a directory$/],
  ])('--out %s is refused with one line and exit 2, before the database is opened', async (_, out, reason) => {
    const target = out();
    const result = await exportCli(['--stream', stream, '--out', target, '--database-url', db.url]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    // One line: no stack trace, and not the line naming the database (it was never opened).
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`audit:export: cannot write the bundle to ${target}`);
    expect(lines[0]).toMatch(reason);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(tempFilesIn(dir)).toEqual([]);
  }, 60_000);

  (process.getuid?.() === 0 ? it.skip : it)('--out in a directory it may not write is refused with one line and exit 2 (not as root)', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    const result = await exportCli(['--stream', stream, '--out', join(locked, 'x.jsonl'), '--database-url', db.url]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^audit:export: cannot write the bundle to .*x\.jsonl: cannot create files in .*locked \(permission denied\)$/);
  }, 60_000);
});
