import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { EventStore, RecordedEvent } from '@app/event-store';
import { processIsRunning } from '@app/platform/runtime/process-alive';
import { linkTargetOf } from '@app/event-store/hash-chain';
import { callStreamName } from '@app/domain/call';
import { GRANT_STREAM_PREFIX } from '@app/domain/grant';
import { PROPOSAL_STREAM_PREFIX } from '@app/domain/proposal';
import type { AuditDb } from './audit-db';
import { eventDigest, storedEventRecord } from './audit-digest';
import { type AuditSeal, loadSeals } from './audit-seals';
import type { AuditVerificationKey } from './audit-signing-key';

/**
 * Export bundle for external auditors: FILE (JSON Lines, one stored event per line, exactly as the
 * store holds it — personal fields stay ciphertext) and FILE.manifest.json. scripts/verify-bundle.js
 * checks a bundle offline with nothing but Node.
 *
 * A bundle holds whole streams, so their chains are checkable from version 0. Seals fold the whole
 * global log, which a bundle does not carry; instead, for every seal interval that contains an
 * exported event, the manifest lists the digests of all events of that interval (a digest reveals
 * nothing of an event). Folding them from the previous seal's hash must give the next seal's hash,
 * both seals' signatures must verify, and each exported event's digest must be among them: that
 * proves offline that the exported events are exactly those sealed in the log. Events after the
 * latest seal are reported as unsealed (their stream chain is all that vouches for them); the
 * verifier refuses an unsealed event whose position sorts before the latest seal's (positions of
 * both adapters are fixed-width, zero-padded strings). A bundle cannot prove it is fresh: compare
 * its latest seal with the ledger's (/audit/verify) to know nothing was sealed since.
 *
 * Each file of a bundle is written to a temporary file beside it (`.<name>.<pid>-<random>.tmp`),
 * flushed to disk (fsync) and only then renamed over the file it replaces, the events file first and
 * the manifest last, then the directory is flushed: a bundle at a path is the previous complete one
 * or the new complete one, never a half-written file read as tampered evidence — but for a run killed
 * between the two renames, which leaves the new events file beside the previous manifest (or none)
 * and the new manifest, complete, in its temporary file: scripts/verify-bundle.js finds that file
 * (named after the manifest, naming the events file, holding its sha256), says the export was
 * interrupted, and checks the bundle against it in full. A run that fails removes its temporary
 * files; one that is killed leaves them, and the next export to that path removes those whose
 * process is gone (and writes the bundle anew).
 */
export const AUDIT_BUNDLE_FORMAT = 'grant-ledger-audit-bundle/1';

export type ExportTarget = { stream: string } | { call: string };

export interface BundleSegment {
  /** The seal the interval starts after; null: the start of the log. */
  fromSeal: number | null;
  toSeal: number;
  /** Digest of every event of the interval, in log order. */
  digests: string[];
}

export interface BundleManifest {
  format: typeof AUDIT_BUNDLE_FORMAT;
  createdAt: string;
  subject: ExportTarget;
  events: { file: string; count: number; sha256: string };
  streams: { streamId: string; count: number; lastVersion: number; headHash: string }[];
  seals: AuditSeal[];
  segments: BundleSegment[];
  unsealedEvents: number;
  /** The log's latest seal when exported: events not covered by a seal must all come after it. */
  latestSealSeq: number | null;
  publicKey: { keyId: string; pem: string; devKey: boolean };
  algorithms: Record<string, string>;
}

export interface ExportAuditBundleOptions {
  store: EventStore;
  db: AuditDb;
  key: AuditVerificationKey;
  target: ExportTarget;
  outFile: string;
  now: Date;
  pageSize?: number;
  /**
   * false: an export that finds no events leaves the files at outFile as they were (writes nothing).
   * Default true: it writes a bundle without events (which the verifier refuses).
   */
  writeWhenEmpty?: boolean;
}

/** A path the bundle cannot be written to: a missing directory, a directory, no permission. */
export class BundleOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleOutputError';
  }
}

/** The temporary file a bundle file is written to, beside it (same directory: the rename stays atomic). */
function tempPathOf(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

const TEMP_NAME = /^\.(.+)\.(\d+)-[0-9a-f]{8}\.tmp$/;

function processAlive(pid: number): boolean {
  return !(pid > 0) || pid === process.pid || processIsRunning(pid);
}

/**
 * Removes the temporary files a killed export left for these files (ours are named after them and
 * carry the writer's pid); those of a process still running are left alone. Best effort.
 */
export async function removeStaleTempFiles(files: readonly string[]): Promise<void> {
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const dir = dirname(resolve(file));
    byDir.set(dir, (byDir.get(dir) ?? new Set()).add(basename(file)));
  }
  for (const [dir, names] of byDir) {
    let entries: string[];
    try {
      entries = await readdir(dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const match = TEMP_NAME.exec(entry);
      if (!match || !names.has(match[1]) || processAlive(Number(match[2]))) continue;
      await unlink(join(dir, entry)).catch(() => undefined);
    }
  }
}

function reasonOf(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    default:
      return message;
  }
}

