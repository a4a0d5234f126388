import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { backoffDelayMs } from './backoff';
import type { WebhookConfig } from './webhook-config';
import type { StructuredLogger } from '@app/platform/logging/structured-logger';
import { postWebhook, type AttemptOutcome } from './webhook-http-client';
import type { WebhookSecretBox } from './webhook-secret-box';
import { signWebhook } from './webhook-signature';
import { type SsrfGuard, WebhookUrlRefused } from './ssrf-guard';

interface ClaimedDelivery {
  id: string;
  subscription_id: string;
  event_id: string;
  body: string;
  attempts: number;
  url: string;
  secret_sealed: string;
}

/** How long a claimed delivery stays ours beyond the request timeout before another process may retry it. */
const LEASE_MARGIN_MS = 30_000;

/**
 * Sends queued deliveries, at least once and in log order per subscription: only the oldest
 * undelivered delivery of a subscription (status pending or failed) is ever eligible, so the next
 * event waits until the previous one succeeded or went dead. A delivery is claimed with a lease (a
 * conditional UPDATE that a concurrent claimer re-checks and loses), so several workers can send
 * without sending one subscription's events out of order; all state is in Postgres, so a restart
 * resumes where it stopped. Failures are retried with exponential backoff and full jitter; after
 * `maxAttempts` the delivery is dead and the subscription moves on (liveness over strict order).
 */
