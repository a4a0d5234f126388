import type { AllFilter, RecordedEvent } from '@app/event-store';
import type { ConsumerInput, Projector } from '@app/log-consumers';
import type { EntityManager } from 'typeorm';

/**
 * A projection turns log events into read-model rows. `apply` runs inside the transaction that also
 * stores the projection's checkpoint, and must be idempotent: a row remembers the last stream
 * version it applied and ignores anything at or below it.
 */
export interface Projection {
  readonly name: string;
  /** Which part of the global log this projection reads. */
  readonly filter: AllFilter;
  /** Tables it owns (emptied by a rebuild). */
  readonly tables: readonly string[];
  /**
   * What it is handed, by the live runtime, a rebuild and an as-of replay alike: `decoded` (the
   * default: personal fields in clear, or null once erased), `sealed` (upcast, personal fields still
   * encrypted: a projection that keeps them sealed, so its tables never hold clear text — the
   * organisations and proposals read models) or `stored` (exactly as the log holds it).
   */
  readonly input?: ConsumerInput;
  apply(event: RecordedEvent, tx: EntityManager): Promise<void>;
  /**
   * Optional fast path for rebuilds: applies consecutive events of the log (in log order) in one
   * go, e.g. folding rows in memory and writing each row once. Must leave the tables exactly as
   * `apply` called on each event in turn would (a test per projection proves it).
   */
  applyBatch?(events: readonly RecordedEvent[], tx: EntityManager): Promise<void>;
}

export const PROJECTIONS = Symbol('PROJECTIONS');

/** A read-model projection as the log-consumer runtime runs it: one transaction per batch. */
export function asProjector(projection: Projection): Projector {
  return {
    kind: 'projector',
    name: projection.name,
    filter: projection.filter,
    input: projection.input,
    async apply(events, tx) {
      if (projection.applyBatch) return projection.applyBatch(events, tx);
      for (const event of events) await projection.apply(event, tx);
    },
  };
}
