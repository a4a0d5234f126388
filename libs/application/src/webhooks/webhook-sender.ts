import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { backoffDelayMs } from './backoff';
import type { WebhookConfig } from './webhook-config';
import type { StructuredLogger } from '@app/platform/logging/structured-logger';
import { postWebhook, type AttemptOutcome } from './webhook-http-client';
import type { WebhookSecretBox } from './webhook-secret-box';
import { signWebhook } from './webhook-signature';
import { type SsrfGuard, WebhookUrlRefused } from './ssrf-guard';
import type { StoredWebhookBody } from './public-event-source';
import { OutageLog } from '@app/platform/logging/outage-log';

interface QueuedDelivery {
  id: string;
  event_id: string;
  body: string;
  organisation_ids: string[];
  attempts: number;
}

/** The bodies to send now for queued ones (PublicEventSource.render): organisations shown by the consent in force. */
export type RenderWebhookBodies = (bodies: readonly StoredWebhookBody[]) => Promise<string[]>;

/** Bodies as queued: every organisation withheld (what a sender without the catalogue can send safely). */
const asQueued: RenderWebhookBodies = async (bodies) => bodies.map((stored) => stored.body);

/** The head of a subscription's queue and the deliveries after it, in log order, all leased to this process. */
interface Run {
  subscriptionId: string;
  url: string;
  secretSealed: string;
  deliveries: QueuedDelivery[];
}

interface RunRow extends QueuedDelivery {
  subscription_id: string;
  ours: boolean;
  url: string;
  secret_sealed: string;
}

/** An attempt's outcome, to be recorded. */
interface Recorded {
  deliveryId: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  status: 'succeeded' | 'failed' | 'dead';
  attempts: number;
  delayMs: number | null;
}

/**
 * The transaction-scoped advisory lock (two keys: 'WH', 0) that orders claims against
 * redeliveries: claims take it shared, a redelivery alone.
 */
export const WEBHOOK_CLAIM_LOCK = { class: 0x5748, key: 0 } as const;

/** How long a claimed delivery stays ours beyond the request timeout before another process may retry it. */
const LEASE_MARGIN_MS = 30_000;
/** A run starts no attempt after this long from its claim, so every attempt ends well inside the lease. */
const RUN_WINDOW_MS = LEASE_MARGIN_MS / 2;
/** Deliveries leased together: the head of a subscription's queue and those after it. */
const RUN_LENGTH = 100;
/** Outcomes recorded together (one statement, one commit) within a run; bodies are rendered as many at a time. */
const RECORD_BATCH = 25;
/** A rendered body older than this is rendered again before it is sent, so consent read at rendering is never stale by more. */
const RENDER_MAX_AGE_MS = 1_000;

/**
 * Sends queued deliveries, at least once and in log order per subscription. Only the head of a
 * subscription's queue (its oldest undelivered delivery: status pending or failed) is ever claimed,
 * and with it the deliveries after it, as a run leased to this process (one conditional UPDATE that
 * a concurrent claimer re-checks and loses): the run goes out one delivery at a time, in order, and
 * stops at the first failure, whose retry waits for its backoff; the rest of the run goes back to
 * the queue behind it. So several workers can send without sending one subscription's events out of
 * order, and one subscription's backlog does not pay a claim per delivery. Outcomes are recorded in
 * batches (a run's successes in one statement); a crash before they are recorded sends them again
 * (receivers deduplicate by the webhook-id header). All state is in Postgres, so a restart resumes
 * where it stopped. Failures are retried with exponential backoff and full jitter; after
 * `maxAttempts` the delivery is dead and the subscription moves on (liveness over strict order).
 * Each body is rendered when it is sent (`render`): the organisations it shows appear as their
 * publication consent is then, so a consent withdrawn after the delivery was queued holds for every
 * retry and redelivery after it; the signature is over the body actually sent.
 */