/**
 * Refuses, with a one-line reason, an output path a bundle cannot be written to: its directory
 * missing or not a directory, one of the bundle's files an existing directory, or no file can be
 * created in the directory. Cheap, so a command checks it before it reads the log; `alsoFiles`: other
 * files written beside it (the verifier).
 */
export async function checkBundleOutput(outFile: string, alsoFiles: readonly string[] = []): Promise<void> {
  const refuse = (reason: string): never => {
    throw new BundleOutputError(`cannot write the bundle to ${outFile}: ${reason}`);
  };
  if (outFile.endsWith('/') || outFile.endsWith('\\')) refuse('that is a directory; name the events file, e.g. DIR/bundle.jsonl');
  const dir = dirname(resolve(outFile));
  try {
    if (!(await stat(dir)).isDirectory()) refuse(`${dir} is not a directory`);
  } catch (error) {
    if (error instanceof BundleOutputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    refuse(code === 'ENOENT' ? `the directory ${dir} does not exist` : code === 'ENOTDIR' ? `${dir} is not a directory` : `${dir}: ${reasonOf(error)}`);
  }
  for (const file of [outFile, manifestPathOf(outFile), ...alsoFiles]) {
    const found = await stat(file).catch(() => undefined);
    if (found?.isDirectory()) refuse(`${file} is a directory`);
  }
  // Only creating a file tells (permissions, ACLs, a read-only mount, root's exemptions).
  const probe = tempPathOf(resolve(outFile));
  try {
    await (await open(probe, 'wx')).close();
  } catch (error) {
    refuse(`cannot create files in ${dir} (${reasonOf(error)})`);
  }
  await unlink(probe).catch(() => undefined);
}

/** A bundle file being written: a temporary file beside it until commit renames it into place. */
class PendingFile {
  private chunks: string[] = [];
  private buffered = 0;
  private constructor(
    readonly file: string,
    readonly temp: string,
    private handle: FileHandle | undefined,
  ) {}

  static async create(file: string): Promise<PendingFile> {
    const temp = tempPathOf(file);
    try {
      return new PendingFile(file, temp, await open(temp, 'wx', 0o666));
    } catch (error) {
      throw new BundleOutputError(`cannot write the bundle to ${file}: cannot create ${temp} (${reasonOf(error)})`);
    }
  }

  async write(text: string): Promise<void> {
    this.chunks.push(text);
    this.buffered += text.length;
    if (this.buffered >= 1 << 20) await this.flush();
  }

  async writeBytes(data: Buffer): Promise<void> {
    await this.flush();
    await this.writeAll(data);
  }

  /** Everything written and on disk; the file is not in place yet. */
  async finish(): Promise<void> {
    await this.flush();
    const handle = this.handle!;
    this.handle = undefined;
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async commit(): Promise<void> {
    await rename(this.temp, this.file);
  }

  /** Gives up: the temporary file goes, the file it was to replace stays as it was. */
  async discard(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
    await unlink(this.temp).catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.chunks.length === 0) return;
    const data = Buffer.from(this.chunks.join(''), 'utf8');
    this.chunks = [];
    this.buffered = 0;
    await this.writeAll(data);
  }

  private async writeAll(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) offset += (await this.handle!.write(data, offset)).bytesWritten;
  }
}

/** The renames themselves durable: the directory's entries flushed (not possible everywhere; best effort). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // e.g. Windows, where a directory cannot be opened for fsync.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export function manifestPathOf(eventsFile: string): string {
  return `${eventsFile}.manifest.json`;
}

/** Streams that belong to a call: the call's own, and every proposal and grant naming it. */
async function streamsOf(store: EventStore, target: ExportTarget, pageSize: number): Promise<Set<string>> {
  if ('stream' in target) return new Set([target.stream]);
  const streams = new Set([callStreamName(target.call)]);
  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ after, maxCount: pageSize, filter: { streamPrefixes: [PROPOSAL_STREAM_PREFIX, GRANT_STREAM_PREFIX] } });
    for (const event of page) {
      // callId is a plain reference in ProposalDrafted and GrantAwarded, never personal data.
      if ((event.data as { callId?: unknown } | null)?.callId === target.call) streams.add(event.streamId);
      after = event.position;
    }
    if (page.length < pageSize) return streams;
  }
}

export async function exportAuditBundle(options: ExportAuditBundleOptions): Promise<BundleManifest> {
  const { outFile } = options;
  const pageSize = options.pageSize ?? 1000;
  const manifestFile = manifestPathOf(outFile);
  // Before the log is read: a path that cannot be written fails at once.
  await checkBundleOutput(outFile);
  await removeStaleTempFiles([outFile, manifestFile]);
  const events = await PendingFile.create(outFile);
  let manifestOut: PendingFile | undefined;
  try {
    const manifest = await writeBundle(options, pageSize, events);
    if (manifest.events.count === 0 && options.writeWhenEmpty === false) {
      await events.discard();
      return manifest;
    }
    manifestOut = await PendingFile.create(manifestFile);
    await manifestOut.write(`${JSON.stringify(manifest, null, 2)}\n`);
    await manifestOut.finish();
    // Both complete and on disk before either is renamed; events first, manifest last (the manifest
    // is what makes a bundle: without the new one, a reader takes the previous one). Killed between
    // the two, the new events file lies beside the previous manifest and manifestOut's temporary
    // file: verify-bundle.js recognises that (the temporary manifest names the file and holds its
    // sha256), says so and checks the file against it, rather than calling the file changed.
    await events.commit();
    await manifestOut.commit();
    await syncDirectory(dirname(resolve(outFile)));
    return manifest;
  } catch (error) {
    await events.discard();
    await manifestOut?.discard();
    throw error;
  }
}

