import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EventStore, EventStoreSelection } from '@app/event-store';
import { GENESIS_HASH, HashChainingEventStore } from '@app/event-store/hash-chain';
import { PostgresEventStore } from '@app/event-store/postgres/postgres-event-store';
import type { AuditDb } from './audit-db';
import { eventFactsPage, eventFactsPageFromText, type EventFactsView, factsView, GLOBAL_GENESIS_HASH, LINK_BYTES, nextGlobalHashBytes, sameHash, unpackEventFacts } from './audit-digest';
import { type AuditSeal, loadSeals } from './audit-seals';
import { type AuditVerificationKey, sealSignatureValid } from './audit-signing-key';
import type { PageAnswer, PageRequest, ReaderFailure, ReaderWorkerData } from './verify-reader.worker';

/**
 * Recomputes the audit trail from the log and reports the first broken link, in global order.
 *
 * - Per stream: versions run 0, 1, 2, … in the global order; each event's chain.hash recomputes
 *   over its stored content and its chain.prev is the previous event's chain.hash.
 * - Globally: the running hash (audit-digest.ts) over every event equals each seal's chain_hash
 *   when the seal's event count is reached, at the seal's position; each seal's Ed25519 signature
 *   verifies with the configured public key; seals in seq order cover strictly growing prefixes.
 *
 * Memory: a few pages of events (read ahead while the current one is checked), the seals, and
 * per stream only its last version and hash — bounded by the number of streams, not of events.
 *
 * Speed: the work per event that needs no order — parsing, canonical JSON (an event's data once,
 * shared by both hashes), the chain hash and the global digest — is done a page at a time into
 * EventFactsPage columns; only the running hash and the checks that follow the log's order
 * (versions, links, seals) run in order, over those facts. With `readers`, worker threads do that
 * unordered part, each reading slices of the log between seals with a store of its own
 * (verify-reader.worker.ts); without, the calling thread does it, one page ahead. A reader also
 * folds its pages into the running hash, starting from the hash the seal at its slice's start
 * signed: the calling thread takes a page's result only when that start is the value it has
 * itself there (so whenever the log before is intact), and otherwise folds the page's digests
 * itself — the answer is the same either way, only where the work is done differs.
 */
export type AuditBreakKind =
  /** A chained field (data, metadata, type, ids…) differs from what was appended. */
  | 'altered'
  /** A stream version is missing from the log. */
  | 'deleted'
  /** A stream's versions appear out of order in the global log. */
  | 'reordered'
  /** chain.prev does not point at the stream's previous event (an event was put in or taken out and the rest renumbered). */
  | 'broken-link'
  /** The event has no chain link at all. */
  | 'unchained'
  /** The log no longer folds to what a seal signed: events deleted, inserted, altered in unchained fields, or reordered. */
  | 'seal-mismatch'
  | 'signature-invalid'
  /** The seals themselves are inconsistent (counts not growing with seq, a seal beyond the end of the log). */
  | 'seal-sequence';

export interface AuditBreak {
  kind: AuditBreakKind;
  detail: string;
  /** Where it was found: the event being checked (for a seal break, the event at the seal's count). */
  streamId?: string;
  streamVersion?: number;
  position?: string;
  eventId?: string;
  sealSeq?: number;
}

export interface AuditVerifyReport {
  ok: boolean;
  eventsChecked: number;
  streamsChecked: number;
  sealsChecked: number;
  lastSealedPosition: string | null;
  /** Events after the latest seal: covered by their stream chains only. */
  unsealedEvents: number;
  keyId: string;
  publicKey: string;
  /** The key is the public DEV-ONLY key: seals prove nothing outside development. */
  devKey: boolean;
  /** Worker threads that read and hashed the log (`readers`); 0: the calling thread did. */
  readerThreads: number;
  /**
   * Events the log held after the last one checked, counted when the check ended (PostgreSQL only;
   * absent after a break): appended while it ran, or held back (below). Not checked: run it again.
   */
  eventsAfterCheck?: number;
  /**
   * Of those, events committed but held back behind a transaction that began before them and was
   * still open: the log's commit-safe order hands them out (to this check, the projections and the
   * sealer alike) only once it ends. Lasting for more than moments, it names a stuck transaction.
   */
  heldBackEvents?: number;
  firstBreak?: AuditBreak;
}

