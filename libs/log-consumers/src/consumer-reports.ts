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
  /** Age of the oldest event it has not applied yet; 0 when caught up. */
  lagSeconds: number;
  stalled: { position: string; error: string | null; since: string | null } | null;
}

/**
 * Where every consumer stands, from the database (so any process can answer, an API-only replica
 * included): the checkpoint, whether a leader runs it, its lag in seconds (from the oldest event it
 * still has to apply, one event read per consumer without waiting on in-flight transactions), and
 * the event it is stalled on.
 */
export async function consumerReports(sql: Sql, store: EventStore, consumers: readonly { name: string; filter: AllFilter }[], now = new Date()): Promise<ConsumerReport[]> {
  const rows = new Map((await loadConsumerRows(sql)).map((row) => [row.name, row]));
  const reports: ConsumerReport[] = [];
  for (const consumer of consumers) {
    const row = rows.get(consumer.name);
    const position = row?.position ?? null;
    const [oldest] = await store.readAll({ after: position ?? undefined, maxCount: 1, filter: consumer.filter, readYourWrites: false });
    reports.push({
      name: consumer.name,
      position,
      running: row?.leaseHeld ?? false,
      caughtUp: oldest === undefined,
      lagSeconds: oldest ? Math.max(0, Math.round((now.getTime() - oldest.recordedAt.getTime()) / 100) / 10) : 0,
      stalled: row?.stalledPosition ? { position: row.stalledPosition, error: row.stalledError, since: row.stalledAt?.toISOString() ?? null } : null,
    });
  }
  return reports;
}
