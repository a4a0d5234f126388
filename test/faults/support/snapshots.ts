import type { Pool } from 'pg';
import { FIND_DECIDER_SNAPSHOT } from '@app/application/snapshots/decider-snapshots';
import { queryWithRetry } from './database';

/**
 * Decider snapshots on every cold read that folds an event (the default is 100 events): the fault
 * scenarios' streams are short, and this way their restarted processes (b), their PostgreSQL
 * restarts (c) and their concurrent awards on one call stream (d) read and write snapshots all
 * along, so what they check (every acknowledged write kept, nothing over-committed, the read
 * models equal a rebuild) holds with snapshots in the way too.
 */
export const SNAPSHOT_EVERY_COLD_READ = { DECIDER_SNAPSHOT_EVERY: '1' } as const;

/** How many streams have a decider snapshot now, per decider, and the latest version snapshotted. */
export async function deciderSnapshotCounts(pool: Pool): Promise<{ streams: number; figure: string }> {
  const rows = await queryWithRetry<{ decider: string; streams: string; latest: string }>(
    pool,
    'SELECT decider, count(*) AS streams, max(stream_version) AS latest FROM decider_snapshots GROUP BY decider ORDER BY decider',
  );
  const streams = rows.reduce((sum, row) => sum + Number(row.streams), 0);
  const figure = `decider snapshots written along the way: ${rows.map((row) => `${row.decider} ${row.streams} streams (latest at version ${row.latest})`).join(', ') || 'none'}`;
  return { streams, figure };
}

/**
 * The decider-snapshot look-ups PostgreSQL ran and the snapshots they answered, from
 * pg_stat_statements (the server started with `statements: true`, the extension created in the
 * database): the executor's look-up statement (FIND_DECIDER_SNAPSHOT) by its exact text, so that no
 * other query of the table (deciderSnapshotCounts') is counted; the rows it returned are snapshots
 * the application received to read a stream from.
 */
export async function deciderSnapshotLookUps(pool: Pool): Promise<{ lookUps: number; found: number; figure: string }> {
  const rows = await queryWithRetry<{ calls: string | null; found: string | null }>(
    pool,
    'SELECT sum(calls) AS calls, sum(rows) AS found FROM pg_stat_statements WHERE query = $1',
    [FIND_DECIDER_SNAPSHOT],
  );
  const lookUps = Number(rows[0]?.calls ?? 0);
  const found = Number(rows[0]?.found ?? 0);
  return { lookUps, found, figure: `decider snapshot look-ups: ${lookUps}, of which ${found} answered a snapshot` };
}