export interface VerifyAuditLogOptions {
  store: EventStore;
  db: AuditDb;
  key: AuditVerificationKey;
  pageSize?: number;
  /**
   * Read and hash in worker threads: how a thread opens the same event store, and how many
   * threads (default: the machine's parallelism). The log is cut into slices at sealed positions,
   * so a log with fewer than MIN_SLICES_FOR_READERS seals is checked in the calling thread anyway.
   * `store` above still serves the rare lookups a break needs.
   */
  readers?: { store: EventStoreSelection; threads?: number };
  /**
   * Stops the check between pages (the reader threads ended, their connections closed): the call
   * rejects with the signal's reason. The API aborts a check still running when it shuts down.
   */
  signal?: AbortSignal;
}

/** Below this many slices (seals + 1), worker threads cost more to start than they save. */
export const MIN_SLICES_FOR_READERS = 4;

interface StreamHead {
  version: number;
  /** Where its chain hash is in StreamHeads.hashes (32 bytes at slot * 32). */
  slot: number;
}

/**
 * Each stream's head so far: its last version and chain hash, the hashes as bytes in one buffer
 * (no object or string per hash). Slot 0 holds the genesis hash, every stream's head before its
 * first event.
 */
class StreamHeads {
  private readonly byStream = new Map<string, StreamHead>();
  hashes = new Uint8Array(32 * 1024);
  private slots = 1;

  constructor() {
    this.hashes.set(Buffer.from(GENESIS_HASH, 'hex'), 0);
  }

  get size(): number {
    return this.byStream.size;
  }

  get(streamId: string): StreamHead | undefined {
    return this.byStream.get(streamId);
  }

  add(streamId: string): StreamHead {
    if ((this.slots + 1) * 32 > this.hashes.length) {
      const bigger = new Uint8Array(this.hashes.length * 2);
      bigger.set(this.hashes);
      this.hashes = bigger;
    }
    const head = { version: -1, slot: this.slots++ };
    this.byStream.set(streamId, head);
    return head;
  }

  /** The head moves on to event i of the page (its version and chain.hash). */
  advance(head: StreamHead, facts: EventFactsView, i: number): void {
    head.version = facts.streamVersions[i];
    const { links } = facts;
    const hashes = this.hashes;
    const from = i * LINK_BYTES + 32;
    const to = head.slot * 32;
    for (let k = 0; k < 32; k++) hashes[to + k] = links[from + k];
  }
}

