import type { AllFilter, EventStore } from '@app/event-store';
import { loadConsumerRows, type Sql } from './leases';

export interface ConsumerReport {
  name: string;
  /** Last position applied (null: nothing yet). */
  position: string | null;
  /** Some process holds an unexpired lease on it. */
  running: boolean;
  /** Nothing in the log waits for it. */
  caughtUp: boolean;
  /** Age of the oldest event it has not applied yet, held back ones included; 0 when caught up. */
  lagSeconds: number;
  /**
   * Events it has not applied because the log holds them back (EventStore.heldBack: committed
   * behind a transaction still open): it cannot move past them until that transaction ends.
   */
  heldBackEvents: number;
  stalled: { position: string; error: string | null; since: string | null } | null;
}

/** Seconds from `since` to `now`, to a tenth, never negative: how lag is reported. */
export function secondsSince(since: number, now: number): number {
  return Math.max(0, Math.round((now - since) / 100) / 10);
}

/**
 * Where every consumer stands, from the database (so any process can answer, an API-only replica
 * included): the checkpoint, whether a leader runs it, its lag in seconds (from the oldest event it
 * still has to apply, one event read per consumer without waiting on in-flight transactions), and
 * the event it is stalled on. Events the log holds back count in the lag: a transaction left open
 * (an operator's session, a stuck client) stops every consumer, whose own reads then see nothing
 * waiting, so without them a stopped worker would look caught up. One statement says whether any
 * event is held back; only then is each consumer's filter asked.
 */
export async function consumerReports(sql: Sql, store: EventStore, consumers: readonly { name: string; filter: AllFilter }[], now = new Date()): Promise<ConsumerReport[]> {
  const rows = new Map((await loadConsumerRows(sql)).map((row) => [row.name, row]));
  const anyHeldBack = store.heldBack ? (await store.heldBack()).events > 0 : false;
  const reports: ConsumerReport[] = [];
  for (const consumer of consumers) {
    const row = rows.get(consumer.name);
    const position = row?.position ?? null;
    const [oldest] = await store.readAll({ after: position ?? undefined, maxCount: 1, filter: consumer.filter, readYourWrites: false });
    // Held-back events always come after every checkpoint: a consumer is only handed events below
    // the snapshot's xmin, and a held-back one is at or above it.
    const held = anyHeldBack && store.heldBack ? await store.heldBack(consumer.filter) : { events: 0, oldestRecordedAt: null };
    const since = Math.min(oldest?.recordedAt.getTime() ?? Infinity, held.oldestRecordedAt?.getTime() ?? Infinity);
    reports.push({
      name: consumer.name,
      position,
      running: row?.leaseHeld ?? false,
      caughtUp: oldest === undefined && held.events === 0,
      lagSeconds: Number.isFinite(since) ? secondsSince(since, now.getTime()) : 0,
      heldBackEvents: held.events,
      stalled: row?.stalledPosition ? { position: row.stalledPosition, error: row.stalledError, since: row.stalledAt?.toISOString() ?? null } : null,
    });
  }
  return reports;
}
