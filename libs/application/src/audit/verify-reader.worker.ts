/**
 * A worker thread of the audit verifier (verify.ts, `readers`): reads pages of the global log with
 * an event store of its own and turns each into an EventFactsPage (chain check and global digest
 * per event: the bulk of the work, parsing included), folded into the running hash from the value
 * the request gives (the main thread checks that start before it uses the result), and sends it
 * packed (PackedEventFacts). It answers one page request at a time and keeps no state between
 * them, so the main thread decides the order and how far ahead to read.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EventStore, EventStoreSelection } from '@app/event-store';
import { PostgresEventStore, type StoredEventTextPage } from '@app/event-store/postgres/postgres-event-store';
import { type EventFactsPage, eventFactsPage, eventFactsPageFromText, foldRunningHash, markRuns, markSeals, packEventFacts, packedTransferList, type PackedEventFacts } from './audit-digest';

/** Read up to `maxCount` events after `after`; stop before the first one past `upTo` (positions of one store sort as strings). */
export interface PageRequest {
  after: string | undefined;
  upTo: string | undefined;
  maxCount: number;
  /** The running hash before the page's first event, if the log is intact (hex): the page is folded from it. */
  running?: string;
}

export type PageAnswer =
  | {
      facts: PackedEventFacts;
      /** Position of the last event read, to continue from (undefined: none read). */
      last: string | undefined;
      /** Nothing more to read in this slice: the bound was passed or the log ended. */
      done: boolean;
    }
  | ReaderFailure;

/**
 * A page the thread could not read: the error's message, and the code and syscall that tell an
 * outage (the database unreachable or restarting) from a fault, which a posted Error would lose.
 */
export interface ReaderFailure {
  error: string;
  code?: string;
  syscall?: string;
}

export interface ReaderWorkerData {
  store: EventStoreSelection;
  /** The positions the seals name: events there are marked (markSeals). */
  sealPositions: string[];
}

const port = parentPort;
if (port) {
  const store = openStore((workerData as ReaderWorkerData).store);
  const sealPositions = new Set((workerData as ReaderWorkerData).sealPositions);
  /** What the verifier's ordered pass needs besides the facts: runs, seal marks, the running hash. */
  const finish = (facts: EventFactsPage, running: string | undefined): PackedEventFacts => {
    markRuns(facts);
    markSeals(facts, sealPositions);
    if (running !== undefined) foldRunningHash(facts, running);
    return packEventFacts(facts);
  };
  port.on('message', (request: PageRequest | 'close') => {
    if (request === 'close') {
      void store.close().finally(() => port.close());
      return;
    }
    readPage(request).then(
      (answer) => port.postMessage(answer, packedTransferList(answer.facts)),
      (error: unknown) => port.postMessage(readerFailure(error)),
    );
  });

  async function readPage(request: PageRequest): Promise<Extract<PageAnswer, { facts: PackedEventFacts }>> {
    if (store instanceof PostgresEventStore) return readTextPage(store, request);
    const { after, upTo, maxCount, running } = request;
    const page = await store.readAll({ after, maxCount });
    let end = page.length;
    if (upTo !== undefined) {
      const beyond = page.findIndex((event) => event.position > upTo);
      if (beyond >= 0) end = beyond;
    }
    const events = end === page.length ? page : page.slice(0, end);
    return { facts: finish(eventFactsPage(events), running), last: events.at(-1)?.position, done: end < page.length || page.length < maxCount };
  }

  /** The same from PostgreSQL's stored text: no event objects, data and metadata canonicalised from their jsonb text. */
  async function readTextPage(postgres: PostgresEventStore, { after, upTo, maxCount, running }: PageRequest): Promise<Extract<PageAnswer, { facts: PackedEventFacts }>> {
    const page = await postgres.readAllStoredText({ after, maxCount });
    const read = page.count;
    let end = read;
    if (upTo !== undefined) {
      for (let i = 0; i < read; i++) {
        if (page.positions[i] > upTo) {
          end = i;
          break;
        }
      }
    }
    return { facts: finish(eventFactsPageFromText(end === read ? page : slicePage(page, end)), running), last: end > 0 ? page.positions[end - 1] : undefined, done: end < read || read < maxCount };
  }
}

function readerFailure(error: unknown): ReaderFailure {
  const { code, syscall } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; syscall?: unknown };
  return {
    error: error instanceof Error ? error.message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof syscall === 'string' ? { syscall } : {}),
  };
}

/**
 * The thread's own store. PostgreSQL's adapter is loaded alone: the event-store package's index
 * brings the EventStoreDB client too, and loading it cost each thread ~1 s of CPU (more from the
 * TypeScript sources) before its first page. One page is read at a time: a small pool.
 */
function openStore(selection: EventStoreSelection): EventStore {
  if (selection.kind === 'postgres' && selection.databaseUrl) return new PostgresEventStore({ connectionString: selection.databaseUrl, poolSize: 2 });
  // Loaded only for the other stores. A relative path (the same from the sources and from the
  // build, which rewrites only static imports' aliases).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createEventStore } = require('../../../event-store/src/create-event-store') as typeof import('@app/event-store/create-event-store');
  return createEventStore(selection);
}

/** The page's first `count` events. */
function slicePage(page: StoredEventTextPage, count: number): StoredEventTextPage {
  return {
    count,
    positions: page.positions.slice(0, count),
    streamIds: page.streamIds.slice(0, count),
    streamVersions: page.streamVersions.slice(0, count),
    eventIds: page.eventIds.slice(0, count),
    types: page.types.slice(0, count),
    schemaVersions: page.schemaVersions.slice(0, count),
    data: page.data.slice(0, count),
    metadata: page.metadata.slice(0, count),
    recordedMs: page.recordedMs.slice(0, count),
  };
}