export async function verifyAuditLog(options: VerifyAuditLogOptions): Promise<AuditVerifyReport> {
  const { store, db, key, signal } = options;
  signal?.throwIfAborted();
  const pageSize = options.pageSize ?? 5000;
  const seals = await loadSeals(db);
  const streams = new StreamHeads();
  const sealsByPosition = new Map(seals.map((seal) => [seal.position, seal]));
  let hash: Buffer = Buffer.from(GLOBAL_GENESIS_HASH, 'hex');
  let count = 0;
  let sealIndex = 0;
  let lastSealed: AuditSeal | undefined;
  /** Position of the last event checked (undefined: none yet). */
  let lastChecked: string | undefined;

  /** How many worker threads read the log (readInWorkers says). */
  const reading = { threads: 0 };
  const report = (firstBreak?: AuditBreak, after?: { events: number; heldBack: number }): AuditVerifyReport => ({
    ok: firstBreak === undefined,
    eventsChecked: count,
    streamsChecked: streams.size,
    sealsChecked: sealIndex,
    lastSealedPosition: lastSealed?.position ?? null,
    unsealedEvents: count - (lastSealed?.eventCount ?? 0),
    keyId: key.keyId,
    publicKey: key.publicKeyPem,
    devKey: key.devKey,
    readerThreads: reading.threads,
    ...(after ? { eventsAfterCheck: after.events, heldBackEvents: after.heldBack } : {}),
    ...(firstBreak ? { firstBreak } : {}),
  });

  const sequenceBreak = checkSealSequence(seals);

  // The running hash is folded lazily: `hash` covers the first `folded` events. A page whose reader
  // folded it already, from the value the log really has at the page's start, is taken whole.
  let folded = 0;
  let page: EventFactsView | undefined;
  let pageStart = 0;
  let pageTrusted = false;
  const hashAt = (target: number) => {
    if (pageTrusted && page?.runningAfter !== undefined && target === pageStart + page.count) {
      hash = Buffer.from(page.runningAfter, 'hex');
      folded = target;
      return;
    }
    while (folded < target) {
      const j = (folded - pageStart) * 32;
      hash = nextGlobalHashBytes(hash, (page as EventFactsView).digests.subarray(j, j + 32), hash);
      folded += 1;
    }
  };

  // Leaving the loop early (a break) ends the generator too: its read-ahead, its worker threads.
  // Reads go to the adapter itself (the chaining decorator adds nothing to them): PostgreSQL's has a faster path for this.
  const adapter = store instanceof HashChainingEventStore ? store.inner : store;
  const pages = options.readers && seals.length + 1 >= MIN_SLICES_FOR_READERS ? readInWorkers(options.readers, seals, pageSize, reading, signal) : readHere(adapter, pageSize);
  for await (const facts of pages) {
    signal?.throwIfAborted();
    page = facts;
    pageStart = count;
    pageTrusted = facts.runningFrom !== undefined && folded === count && facts.runningFrom === hash.toString('hex');
    const { inRun, sealMarks } = facts;
    // An event inside a run (inRun: its reader checked that it links to the event before, of the
    // same stream) only moves its stream's head on: done once, at the run's last event.
    let runHead: StreamHead | undefined;
    let runEnd = -1;
    for (let i = 0; i < facts.count; i++) {
      if (inRun !== undefined && inRun[i] === 1) runEnd = i;
      else {
        if (runEnd >= 0) {
          streams.advance(runHead as StreamHead, facts, runEnd);
          runEnd = -1;
        }
        const link = streamLink(streams, facts, i);
        if (link !== undefined) return report(link instanceof MissingVersion ? await missingVersionBreak(store, facts, i, link.expected) : link);
        runHead = linkedHead;
      }
      count += 1;

      const seal = seals[sealIndex];
      if (seal && seal.eventCount === count) {
        const event = factAt(facts, i);
        if (sequenceBreak && sequenceBreak.seal === seal) return report(at(event, { kind: 'seal-sequence', sealSeq: seal.seq, detail: sequenceBreak.detail }));
        if (seal.position !== event.position) {
          return report(at(event, {
            kind: 'seal-mismatch',
            sealSeq: seal.seq,
            detail: `seal ${seal.seq} covers ${seal.eventCount} events ending at ${seal.position}, but event ${count} of the log is at ${event.position}: events deleted, inserted or reordered before it`,
          }));
        }
        hashAt(count);
        if (seal.chainHash !== hash.toString('hex')) {
          return report(at(event, {
            kind: 'seal-mismatch',
            sealSeq: seal.seq,
            detail: `the log up to seal ${seal.seq} no longer hashes to the sealed value: an event before it was altered (e.g. recordedAt), inserted, deleted or reordered`,
          }));
        }
        if (seal.keyId !== key.keyId || !sealSignatureValid(key, seal, seal.signature)) {
          return report(at(event, {
            kind: 'signature-invalid',
            sealSeq: seal.seq,
            detail: seal.keyId !== key.keyId ? `seal ${seal.seq} is signed with key ${seal.keyId}, not the trusted key ${key.keyId}` : `seal ${seal.seq}'s signature does not verify`,
          }));
        }
        lastSealed = seal;
        sealIndex += 1;
      }
      // A later seal's last event reached too early or too late: events deleted or inserted before it.
      const sealHere = sealMarks === undefined || sealMarks[i] === 1 ? sealsByPosition.get(facts.position(i)) : undefined;
      if (sealHere && sealHere.eventCount !== count) {
        return report(at(factAt(facts, i), {
          kind: 'seal-mismatch',
          sealSeq: sealHere.seq,
          detail: `seal ${sealHere.seq} ends at this event as the log's event ${sealHere.eventCount}, but it is now event ${count}: ${
            count < sealHere.eventCount ? `${sealHere.eventCount - count} earlier event(s) deleted` : `${count - sealHere.eventCount} event(s) inserted before it`
          }`,
        }));
      }
    }
    if (runEnd >= 0) streams.advance(runHead as StreamHead, facts, runEnd);
    hashAt(count);
    if (facts.count > 0) lastChecked = facts.position(facts.count - 1);
  }
  const beyond = seals[sealIndex];
  if (beyond) {
    return report({
      kind: beyond.eventCount > count ? 'seal-mismatch' : 'seal-sequence',
      sealSeq: beyond.seq,
      position: beyond.position,
      detail:
        beyond.eventCount > count
          ? `seal ${beyond.seq} covers ${beyond.eventCount} events but the log holds only ${count}: events deleted`
          : (sequenceBreak?.detail ?? `seal ${beyond.seq} was never reached`),
    });
  }
  // What the check could not reach: appended since, or held back behind a transaction still open.
  return report(undefined, adapter instanceof PostgresEventStore ? await adapter.eventsAfter(lastChecked) : undefined);
}

