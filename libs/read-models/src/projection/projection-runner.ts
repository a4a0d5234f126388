import type { EventStore, EventSubscription, RecordedEvent } from '@app/event-store';
import type { DataSource, QueryRunner } from 'typeorm';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import type { Projection } from './projection';

export interface ProjectionRunnerLogger {
  log(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** Turns stored events into what projections see (e.g. decrypts personal data). Identity by default. */
export type EventDecoder = (event: RecordedEvent) => Promise<RecordedEvent> | RecordedEvent;

const RETRY_MS = 1_000;
const LOCK_RETRY_MS = 5_000;

/**
 * Follows the global log for each projection from its checkpoint and applies events, writing the
 * read-model change and the checkpoint in one transaction. One active runner per projection across
 * processes: a Postgres session advisory lock elects it; others wait and take over if it dies.
 */
export class ProjectionRunner {
  private readonly subscriptions = new Map<string, EventSubscription>();
  private readonly lockRunners = new Map<string, QueryRunner>();
  private readonly loops: Promise<void>[] = [];
  private readonly listeners = new Set<() => void>();
  private stopping = false;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly projections: readonly Projection[],
    private readonly logger: ProjectionRunnerLogger,
    private readonly decode: EventDecoder = (e) => e,
  ) {}

  start(): void {
    for (const projection of this.projections) this.loops.push(this.run(projection));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.sleepers) wake();
    await Promise.all([...this.subscriptions.values()].map((s) => s.close()));
    await Promise.all(this.loops);
    for (const [name, runner] of this.lockRunners) {
      if (runner.isReleased) continue;
      // The lock is session-level: unlock before the connection goes back to the pool, or it stays held.
      await runner.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await runner.release();
      this.lockRunners.delete(name);
    }
  }

  /** Called after each applied event (tests and progress reporting use it). */
  onApplied(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async run(projection: Projection): Promise<void> {
    if (!(await this.acquireLock(projection))) return;
    while (!this.stopping) {
      try {
        const after = await loadCheckpoint(this.dataSource.manager, projection.name);
        const subscription = this.store.subscribe({ after, filter: projection.filter });
        this.subscriptions.set(projection.name, subscription);
        for await (const event of subscription) {
          if (this.stopping) break;
          const decoded = await this.decode(event);
          await this.dataSource.transaction(async (tx) => {
            await projection.apply(decoded, tx);
            await saveCheckpoint(tx, projection.name, event.position);
          });
          for (const listener of this.listeners) listener();
        }
      } catch (error) {
        if (this.stopping) break;
        // A failing event must not be skipped: log it without payload (personal data) and retry.
        this.logger.error('projection failed; retrying from its checkpoint', {
          projection: projection.name,
          error: error instanceof Error ? error.message : String(error),
        });
        await this.sleep(RETRY_MS);
      } finally {
        await this.subscriptions.get(projection.name)?.close();
        this.subscriptions.delete(projection.name);
      }
    }
  }

  private async acquireLock(projection: Projection): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    this.lockRunners.set(projection.name, runner);
    let announced = false;
    while (!this.stopping) {
      const rows: { locked: boolean }[] = await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`projection:${projection.name}`]);
      if (rows[0]?.locked) return true;
      if (!announced) {
        this.logger.log('another process runs this projection; standing by', { projection: projection.name });
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
