import type { AllFilter, RecordedEvent } from '@app/event-store';
import type { EntityManager } from 'typeorm';

/**
 * What a consumer is handed: `decoded` (the default) runs every event through the codec first, so
 * personal fields arrive in clear; `stored` hands events exactly as the log holds them (the audit
 * sealer hashes ciphertext; the webhook fan-out never needs personal data).
 */
export type ConsumerInput = 'decoded' | 'stored';

interface ConsumerBase {
  /** Unique: names the checkpoint and the lease. */
  readonly name: string;
  /** Which part of the global log it reads. */
  readonly filter: AllFilter;
  readonly input?: ConsumerInput;
}

/**
 * Changes rows in PostgreSQL: `apply` runs inside the transaction that also moves the checkpoint,
 * so a batch is applied entirely or not at all. It must be idempotent all the same (a row remembers
 * the last stream version it applied): a rebuild, or a batch redone after a crash, replays events.
 */
export interface Projector<Prepared = unknown> extends ConsumerBase {
  readonly kind: 'projector';
  /**
   * Reads what the batch needs from elsewhere (another read model, say) before the transaction
   * opens: inside it, only `tx` may be used — a second pool connection while holding one is how
   * pools deadlock.
   */
  prepare?(events: readonly RecordedEvent[]): Promise<Prepared>;
  apply(events: readonly RecordedEvent[], tx: EntityManager, prepared: Prepared): Promise<void>;
  /** After the batch's transaction committed (e.g. wake the webhook sender). Must not throw. */
  committed?(events: readonly RecordedEvent[]): void;
}

/**
 * Acts outside the read models (commands on other streams, seals, keys): `react` runs outside any
 * transaction and the checkpoint moves after it, so every event is handled at least once and the
 * reaction must be idempotent.
 */
export interface Reactor extends ConsumerBase {
  readonly kind: 'reactor';
  react(events: readonly RecordedEvent[]): Promise<void>;
  /** Called about once per heartbeat while the consumer has caught up with the log. */
  idle?(): Promise<void>;
}

export type LogConsumer = Projector | Reactor;

/** Turns stored events into what `decoded` consumers see (the personal-data codec). */
export type EventDecoder = (event: RecordedEvent) => Promise<RecordedEvent> | RecordedEvent;

/** A reactor that handles one event at a time, in log order. */
export function reactorOf(
  consumer: { name: string; filter: AllFilter; input?: ConsumerInput },
  handle: (event: RecordedEvent) => Promise<unknown>,
): Reactor {
  return {
    kind: 'reactor',
    ...consumer,
    async react(events) {
      for (const event of events) await handle(event);
    },
  };
}
