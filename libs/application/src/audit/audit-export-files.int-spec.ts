import { execFile, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type EventStore, type NewEvent, PostgresEventStore } from '@app/event-store';
import { chainHashOf, HashChainingEventStore } from '@app/event-store/hash-chain';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { callStreamName } from '@app/domain/call';
import { databaseOptions } from '../database-options';
import { poolAuditDb } from './audit-db';
import { type BundleManifest, exportAuditBundle, manifestPathOf } from './audit-export';
import { auditSigningKeyFromEnv } from './audit-signing-key';
import { sealEverything } from './audit-testing';
import { AuditSealer } from './sealer';

/**
 * How audit:export writes its files (the bundle's content is audit-export.int-spec.ts): each file to
 * a temporary file beside it, renamed into place when complete, so a failed or killed export leaves the
 * previous bundle verifying (or, killed between its two renames, a bundle the verifier checks against
 * the unfinished manifest); and an output path it cannot write refused with one line, exit 2.
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

  /**
   * Killed between its two renames (the events file renamed into place, the manifest not yet), an
   * export leaves the new events file, the previous manifest (or none) and the new manifest, complete,
   * in its temporary file. That state is built here from two whole exports, no kill timing involved:
   * the second one written under the same file name in another directory (the manifest records the
   * events file's base name), then its events file copied over the first and its manifest put where
   * the killed run had it. In a log of its own, sealed, so the seals are checked against that manifest.
   */
  describe('an export killed between its two renames', () => {
    const key = auditSigningKeyFromEnv({});
    const noteStream = callStreamName(randomUUID());
    /** Above Linux's PID_MAX_LIMIT (2^22): the writer is certainly gone, as after a kill. */
    const DEAD_PID = 4_194_304;
    let ledger: { db: TestDatabase; pool: Pool; store: HashChainingEventStore; sealer: AuditSealer };
    let noteVersion = -1;

    async function appendNotes(count: number): Promise<void> {
      const events = Array.from({ length: count }, (_, i) => event('CallNoteAdded', { n: noteVersion + 1 + i }));
      await ledger.store.append(noteStream, events, noteVersion < 0 ? 'no_stream' : noteVersion);
      noteVersion += count;
      await ledger.db.settled();
    }

    /** Sealed events, then one after the latest seal: a bundle with both. */
    async function grow(): Promise<void> {
      await appendNotes(3);
      await sealEverything(ledger.sealer, poolAuditDb(ledger.pool));
      await appendNotes(1);
    }

    const exportTo = (outFile: string) =>
      exportAuditBundle({ store: ledger.store, db: poolAuditDb(ledger.pool), key, target: { stream: noteStream }, outFile, now: new Date() });

    /** The state such a kill leaves at dir/b.jsonl; `previous`: a bundle was there before. */
    async function interruptedExport(previous: boolean) {
      const file = join(dir, 'b.jsonl');
      const manifestFile = manifestPathOf(file);
      const before = previous ? await exportTo(file) : undefined;
      await grow();
      mkdirSync(join(dir, 'next'));
      const written = join(dir, 'next', 'b.jsonl');
      const next = await exportTo(written);
      const unfinished = join(dir, `.b.jsonl.manifest.json.${DEAD_PID}-5eed1e55.tmp`);
      copyFileSync(written, file); // renamed into place
      renameSync(manifestPathOf(written), unfinished); // not yet
      rmSync(join(dir, 'next'), { recursive: true });
      return { file, manifestFile, unfinished, before, next };
    }

    const summaryOf = (stdout: string) => JSON.parse(stdout) as { ok: boolean; file: string; events: number; interruptedExport: string | null };
    const lines = (text: string) => text.trim().split('\n');

    beforeAll(async () => {
      const db = await createTestDatabase('export_interrupted');
      await (await new DataSource(databaseOptions(db.url)).initialize()).destroy();
      const pool = new Pool({ connectionString: db.url, max: 4 });
      pool.on('error', () => undefined);
      const store = new HashChainingEventStore(new PostgresEventStore({ pool }));
      ledger = { db, pool, store, sealer: new AuditSealer({ store, db: poolAuditDb(pool), signingKey: key, everyEvents: 3 }) };
      await grow();
    });

    afterAll(async () => {
      await ledger.store.close();
      await ledger.pool.end();
      await ledger.db.drop();
    });

    it('the verifier checks the new events file against the unfinished manifest, says so in one line, and passes it (exit 0, interruptedExport)', async () => {
      const { file, manifestFile, unfinished, before, next } = await interruptedExport(true);
      expect(next.events.count).toBeGreaterThan(before!.events.count);
      expect(next.seals.length).toBeGreaterThan(before!.seals.length);
      expect(next.unsealedEvents).toBe(1);
      const previousManifest = readFileSync(manifestFile);

      // Named by the events file or by its manifest (which is the previous one): the same diagnosis.
      for (const argument of [file, manifestFile]) {
        const result = await verifyBundle(argument);
        expect(result.code).toBe(0);
        expect(lines(result.stderr)).toEqual([
          `${file} was written by an export that was interrupted before its manifest was put in place: ` +
            `it is checked against that export's unfinished manifest ${unfinished}; ` +
            `re-running the export (or renaming that file to ${manifestFile}) completes the bundle.`,
        ]);
        expect(summaryOf(result.stdout)).toMatchObject({
          ok: true,
          file,
          interruptedExport: unfinished,
          events: next.events.count,
          streams: 1,
          sealedEvents: next.events.count - 1,
          unsealedEvents: 1,
          sealsVerified: next.seals.length,
        });
      }
      // It only reads.
      expect(readFileSync(manifestFile).equals(previousManifest)).toBe(true);
      expect(existsSync(unfinished)).toBe(true);

      // Doing what it says completes the bundle.
      renameSync(unfinished, manifestFile);
      const completed = await verifyBundle(file);
      expect(completed).toMatchObject({ code: 0, stderr: '' });
      expect(summaryOf(completed.stdout)).toMatchObject({ ok: true, interruptedExport: null, events: next.events.count });
    }, 60_000);

    it('the unfinished manifest is only a candidate: an event changed in the file is BUNDLE BROKEN against it too, whatever the forger recomputed', async () => {
      const { file, unfinished } = await interruptedExport(true);
      const manifest = JSON.parse(readFileSync(unfinished, 'utf8')) as BundleManifest;
      const original = readFileSync(file);
      const checkedAgainstIt = `${file} was written by an export that was interrupted before its manifest was put in place: it is checked against that export's unfinished manifest ${unfinished}.`;

      // One byte of an event changed: the file matches no manifest at all.
      const flipped = Buffer.from(original);
      const at = flipped.indexOf('CallNoteAdded') + 4;
      flipped[at] ^= 0x01;
      writeFileSync(file, flipped);
      const changed = await verifyBundle(file);
      expect(changed.code).toBe(1);
      expect(changed.stdout).toBe('');
      expect(lines(changed.stderr)).toEqual([expect.stringMatching(/^BUNDLE BROKEN: .*b\.jsonl does not match the manifest: .*\(the file was changed\)$/)]);

      // The forger also puts the changed file's sha256 in the unfinished manifest: it is taken, and the chain refuses the event.
      writeFileSync(unfinished, JSON.stringify({ ...manifest, events: { ...manifest.events, sha256: createHash('sha256').update(flipped).digest('hex') } }));
      const altered = await verifyBundle(file);
      expect(altered.code).toBe(1);
      expect(altered.stdout).toBe('');
      expect(lines(altered.stderr)).toEqual([
        checkedAgainstIt,
        expect.stringMatching(new RegExp(`^BUNDLE BROKEN: line 1 \\(stream ${noteStream} version 0, .*\\): altered — the event does not hash to its chain\\.hash$`)),
      ]);

      // And recomputes the stream's chain and head too: the signed seals refuse it.
      type Line = Parameters<typeof chainHashOf>[0] & { metadata: { chain: { prev: string; hash: string } } };
      const events = original.toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as Line);
      events[0].data = { n: 1000 };
      let prev = events[0].metadata.chain.prev;
      for (const line of events) {
        line.metadata.chain = { ...line.metadata.chain, prev, hash: chainHashOf(line, prev) };
        prev = line.metadata.chain.hash;
      }
      const text = events.map((line) => `${JSON.stringify(line)}\n`).join('');
      writeFileSync(file, text);
      writeFileSync(
        unfinished,
        JSON.stringify({
          ...manifest,
          events: { ...manifest.events, sha256: createHash('sha256').update(text).digest('hex') },
          streams: manifest.streams.map((stream) => ({ ...stream, headHash: prev })),
        }),
      );
      const forged = await verifyBundle(file);
      expect(forged.code).toBe(1);
      expect(forged.stdout).toBe('');
      expect(lines(forged.stderr)).toEqual([
        checkedAgainstIt,
        expect.stringMatching(/^BUNDLE BROKEN: line 1 .*: not covered by the manifest's seals although it precedes the latest seal \d+: it was changed after it was sealed$/),
      ]);
    }, 60_000);

    it('temporary files that are not the unfinished manifest of this events file leave the verdict as it was: the file was changed', async () => {
      const { file, manifestFile, unfinished, before } = await interruptedExport(true);
      const right = JSON.parse(readFileSync(unfinished, 'utf8')) as BundleManifest;
      rmSync(unfinished);
      const decoys: [string, string][] = [
        // An older export's manifest (another sha256), as a killed run might have left it.
        [`.b.jsonl.manifest.json.${DEAD_PID}-0000000a.tmp`, JSON.stringify(before)],
        // The right sha256, but for another events file.
        [`.b.jsonl.manifest.json.${DEAD_PID}-0000000b.tmp`, JSON.stringify({ ...right, events: { ...right.events, file: 'other.jsonl' } })],
        // Not a manifest: cut short, or of another format.
        [`.b.jsonl.manifest.json.${DEAD_PID}-0000000c.tmp`, JSON.stringify(right).slice(0, 200)],
        [`.b.jsonl.manifest.json.${DEAD_PID}-0000000d.tmp`, JSON.stringify({ ...right, format: 'grant-ledger-audit-bundle/0' })],
        // The right manifest under names no export of this bundle writes.
        ['.b.jsonl.manifest.json.tmp', JSON.stringify(right)],
        [`.b.jsonl.manifest.json.${DEAD_PID}-0000000E.tmp`, JSON.stringify(right)],
        [`b.jsonl.manifest.json.${DEAD_PID}-0000000f.tmp`, JSON.stringify(right)],
        [`.other.jsonl.manifest.json.${DEAD_PID}-00000010.tmp`, JSON.stringify(right)],
      ];
      for (const [name, content] of decoys) writeFileSync(join(dir, name), content);

      for (const argument of [file, manifestFile]) {
        const result = await verifyBundle(argument);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(lines(result.stderr)).toEqual([
          expect.stringMatching(/^BUNDLE BROKEN: .*b\.jsonl does not match the manifest: sha256 [0-9a-f]{64}, manifest says [0-9a-f]{64} \(the file was changed\)$/),
        ]);
      }

      // Among them, the one it was: that one is taken.
      writeFileSync(unfinished, JSON.stringify(right));
      const result = await verifyBundle(file);
      expect(result.code).toBe(0);
      expect(summaryOf(result.stdout)).toMatchObject({ ok: true, interruptedExport: unfinished, events: right.events.count });
    }, 60_000);

    it('a first export killed between its renames (no manifest yet) verifies against its unfinished manifest too; the next export completes it', async () => {
      const { file, manifestFile, unfinished, next } = await interruptedExport(false);
      expect(existsSync(manifestFile)).toBe(false);
      for (const argument of [file, manifestFile]) {
        const result = await verifyBundle(argument);
        expect(result.code).toBe(0);
        expect(lines(result.stderr)).toEqual([expect.stringContaining(`was interrupted before its manifest was put in place: it is checked against that export's unfinished manifest ${unfinished};`)]);
        expect(summaryOf(result.stdout)).toMatchObject({ ok: true, file, interruptedExport: unfinished, events: next.events.count });
      }

      // Re-running the export removes the dead run's temporary manifest and writes the bundle whole.
      await exportTo(file);
      expect(tempFilesIn(dir)).toEqual([]);
      const completed = await verifyBundle(file);
      expect(completed).toMatchObject({ code: 0, stderr: '' });
      expect(summaryOf(completed.stdout)).toMatchObject({ ok: true, interruptedExport: null, events: next.events.count });
    }, 60_000);
  });
});
