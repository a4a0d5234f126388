import type { AllFilter, RecordedEvent } from '@app/event-store';
import type { EntityManager } from 'typeorm';

/**
 * What a consumer is handed:
 * - `decoded` (the default): personal fields decrypted, then upcast to the current schema version;
 * - `sealed`: upcast to the current schema version, personal fields still encrypted as the log holds
 *   them (read models that keep personal data only as ciphertext; the webhook fan-out, which never
 *   needs it);
 * - `stored`: exactly as the log holds it, old schema versions included (the audit sealer hashes the
 *   stored bytes).
 */
export type ConsumerInput = 'decoded' | 'sealed' | 'stored';

/** How stored events become what each input asks for (the application's event codec). */
export interface EventInputs {
  decode(event: RecordedEvent): Promise<RecordedEvent>;
  upcast(event: RecordedEvent): RecordedEvent;
}

/** The events as `input` asks for them; the one place that says what each input means. */
export async function eventsFor(input: ConsumerInput | undefined, events: readonly RecordedEvent[], codec: EventInputs | undefined): Promise<readonly RecordedEvent[]> {
  if (!codec) return events;
  switch (input ?? 'decoded') {
    case 'stored':
      return events;
    case 'sealed':
      return events.map((event) => codec.upcast(event));
    case 'decoded':
      return Promise.all(events.map((event) => codec.decode(event)));
    default: {
      const unknown: never = input as never;
      throw new Error(`Unknown consumer input ${String(unknown)}`);
    }
  }
}

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
  /**
   * `batch.after` is the checkpoint the events follow (null: the start of the log): they are every
   * event matching the filter after it, in log order, up to the last one. A reactor that keeps
   * state across batches can tell from it whether a batch continues the previous one (the same
   * subscription) or the log is being read again from an older checkpoint (a restart, a redone batch).
   */
  react(events: readonly RecordedEvent[], batch: ReactorBatch): Promise<void>;
  /** Called about once per heartbeat while the consumer has caught up with the log. */
  idle?(): Promise<void>;
  /**
   * True when what `react` writes needs no proof of leadership first: each of its writes is a
   * compare-and-set that a deposed leader cannot win against the new one, and holds the same content
   * whoever writes it (the audit sealer: a seal is stored only if it follows the latest one, and a
   * seal is the log's own running hash). The runtime then skips the checkpoint move that proves the
   * lease before `react` (one round trip per batch); the move after it still fences the checkpoint.
   * Any reactor with other effects (commands, webhooks, e-mails) must leave it unset.
   */
  readonly selfFenced?: boolean;
}

export interface ReactorBatch {
  readonly after: string | null;
}

export type LogConsumer = Projector | Reactor;


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
