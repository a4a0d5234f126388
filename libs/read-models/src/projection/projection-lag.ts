import type { EventStore } from '@app/event-store';
import type { DataSource } from 'typeorm';
import { loadCheckpoint } from './checkpoint';
import type { Projection } from './projection';

/** How many events each projection still has to apply (counted up to `cap`), for /health. */
export async function projectionLag(dataSource: DataSource, store: EventStore, projections: readonly Projection[], cap = 1000): Promise<Record<string, number>> {
  const lag: Record<string, number> = {};
  for (const projection of projections) {
    const after = await loadCheckpoint(dataSource.manager, projection.name);
    const pending = await store.readAll({ after, maxCount: cap, filter: projection.filter });
    lag[projection.name] = pending.length;
  }
  return lag;
}
