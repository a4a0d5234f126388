import type { EventStore, EventSubscription, RecordedEvent } from '@app/event-store';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { type PublicEventSource, webhookBody } from './public-event-source';

export interface WebhookLogger {
  log(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

const CHECKPOINT = 'webhook-fan-out';
const RETRY_MS = 1_000;
const LOCK_RETRY_MS = 5_000;

async function loadCheckpoint(manager: EntityManager): Promise<string | undefined> {
  const rows: { position: string }[] = await manager.query('SELECT position FROM webhook_fanout_checkpoint WHERE name = $1', [CHECKPOINT]);
  return rows[0]?.position;
}

/**
 * Reads the global log from its own checkpoint (not a projection: a projection rebuild never
 * re-runs it), maps each event to its public form and queues one delivery per matching
 * subscription, in the same transaction as the checkpoint. Deliveries are unique per subscription
 * and event, so re-reading an event after a crash queues nothing twice. One active fan-out across
 * processes, elected by a session advisory lock.
 *
 * A subscription gets the events recorded from its creation on (the feed serves older history).
 */
export class WebhookFanOut {
  private subscription?: EventSubscription;
  private lockRunner?: QueryRunner;
  private loop?: Promise<void>;
  private stopping = false;
  private readonly sleepers = new Set<() => void>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly publicEvents: PublicEventSource,
    private readonly logger: WebhookLogger,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.sleepers) wake();
    await this.subscription?.close();
    await this.loop;
    if (this.lockRunner && !this.lockRunner.isReleased) {
      // Session-level lock: unlock before the connection returns to the pool.
      await this.lockRunner.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await this.lockRunner.release();
    }
  }

  /** Called after deliveries were queued (the sender wakes up instead of waiting for its poll). */
  onQueued(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async run(): Promise<void> {
    if (!(await this.acquireLock())) return;
    while (!this.stopping) {
      try {
        const after = await loadCheckpoint(this.dataSource.manager);
        this.subscription = this.store.subscribe({ after, filter: this.publicEvents.filter });
        for await (const event of this.subscription) {
          if (this.stopping) break;
          const queued = await this.fanOut(event);
          if (queued > 0) for (const listener of this.listeners) listener();
        }
      } catch (error) {
        if (this.stopping) break;
        // Never skip an event: log without payload and retry from the checkpoint.
        this.logger.error('webhook fan-out failed; retrying from its checkpoint', { error: error instanceof Error ? error.message : String(error) });
        await this.sleep(RETRY_MS);
      } finally {
        await this.subscription?.close();
        this.subscription = undefined;
      }
    }
  }

  /** Queues the event for every subscription that wants it; returns how many deliveries were new. */
  private async fanOut(event: RecordedEvent): Promise<number> {
    const publicEvent = await this.publicEvents.map(event);
    return this.dataSource.transaction(async (tx) => {
      let queued = 0;
      if (publicEvent) {
        // Read after the event itself: a subscription committed before the event was appended is seen.
        const rows: { id: string }[] = await tx.query(
          `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, position, body, status, attempts, next_attempt_at)
           SELECT gen_random_uuid(), s.id, $1, $2, $3, $4, 'pending', 0, now()
             FROM webhook_subscriptions s
            WHERE s.deleted_at IS NULL AND $2 = ANY (s.event_types) AND s.created_at <= $5
           ON CONFLICT (subscription_id, event_id) DO NOTHING
           RETURNING id`,
          [publicEvent.id, publicEvent.type, event.position, webhookBody(publicEvent), event.recordedAt],
        );
        queued = rows.length;
      }
      await tx.query(
        `INSERT INTO webhook_fanout_checkpoint (name, position, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
        [CHECKPOINT, event.position],
      );
      return queued;
    });
  }

  private async acquireLock(): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    this.lockRunner = runner;
    let announced = false;
    while (!this.stopping) {
      const rows: { locked: boolean }[] = await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', ['webhooks:fan-out']);
      if (rows[0]?.locked) return true;
      if (!announced) {
        this.logger.log('another process runs the webhook fan-out; standing by');
        announced = true;
      }
      await this.sleep(LOCK_RETRY_MS);
    }
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

