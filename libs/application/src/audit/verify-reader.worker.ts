/**
 * A worker thread of the audit verifier (verify.ts, `readers`): reads pages of the global log with
 * an event store of its own and turns each into an EventFactsPage (chain check and global digest
 * per event: the bulk of the work, parsing included). It answers one page request at a time and
 * keeps no state between them, so the main thread decides the order and how far ahead to read.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEventStore, type EventStoreSelection } from '@app/event-store';
import { eventFactsPage, type EventFactsPage } from './audit-digest';

/** Read up to `maxCount` events after `after`; stop before the first one past `upTo` (positions of one store sort as strings). */
export interface PageRequest {
  after: string | undefined;
  upTo: string | undefined;
  maxCount: number;
}

export type PageAnswer =
  | {
      facts: EventFactsPage;
      /** Position of the last event read, to continue from (undefined: none read). */
      last: string | undefined;
      /** Nothing more to read in this slice: the bound was passed or the log ended. */
      done: boolean;
    }
  | { error: string };

export interface ReaderWorkerData {
  store: EventStoreSelection;
}

const port = parentPort;
if (port) {
  const store = createEventStore((workerData as ReaderWorkerData).store);
  port.on('message', (request: PageRequest | 'close') => {
    if (request === 'close') {
      void store.close().finally(() => port.close());
      return;
    }
    readPage(request).then(
      (answer) => port.postMessage(answer, [answer.facts.linkHolds.buffer as ArrayBuffer, answer.facts.digests.buffer as ArrayBuffer]),
      (error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies PageAnswer),
    );
  });

  async function readPage({ after, upTo, maxCount }: PageRequest): Promise<Extract<PageAnswer, { facts: EventFactsPage }>> {
    const page = await store.readAll({ after, maxCount });
    let end = page.length;
    if (upTo !== undefined) {
      const beyond = page.findIndex((event) => event.position > upTo);
      if (beyond >= 0) end = beyond;
    }
    const events = end === page.length ? page : page.slice(0, end);
    return { facts: eventFactsPage(events), last: events.at(-1)?.position, done: end < page.length || page.length < maxCount };
  }
}