/** One event of a facts page, with what a break report names. */
interface EventFacts {
  position: string;
  streamId: string;
  streamVersion: number;
  eventId: string;
}

function factAt(page: EventFactsView, i: number): EventFacts {
  return {
    position: page.position(i),
    streamId: page.streamId(i),
    streamVersion: page.streamVersions[i],
    eventId: page.eventId(i),
  };
}

/** The log in order, a page of facts at a time, computed in this thread while the next page is read. */
function readHere(store: EventStore, pageSize: number): AsyncGenerator<EventFactsView> {
  // From PostgreSQL's stored text (eventFactsPageFromText: no event objects built) where it can.
  if (store instanceof PostgresEventStore) {
    return prefetchedPages(
      (after) => store.readAllStoredText({ after, maxCount: pageSize }),
      (page) => (page.count >= pageSize ? page.positions[page.count - 1] : undefined),
      (page) => factsView(eventFactsPageFromText(page)),
    );
  }
  return prefetchedPages(
    (after) => store.readAll({ after, maxCount: pageSize }),
    (page) => (page.length >= pageSize ? page[page.length - 1].position : undefined),
    (page) => factsView(eventFactsPage(page)),
  );
}

/** Pages read one ahead: `next` gives the position to read after, or undefined on the last page. */
async function* prefetchedPages<P>(
  read: (after: string | undefined) => Promise<P>,
  next: (page: P) => string | undefined,
  facts: (page: P) => EventFactsView,
): AsyncGenerator<EventFactsView> {
  const ahead = (after: string | undefined) => {
    const pending = read(after);
    // Handled when awaited; a prefetch left behind by an early return must not go unhandled.
    pending.catch(() => undefined);
    return pending;
  };
  let nextPage = ahead(undefined);
  for (;;) {
    const page = await nextPage;
    const after = next(page);
    if (after !== undefined) nextPage = ahead(after);
    yield facts(page);
    if (after === undefined) return;
  }
}

/** How many pages a slice may hold read but not yet checked. */
const PAGES_AHEAD_PER_SLICE = 2;

/**
 * The log in order, a page of facts at a time, read and hashed by worker threads. The log is cut
 * at sealed positions into slices (a prefix up to the first seal, the events between consecutive
 * seals, the rest after the last): the slices partition the log whatever the seals say, because
 * the cuts are positions (kept only where they increase) and not counts. Each thread reads one
 * slice at a time, a page per request; slices ahead of the one being checked are read at most
 * PAGES_AHEAD_PER_SLICE pages ahead, so memory stays bounded however far apart the seals are.
 */