export class WebhookSender {
  private readonly owner = `sender-${randomUUID()}`;
  private readonly inFlight = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private loop?: Promise<void>;
  private stopping = false;
  private wakeUp?: () => void;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: WebhookConfig,
    private readonly guard: SsrfGuard,
    private readonly secrets: WebhookSecretBox,
    private readonly logger: StructuredLogger,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** New work may be due: look now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Called after each recorded attempt (tests wait on it). */
  onAttempt(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    for (const { abort } of this.inFlight.values()) abort.abort();
    await Promise.all([...this.inFlight.values()].map((f) => f.done));
    // Whatever we still hold goes back to the queue at once rather than at lease expiry.
    await this.dataSource.query('UPDATE webhook_deliveries SET lease_until = NULL, lease_owner = NULL WHERE lease_owner = $1', [this.owner]).catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const free = this.config.concurrency - this.inFlight.size;
        if (free > 0) {
          for (const delivery of await this.claim(free)) {
            const abort = new AbortController();
            const done = this.deliver(delivery, abort.signal)
              .catch(async (error: unknown) => {
                this.logger.error('webhook delivery failed unexpectedly; it goes back to the queue', { deliveryId: delivery.id, error: error instanceof Error ? error.message : String(error) });
                await this.release(delivery.id);
              })
              .finally(() => {
                this.inFlight.delete(delivery.id);
                this.wake();
              });
            this.inFlight.set(delivery.id, { done, abort });
          }
        }
      } catch (error) {
        if (this.stopping) break;
        this.logger.error('webhook sender could not claim deliveries', { error: error instanceof Error ? error.message : String(error) });
      }
      if (this.stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wakeUp = undefined;
          resolve();
        }, this.config.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          this.wakeUp = undefined;
          resolve();
        };
      });
    }
  }

  /**
   * Hands a delivery whose attempt could not be recorded (the database went away meanwhile) back to
   * the queue as soon as the database answers again, instead of at its lease's expiry: its
   * subscription's later events wait behind it, so a lease left to run out stalls the subscription
   * for the whole lease. It is sent again (at least once; receivers deduplicate by event id). Tried
   * until it works, the lease has run out anyway, or the sender stops.
   */
  private async release(deliveryId: string): Promise<void> {
    const until = Date.now() + this.config.timeoutMs + LEASE_MARGIN_MS;
    for (let delay = 100; !this.stopping && Date.now() < until; delay = Math.min(delay * 2, 2_000)) {
      try {
        await this.dataSource.query('UPDATE webhook_deliveries SET lease_until = NULL, lease_owner = NULL WHERE id = $1 AND lease_owner = $2', [deliveryId, this.owner]);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** The due head of each subscription's queue, leased to this process. */
  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    const leaseMs = this.config.timeoutMs + LEASE_MARGIN_MS;
    // TypeORM answers an UPDATE … RETURNING on Postgres with [rows, affected count].
    const [claimed]: [ClaimedDelivery[], number] = await this.dataSource.query(
      `WITH heads AS (
         SELECT DISTINCT ON (q.subscription_id) q.id, q.next_attempt_at, q.lease_until
           FROM webhook_deliveries q
           JOIN webhook_subscriptions s ON s.id = q.subscription_id AND s.deleted_at IS NULL
          WHERE q.status IN ('pending', 'failed')
          ORDER BY q.subscription_id, q.position
       ), due AS (
         SELECT id FROM heads
          WHERE next_attempt_at <= clock_timestamp() AND (lease_until IS NULL OR lease_until < clock_timestamp())
          ORDER BY next_attempt_at
          LIMIT $1
       )
       UPDATE webhook_deliveries d
          SET lease_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000), lease_owner = $3
         FROM due, webhook_subscriptions s
        WHERE d.id = due.id AND s.id = d.subscription_id
          AND d.status IN ('pending', 'failed') AND (d.lease_until IS NULL OR d.lease_until < clock_timestamp())
       RETURNING d.id, d.subscription_id, d.event_id, d.body, d.attempts, s.url, s.secret_sealed`,
      [limit, leaseMs, this.owner],
    );
    return claimed;
  }

  private async deliver(delivery: ClaimedDelivery, signal: AbortSignal): Promise<void> {
    const outcome = await this.attempt(delivery, signal);
    if (signal.aborted) return; // shutting down: the delivery goes back to the queue unrecorded
    const succeeded = outcome.statusCode !== undefined && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const attempts = delivery.attempts + 1;
    const error = succeeded ? null : (outcome.error ?? `HTTP ${outcome.statusCode}`);
    const [status, delayMs] = succeeded
      ? ['succeeded', null]
      : attempts >= this.config.maxAttempts
        ? ['dead', null]
        : ['failed', backoffDelayMs(attempts, this.config.retryBaseMs, this.config.retryMaxMs, this.random)];
    await this.dataSource.transaction(async (tx) => {
      await tx.query('INSERT INTO webhook_delivery_attempts (delivery_id, status_code, error, duration_ms) VALUES ($1, $2, $3, $4)', [
        delivery.id,
        outcome.statusCode ?? null,
        error,
        outcome.durationMs,
      ]);
      // Only if the lease is still ours: a redelivery or another process may have taken over.
      await tx.query(
        `UPDATE webhook_deliveries
            SET status = $3, attempts = $4, last_attempt_at = now(), last_status_code = $5, last_error = $6,
                delivered_at = CASE WHEN $3 = 'succeeded' THEN now() ELSE delivered_at END,
                next_attempt_at = CASE WHEN $7::double precision IS NULL THEN NULL ELSE clock_timestamp() + make_interval(secs => $7::double precision / 1000) END,
                lease_until = NULL, lease_owner = NULL
          WHERE id = $1 AND lease_owner = $2`,
        [delivery.id, this.owner, status, attempts, outcome.statusCode ?? null, error, delayMs],
      );
    });
    if (status === 'dead') this.logger.error('webhook delivery is dead after its last attempt', { deliveryId: delivery.id, subscriptionId: delivery.subscription_id, attempts });
    for (const listener of this.listeners) listener();
  }

  private async attempt(delivery: ClaimedDelivery, signal: AbortSignal): Promise<AttemptOutcome> {
    const started = Date.now();
    let target: Awaited<ReturnType<SsrfGuard['check']>>;
    try {
      // Resolved again at every attempt: the address checked is the address connected to (DNS rebinding).
      target = await this.guard.check(delivery.url);
    } catch (error) {
      const reason = error instanceof WebhookUrlRefused ? error.message : 'the target could not be checked';
      return { error: reason, durationMs: Date.now() - started };
    }
    const headers = signWebhook(this.secrets.open(delivery.secret_sealed), delivery.event_id, Math.floor(Date.now() / 1000), delivery.body);
    return postWebhook({ url: target.url, address: target.address, headers: { ...headers }, body: delivery.body, timeoutMs: this.config.timeoutMs, signal });
  }
}