export class WebhookSender {
  private readonly owner = `sender-${randomUUID()}`;
  /** Outages (the database restarting) are logged once every 5 s, not once a poll. */
  private readonly failures = new OutageLog();
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
    private readonly render: RenderWebhookBodies = asQueued,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** New work may be due: look now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Called once for each recorded attempt, after it is recorded (tests and the benchmark wait on it). */
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
          for (const run of await this.claim(free)) {
            const abort = new AbortController();
            const done = this.send(run, abort.signal)
              .catch((error: unknown) => {
                this.logger.error('webhook delivery failed unexpectedly; it goes back to the queue', { subscriptionId: run.subscriptionId, error: error instanceof Error ? error.message : String(error) });
              })
              .finally(() => {
                this.inFlight.delete(run.subscriptionId);
                this.wake();
              });
            this.inFlight.set(run.subscriptionId, { done, abort });
          }
        }
      } catch (error) {
        if (this.stopping) break;
        if (this.failures.shouldLog(error)) this.logger.error('webhook sender could not claim deliveries', { error: error instanceof Error ? error.message : String(error) });
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
   * Leases, for up to `limit` subscriptions whose queue head is due and free, the head and the
   * deliveries after it (a run). A row another process holds is not taken; a subscription's run is
   * the unbroken prefix of rows we hold that starts at its head, and whatever we took beyond a gap
   * (or without the head) goes back at once.
   */
  private async claim(limit: number): Promise<Run[]> {
    const leaseMs = this.config.timeoutMs + LEASE_MARGIN_MS;
    // Under the claim lock, shared: claims never wait for each other, and a redelivery (which takes
    // it alone) waits for claims under way, so a claim never leases a run from a head that a
    // redelivery has just put an older delivery in front of.
    const rows: RunRow[] = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock_shared(${WEBHOOK_CLAIM_LOCK.class}, ${WEBHOOK_CLAIM_LOCK.key})`);
      return manager.query(
      `WITH heads AS (
         SELECT s.id AS subscription_id, h.position
           FROM webhook_subscriptions s
           CROSS JOIN LATERAL (
             SELECT q.position, q.next_attempt_at, q.lease_until
               FROM webhook_deliveries q
              WHERE q.subscription_id = s.id AND q.status IN ('pending', 'failed')
              ORDER BY q.position
              LIMIT 1) h
          WHERE s.deleted_at IS NULL
            AND h.next_attempt_at <= clock_timestamp() AND (h.lease_until IS NULL OR h.lease_until < clock_timestamp())
            -- One sender at a time per subscription: none of its deliveries is held (being sent, or
            -- next in the run being sent), also when its head is not (a redelivery put an older one
            -- in front of the run under way).
            AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries l
               WHERE l.subscription_id = s.id AND l.status IN ('pending', 'failed') AND l.lease_until IS NOT NULL AND l.lease_until >= clock_timestamp())
          ORDER BY h.next_attempt_at
          LIMIT $1
       ), run AS (
         SELECT heads.subscription_id, r.id, r.position
           FROM heads
           CROSS JOIN LATERAL (
             SELECT q.id, q.position
               FROM webhook_deliveries q
              WHERE q.subscription_id = heads.subscription_id AND q.status IN ('pending', 'failed') AND q.position >= heads.position
              ORDER BY q.position
              LIMIT $4) r
       ), locked AS (
         -- Rows locked in one order (by id) by every claimer and recorder: two of them never deadlock.
         SELECT q.id FROM webhook_deliveries q WHERE q.id IN (SELECT id FROM run) ORDER BY q.id FOR UPDATE
       ), leased AS (
         UPDATE webhook_deliveries d
            SET lease_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000), lease_owner = $3
           FROM locked
          WHERE d.id = locked.id AND d.status IN ('pending', 'failed') AND (d.lease_until IS NULL OR d.lease_until < clock_timestamp())
         RETURNING d.id
       )
       SELECT run.subscription_id, d.id, d.event_id, d.body, d.organisation_ids, d.attempts, (leased.id IS NOT NULL) AS ours, s.url, s.secret_sealed
         FROM run
         JOIN webhook_deliveries d ON d.id = run.id
         JOIN webhook_subscriptions s ON s.id = run.subscription_id
         LEFT JOIN leased ON leased.id = run.id
        ORDER BY run.subscription_id, run.position`,
        [limit, leaseMs, this.owner, RUN_LENGTH],
      );
    });
    const runs = new Map<string, Run & { broken: boolean }>();
    const strays: string[] = [];
    for (const row of rows) {
      let run = runs.get(row.subscription_id);
      if (!run) {
        // The first row of a subscription is its head: without it, nothing of the subscription is ours to send.
        run = { subscriptionId: row.subscription_id, url: row.url, secretSealed: row.secret_sealed, deliveries: [], broken: !row.ours };
        runs.set(row.subscription_id, run);
      } else if (!row.ours) {
        run.broken = true;
      }
      if (!row.ours) continue;
      if (run.broken) strays.push(row.id);
      else run.deliveries.push({ id: row.id, event_id: row.event_id, body: row.body, organisation_ids: row.organisation_ids, attempts: row.attempts });
    }
    if (strays.length) await this.release(strays);
    return [...runs.values()].filter((run) => run.deliveries.length > 0);
  }

  /**
   * Sends a run in order and records the outcomes; stops at the first failure (recorded, with its
   * backoff) or when the run's time is up, and hands what it did not send back to the queue. An
   * outcome that cannot be recorded (the database went away meanwhile) hands its delivery back too,
   * as soon as the database answers again, instead of at its lease's expiry: the subscription's
   * later events wait behind it, so a lease left to run out would stall the subscription.
   */
  private async send(run: Run, signal: AbortSignal): Promise<void> {
    const claimedAt = Date.now();
    const pending: Recorded[] = [];
    let sent = 0;
    // Bodies are rendered just before they are sent, RECORD_BATCH at a time (one consent look-up for
    // them), and again when older than RENDER_MAX_AGE_MS: a consent withdrawn meanwhile reaches them.
    let rendered: { from: number; at: number; bodies: string[] } = { from: 0, at: 0, bodies: [] };
    try {
      for (const [index, delivery] of run.deliveries.entries()) {
        if (signal.aborted || Date.now() - claimedAt > RUN_WINDOW_MS) break;
        if (index >= rendered.from + rendered.bodies.length || Date.now() - rendered.at > RENDER_MAX_AGE_MS) {
          const batch = run.deliveries.slice(index, index + RECORD_BATCH);
          rendered = { from: index, at: Date.now(), bodies: await this.render(batch.map((d) => ({ body: d.body, organisationIds: d.organisation_ids }))) };
        }
        const outcome = await this.attempt(run, delivery, rendered.bodies[index - rendered.from], signal);
        if (signal.aborted) break; // shutting down: this attempt goes back to the queue unrecorded
        sent += 1;
        const recorded = this.outcome(delivery, outcome);
        pending.push(recorded);
        if (recorded.status !== 'succeeded') break;
        if (pending.length >= RECORD_BATCH) await this.record(run, pending.splice(0));
      }
      if (pending.length) await this.record(run, pending.splice(0));
    } catch (error) {
      this.logger.error('webhook bodies could not be rendered or outcomes recorded; the deliveries go back to the queue', { subscriptionId: run.subscriptionId, error: error instanceof Error ? error.message : String(error) });
      // Those already recorded are no longer ours, so only the unrecorded ones go back.
      await this.release(run.deliveries.slice(0, sent).map((d) => d.id));
    }
    // The rest of the run was never attempted: it goes back to the queue, behind a failed head.
    const unsent = run.deliveries.slice(sent).map((d) => d.id);
    if (unsent.length && !signal.aborted) await this.release(unsent);
  }

  private outcome(delivery: QueuedDelivery, outcome: AttemptOutcome): Recorded {
    const succeeded = outcome.statusCode !== undefined && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const attempts = delivery.attempts + 1;
    const [status, delayMs]: [Recorded['status'], number | null] = succeeded
      ? ['succeeded', null]
      : attempts >= this.config.maxAttempts
        ? ['dead', null]
        : ['failed', backoffDelayMs(attempts, this.config.retryBaseMs, this.config.retryMaxMs, this.random)];
    return {
      deliveryId: delivery.id,
      statusCode: outcome.statusCode ?? null,
      error: succeeded ? null : (outcome.error ?? `HTTP ${outcome.statusCode}`),
      durationMs: outcome.durationMs,
      status,
      attempts,
      delayMs,
    };
  }

  /** Records attempts in one statement (one commit); a delivery's state changes only while its lease is still ours. */
  private async record(run: Run, outcomes: Recorded[]): Promise<void> {
    await this.dataSource.query(
      `WITH outcome AS (
         SELECT * FROM unnest($2::uuid[], $3::int[], $4::text[], $5::int[], $6::text[], $7::int[], $8::double precision[])
                    AS o(id, status_code, error, duration_ms, status, attempts, delay_ms)
       ), attempt AS (
         INSERT INTO webhook_delivery_attempts (delivery_id, status_code, error, duration_ms)
         SELECT id, status_code, error, duration_ms FROM outcome
       ), locked AS (
         SELECT q.id FROM webhook_deliveries q WHERE q.id IN (SELECT id FROM outcome) ORDER BY q.id FOR UPDATE
       )
       UPDATE webhook_deliveries d
          SET status = o.status, attempts = o.attempts, last_attempt_at = now(), last_status_code = o.status_code, last_error = o.error,
              delivered_at = CASE WHEN o.status = 'succeeded' THEN now() ELSE d.delivered_at END,
              next_attempt_at = CASE WHEN o.delay_ms IS NULL THEN NULL ELSE clock_timestamp() + make_interval(secs => o.delay_ms / 1000) END,
              lease_until = NULL, lease_owner = NULL
         FROM outcome o JOIN locked ON locked.id = o.id
        WHERE d.id = o.id AND d.lease_owner = $1`,
      [
        this.owner,
        outcomes.map((o) => o.deliveryId),
        outcomes.map((o) => o.statusCode),
        outcomes.map((o) => o.error),
        outcomes.map((o) => o.durationMs),
        outcomes.map((o) => o.status),
        outcomes.map((o) => o.attempts),
        outcomes.map((o) => o.delayMs),
      ],
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'dead') this.logger.error('webhook delivery is dead after its last attempt', { deliveryId: outcome.deliveryId, subscriptionId: run.subscriptionId, attempts: outcome.attempts });
      for (const listener of this.listeners) listener();
    }
  }

  /** Hands deliveries back to the queue; tried until it works, their lease has run out anyway, or the sender stops. */
  private async release(deliveryIds: string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    const until = Date.now() + this.config.timeoutMs + LEASE_MARGIN_MS;
    for (let delay = 100; !this.stopping && Date.now() < until; delay = Math.min(delay * 2, 2_000)) {
      try {
        await this.dataSource.query('UPDATE webhook_deliveries SET lease_until = NULL, lease_owner = NULL WHERE id = ANY ($1::uuid[]) AND lease_owner = $2', [deliveryIds, this.owner]);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** One attempt with `body`, the delivery rendered for now: the signature is over exactly the bytes sent. */
  private async attempt(run: Run, delivery: QueuedDelivery, body: string, signal: AbortSignal): Promise<AttemptOutcome> {
    const started = Date.now();
    let target: Awaited<ReturnType<SsrfGuard['check']>>;
    try {
      // Resolved again at every attempt: the address checked is the address connected to (DNS rebinding).
      target = await this.guard.check(run.url);
    } catch (error) {
      const reason = error instanceof WebhookUrlRefused ? error.message : 'the target could not be checked';
      return { error: reason, durationMs: Date.now() - started };
    }
    const headers = signWebhook(this.secrets.open(run.secretSealed), delivery.event_id, Math.floor(Date.now() / 1000), body);
    return postWebhook({ url: target.url, address: target.address, headers: { ...headers }, body, timeoutMs: this.config.timeoutMs, signal });
  }
}