async function* readInWorkers(
  readers: NonNullable<VerifyAuditLogOptions['readers']>,
  seals: readonly AuditSeal[],
  pageSize: number,
  reading: { threads: number },
  signal: AbortSignal | undefined,
): AsyncGenerator<EventFactsView> {
  const cuts: { position: string; eventCount: number; chainHash: string }[] = [];
  for (const seal of seals) {
    const previous = cuts.at(-1);
    if (!previous || (seal.position.length === previous.position.length && seal.position > previous.position)) cuts.push(seal);
  }
  const slices = [...cuts, undefined].map((cut, i) => ({
    after: i === 0 ? undefined : cuts[i - 1].position,
    upTo: cut?.position,
    // The seals' counts say how many events to expect (a hint: a page then ends just past the cut).
    expected: cut ? cut.eventCount - (i === 0 ? 0 : cuts[i - 1].eventCount) : undefined,
    read: 0,
    // The running hash the log should have before the slice's next page: the seal's at its start
    // (the verifier takes a reader's fold only if it started from the true value).
    running: i === 0 ? GLOBAL_GENESIS_HASH : cuts[i - 1].chainHash,
    pages: [] as EventFactsView[],
    requested: false,
    done: false,
  }));
  const threads = Math.max(1, Math.min(readers.threads ?? availableParallelism(), slices.length));
  reading.threads = threads;
  const sealPositions = [...new Set(seals.map((seal) => seal.position))];
  const workers = Array.from({ length: threads }, () => startReader({ store: readers.store, sealPositions }));
  const idle = [...workers];
  let current = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const wakeUp = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };

  const dispatch = () => {
    for (let s = current; idle.length > 0 && s < slices.length && s < current + threads * 2; s++) {
      const slice = slices[s];
      if (slice.requested || slice.done || (s > current && slice.pages.length >= PAGES_AHEAD_PER_SLICE)) continue;
      const worker = idle.pop() as Worker;
      slice.requested = true;
      const left = slice.expected === undefined ? pageSize : Math.max(1, Math.min(pageSize, slice.expected - slice.read + 1));
      worker.once('message', (answer: PageAnswer) => {
        idle.push(worker);
        slice.requested = false;
        if ('error' in answer) failure = readerError(answer);
        else {
          const facts = unpackEventFacts(answer.facts);
          slice.pages.push(facts);
          slice.read += facts.count;
          slice.after = answer.last ?? slice.after;
          slice.running = facts.runningAfter ?? slice.running;
          slice.done = answer.done;
        }
        dispatch();
        wakeUp();
      });
      worker.postMessage({ after: slice.after, upTo: slice.upTo, maxCount: left, running: slice.running } satisfies PageRequest);
    }
  };
  for (const worker of workers) {
    worker.once('error', (error) => {
      failure = error;
      wakeUp();
    });
  }

  // An abort wakes the wait for a page; the loop then throws its reason.
  signal?.addEventListener('abort', wakeUp, { once: true });
  try {
    dispatch();
    while (current < slices.length) {
      signal?.throwIfAborted();
      if (failure) throw failure;
      const slice = slices[current];
      const page = slice.pages.shift();
      if (page) {
        dispatch();
        if (page.count > 0) yield page;
      } else if (slice.done) {
        current += 1;
        dispatch();
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    signal?.removeEventListener('abort', wakeUp);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/**
 * A reader thread's young generation, larger than the default: a page of events lives across
 * scavenges, and the collector took a tenth of a reader's CPU. In back-to-back runs on 200,000
 * events (load 9-13, so noisy) 128 MB gave 25-35 us CPU/event against 34-37 at the default.
 * VERIFY_READER_YOUNG_MB overrides it (0: V8's default).
 */
const READER_LIMITS = process.env.VERIFY_READER_YOUNG_MB === '0' ? {} : { maxYoungGenerationSizeMb: Number(process.env.VERIFY_READER_YOUNG_MB ?? 64) };

/**
 * A reader thread's failure as an error of this thread. What the thread caught is its cause, with
 * its code and syscall: an outage (the database restarting, a connection cut) is still recognised
 * as one (isOutage: 503 over HTTP), as when this thread reads.
 */
function readerError(failure: ReaderFailure): Error {
  const cause = Object.assign(new Error(failure.error), {
    ...(failure.code !== undefined ? { code: failure.code } : {}),
    ...(failure.syscall !== undefined ? { syscall: failure.syscall } : {}),
  });
  return new Error(`audit verify reader: ${failure.error}`, { cause });
}

/** A reader thread: the compiled worker file, or (running from the TypeScript sources: tests, tsx scripts) the source through tsx. */
function startReader(workerData: ReaderWorkerData): Worker {
  const file = join(__dirname, `verify-reader.worker${extname(__filename)}`);
  if (extname(file) !== '.ts') return new Worker(file, { workerData, resourceLimits: READER_LIMITS });
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData, resourceLimits: READER_LIMITS });
}

const NO_HEAD: Readonly<StreamHead> = { version: -1, slot: 0 };

/** A version of the event's stream is missing before it: reordered or deleted, the store will tell. */
class MissingVersion {
  constructor(readonly expected: number) {}
}

/**
 * The event's place in its stream, checked against the stream's head so far (which it then
 * becomes): a break, a version missing before it, or undefined when it links. Synchronous: an
 * await per event cost a microtask each, and only a missing version needs the store.
 */
function streamLink(streams: StreamHeads, facts: EventFactsView, i: number): AuditBreak | MissingVersion | undefined {
  const streamId = facts.streamId(i);
  const streamVersion = facts.streamVersions[i];
  const known = streams.get(streamId);
  const head = known ?? NO_HEAD;
  const expectedVersion = head.version + 1;
  if (streamVersion > expectedVersion) return new MissingVersion(expectedVersion);
  if (streamVersion < expectedVersion) {
    return at(factAt(facts, i), { kind: 'reordered', detail: `version ${streamVersion} comes after version ${head.version} in the global log` });
  }
  if (facts.linked[i] !== 1) return at(factAt(facts, i), { kind: 'unchained', detail: 'the event carries no metadata.chain' });
  if (facts.linkHolds[i] !== 1) return at(factAt(facts, i), { kind: 'altered', detail: 'the event no longer hashes to its chain.hash' });
  if (!sameHash(facts.links, i * LINK_BYTES, streams.hashes, head.slot * 32)) {
    return at(factAt(facts, i), { kind: 'broken-link', detail: `chain.prev does not match the chain hash of version ${head.version}` });
  }
  // The link was just checked, so the successor links to it (linkTargetOf).
  linkedHead = known ?? streams.add(streamId);
  streams.advance(linkedHead, facts, i);
  return undefined;
}

/** The head streamLink last linked an event to (its stream's entry in `streams`). */
let linkedHead: StreamHead | undefined;

/** Missing here: is it elsewhere in the log (reordered) or gone (deleted)? */
async function missingVersionBreak(store: EventStore, facts: EventFactsView, i: number, expectedVersion: number): Promise<AuditBreak> {
  const event = factAt(facts, i);
  const [missing] = await store.readStream(event.streamId, { fromVersion: expectedVersion, maxCount: 1 });
  const reordered = missing?.streamVersion === expectedVersion;
  return at(event, {
    kind: reordered ? 'reordered' : 'deleted',
    detail: reordered
      ? `version ${expectedVersion} of the stream comes after version ${event.streamVersion} in the global log`
      : `version${event.streamVersion - expectedVersion > 1 ? `s ${expectedVersion}..${event.streamVersion - 1}` : ` ${expectedVersion}`} of the stream missing before this event`,
  });
}

/** Seals in seq order must cover strictly growing prefixes. */
function checkSealSequence(seals: AuditSeal[]): { seal: AuditSeal; detail: string } | undefined {
  for (let i = 1; i < seals.length; i++) {
    if (seals[i].eventCount <= seals[i - 1].eventCount) {
      return { seal: seals[i], detail: `seal ${seals[i].seq} covers ${seals[i].eventCount} events, no more than seal ${seals[i - 1].seq} before it (${seals[i - 1].eventCount})` };
    }
  }
  return undefined;
}

function at(event: EventFacts, found: Omit<AuditBreak, 'streamId' | 'streamVersion' | 'position' | 'eventId'>): AuditBreak {
  return { ...found, streamId: event.streamId, streamVersion: event.streamVersion, position: event.position, eventId: event.eventId };
}
