/**
 * The event log of a test app, read through the event-store port the app itself uses, so a test
 * asserts the same thing whichever store runs (EVENT_STORE=postgres|esdb). Each test app has a log
 * of its own (see createTestApp), so "every event" means this app's events.
 */
import { EVENT_STORE, type AllFilter, type EventStore, type RecordedEvent } from '@app/event-store';
import { Client } from 'pg';
import type { TestApp } from './app';

const PAGE_SIZE = 500;

const SETTLE_TIMEOUT_MS = 10_000;

/** A running app (a test app, or a second app started on its database and log, as after a restart). */
export type LogReader = Pick<TestApp, 'app' | 'config' | 'db'>;

/** The store the app appends to (the raw log: personal data stays encrypted, nothing is decoded). */
export function eventStoreOf(t: LogReader): EventStore {
  return t.app.get<EventStore>(EVENT_STORE);
}

/** Does the app keep its events in PostgreSQL (the `events` table), as opposed to EventStoreDB? */
export function logIsPostgres(t: Pick<TestApp, 'config'>): boolean {
  return t.config.eventStore === 'postgres';
}

/** The events of one stream, in stream order. */
export function streamEvents(t: LogReader, streamId: string): Promise<RecordedEvent[]> {
  return eventStoreOf(t).readStream(streamId);
}

/**
 * Every event of the global log (optionally filtered), in log order, read page by page — every
 * event committed before the call included. The Postgres adapter's readAll is commit-safe: it holds
 * back events while an older transaction is still running anywhere in the cluster (the test
 * databases share one server), so it first waits until every transaction begun before the call has
 * ended. EventStoreDB acknowledges an append only once $all has it.
 */
export async function allEvents(t: LogReader, filter?: AllFilter): Promise<RecordedEvent[]> {
  if (logIsPostgres(t)) await untilEarlierTransactionsEnded(t.db.url);
  const store = eventStoreOf(t);
  const events: RecordedEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.readAll({ after, maxCount: PAGE_SIZE, filter });
    events.push(...page);
    if (page.length < PAGE_SIZE) return events;
    after = page[page.length - 1].position;
  }
}

/** The events of one type whose data has `field` equal to `value` (e.g. every FundsReleased of a grant). */
export async function eventsWhere(t: LogReader, type: string, field: string, value: unknown): Promise<RecordedEvent[]> {
  return (await allEvents(t, { eventTypes: [type] })).filter((event) => (event.data as Record<string, unknown>)[field] === value);
}

/** How many events the log holds. */
export async function eventCount(t: LogReader): Promise<number> {
  return (await allEvents(t)).length;
}

/** Each stored event's data and metadata as JSON text, for clear-text scans of the whole log. */
export async function storedText(t: LogReader): Promise<string[]> {
  return (await allEvents(t)).map((event) => JSON.stringify({ data: event.data, metadata: event.metadata }));
}

async function untilEarlierTransactionsEnded(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Every transaction that had an id when this runs has one below the horizon.
    const { rows } = await client.query<{ horizon: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS horizon');
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const settled = await client.query<{ ended: boolean }>('SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS ended', [rows[0].horizon]);
      if (settled.rows[0].ended) return;
      if (Date.now() > deadline) throw new Error(`transactions begun before ${rows[0].horizon} still running after ${SETTLE_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await client.end();
  }
}
