import type { EventSubscription, RecordedEvent } from '@app/event-store';

/**
 * Turns a catch-up subscription (one event at a time) into batches: a pump reads ahead into a
 * bounded buffer while the consumer applies the previous batch, and `next` hands out whatever has
 * arrived, up to the batch size, without waiting for a batch to fill (so a quiet log has no added
 * latency). A full buffer stops the pump: memory stays bounded however far behind the consumer is.
 */
const CLOSE_WAIT_MS = 2_000;

export class BatchReader {
  private readonly buffer: RecordedEvent[] = [];
  private readonly iterator: AsyncIterator<RecordedEvent>;
  private readonly pump: Promise<void>;
  private failure: { error: unknown } | undefined;
  private ended = false;
  private closed = false;
  private dataArrived: (() => void) | undefined;
  private spaceFreed: (() => void) | undefined;

  constructor(
    private readonly subscription: EventSubscription,
    private readonly capacity: number,
  ) {
    this.iterator = subscription[Symbol.asyncIterator]();
    this.pump = this.run();
  }

  /**
   * Up to `max` events; an empty array after `idleMs` with nothing new. Throws what the
   * subscription threw (e.g. the database went away), once the events read before it are handed out.
   */
  async next(max: number, idleMs: number): Promise<RecordedEvent[]> {
    if (this.buffer.length === 0 && !this.ended && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, idleMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.dataArrived = done;
      });
      this.dataArrived = undefined;
    }
    if (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, max);
      this.wakePump();
      return batch;
    }
    if (this.failure) throw this.failure.error;
    if (this.ended && !this.closed) throw new SubscriptionEndedError();
    return [];
  }

  /**
   * How far the subscription has examined the log; while nothing is buffered, every matching event
   * up to it has been handed out by `next` (see EventSubscription.examinedPosition).
   */
  get examinedPosition(): string | undefined {
    return this.buffer.length === 0 ? this.subscription.examinedPosition : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakePump();
    this.dataArrived?.();
    await this.subscription.close().catch(() => undefined);
    // A pump stuck on an unreachable database gives up on its own (pool acquisition timeout);
    // closing does not wait for that.
    await Promise.race([this.pump, new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
  }

  private async run(): Promise<void> {
    try {
      while (!this.closed) {
        if (this.buffer.length >= this.capacity) {
          await new Promise<void>((resolve) => (this.spaceFreed = resolve));
          this.spaceFreed = undefined;
          continue;
        }
        const { value, done } = await this.iterator.next();
        if (done || this.closed) break;
        this.buffer.push(value);
        this.dataArrived?.();
      }
    } catch (error) {
      if (!this.closed) this.failure = { error };
    } finally {
      this.ended = true;
      this.dataArrived?.();
    }
  }

  private wakePump(): void {
    this.spaceFreed?.();
  }
}

/** A live subscription must not end by itself; when it does, the runtime subscribes again. */
export class SubscriptionEndedError extends Error {
  constructor() {
    super('The log subscription ended');
    this.name = 'SubscriptionEndedError';
  }
}