/** Reads the log and writes the events file's temporary file (finished: on disk); returns the manifest. */
async function writeBundle(options: ExportAuditBundleOptions, pageSize: number, out: PendingFile): Promise<BundleManifest> {
  const { store, db, key, target, outFile } = options;
  const wanted = await streamsOf(store, target, pageSize);
  const seals = (await loadSeals(db)).sort((a, b) => a.eventCount - b.eventCount);

  const fileHash = createHash('sha256');
  const write = async (line: string) => {
    fileHash.update(line, 'utf8');
    await out.write(line);
  };
  const streams = new Map<string, { streamId: string; count: number; lastVersion: number; headHash: string }>();
  const segments: BundleSegment[] = [];
  let segmentDigests: string[] = [];
  let segmentWanted = false;
  let sealIndex = 0;
  let exported = 0;
  let unsealed = 0;

  const endSegment = () => {
    if (segmentWanted) segments.push({ fromSeal: seals[sealIndex - 1]?.seq ?? null, toSeal: seals[sealIndex].seq, digests: segmentDigests });
    segmentDigests = [];
    segmentWanted = false;
    sealIndex += 1;
  };

  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ after, maxCount: pageSize });
    for (const event of page) {
      after = event.position;
      // A seal's interval ends at the seal's position, whatever the count there: in a log changed
      // since (an event deleted or inserted before it) the interval then holds fewer or more digests
      // than the seal counts, which verify-bundle.js reports as such. (Until 2026-12-07 it ended at the
      // seal's count, which a deletion made it never reach: the intervals from there on were left
      // out, and the verifier reported an untouched event as changed.) A seal whose own event is gone
      // ends before the first event past its position.
      while (seals[sealIndex] && event.position > seals[sealIndex].position) endSegment();
      const seal = seals[sealIndex];
      if (seal) segmentDigests.push(eventDigest(event));
      if (wanted.has(event.streamId)) {
        await write(`${JSON.stringify(storedEventRecord(event))}\n`);
        exported += 1;
        track(streams, event);
        if (seal) segmentWanted = true;
        else unsealed += 1;
      }
      if (seal && event.position === seal.position) endSegment();
    }
    if (page.length < pageSize) break;
  }
  await out.finish();

  const latestSeal = seals.at(-1);
  const usedSeals = new Set([...segments.flatMap((segment) => [segment.fromSeal, segment.toSeal]), latestSeal?.seq]);
  return {
    format: AUDIT_BUNDLE_FORMAT,
    createdAt: options.now.toISOString(),
    subject: target,
    events: { file: basename(outFile), count: exported, sha256: fileHash.digest('hex') },
    streams: [...streams.values()].sort((a, b) => a.streamId.localeCompare(b.streamId)),
    seals: seals.filter((seal) => usedSeals.has(seal.seq)),
    segments,
    unsealedEvents: unsealed,
    latestSealSeq: latestSeal?.seq ?? null,
    publicKey: { keyId: key.keyId, pem: key.publicKeyPem, devKey: key.devKey },
    algorithms: {
      canonicalJson: 'RFC 8785 (JCS) key order and number/string forms',
      chainHash: 'sha256(canonicalJson({streamId, streamVersion, eventId, type, schemaVersion, data, metadata minus chain and recordedAt, prev}))',
      eventDigest: 'sha256(canonicalJson(the JSONL line))',
      globalHash: 'h_0 = 64 zeros; h_n = sha256(bytes(h_{n-1}) || bytes(eventDigest_n))',
      sealSignature: "Ed25519 over 'grant-ledger-audit-seal/v1\\n' + canonicalJson({chainHash, createdAt, eventCount, keyId, position})",
    },
  };
}

/** Copies a file into place as the bundle's files are written: a temporary file beside it, fsync, rename. */
export async function copyFileIntoPlace(from: string, to: string): Promise<void> {
  await removeStaleTempFiles([to]);
  const content = await readFile(from);
  const pending = await PendingFile.create(to);
  try {
    await pending.writeBytes(content);
    await pending.finish();
    await pending.commit();
  } catch (error) {
    await pending.discard();
    throw error;
  }
  await syncDirectory(dirname(resolve(to)));
}

function track(streams: Map<string, { streamId: string; count: number; lastVersion: number; headHash: string }>, event: RecordedEvent): void {
  const entry = streams.get(event.streamId) ?? { streamId: event.streamId, count: 0, lastVersion: -1, headHash: '' };
  entry.count += 1;
  entry.lastVersion = event.streamVersion;
  entry.headHash = linkTargetOf(event);
  streams.set(event.streamId, entry);
}
