import { randomUUID } from 'node:crypto';
import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { WebhookDeliveryStatus } from '@app/read-models/webhooks/webhook-delivery.entity';
import { DataSource } from 'typeorm';
import { PUBLIC_EVENT_SOURCE, type PublicEventSource } from './public-event-source';
import { SsrfGuard, WebhookUrlRefused } from './ssrf-guard';
import { generateWebhookSecret } from './webhook-signature';
import { WEBHOOK_SECRET_BOX, WebhookSecretBox } from './webhook-secret-box';
import { WEBHOOK_CLAIM_LOCK } from './webhook-sender';

/** The subscription asked for cannot be made (unknown event types, a refused URL); the API answers 400 with these fields. */
export class WebhookSubscriptionInvalid extends Error {
  constructor(readonly fields: readonly { field: string; messages: string[] }[]) {
    super(fields.map((f) => `${f.field}: ${f.messages.join('; ')}`).join('; '));
    this.name = 'WebhookSubscriptionInvalid';
  }
}

/** Who asks: partners see and manage their own subscriptions; admins (and auditors, read-only) all. */
export interface WebhookActor {
  id: string;
  role: string;
}

export interface SubscriptionView {
  id: string;
  ownerId: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  createdAt: string;
}

export interface DeliveryView {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface AttemptView {
  attemptedAt: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export const WEBHOOK_SSRF_GUARD = Symbol('WEBHOOK_SSRF_GUARD');

const seesAll = (actor: WebhookActor) => actor.role === 'admin' || actor.role === 'auditor';
const iso = (value: Date | null) => (value ? value.toISOString() : null);

interface SubscriptionRow {
  id: string;
  owner_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  created_at: Date;
}

interface DeliveryRow {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

const SUBSCRIPTION_COLUMNS = 'id, owner_id, url, event_types, description, created_at';
const DELIVERY_COLUMNS = `id, subscription_id, event_id, event_type, status, attempts, last_status_code, last_error,
  last_attempt_at, next_attempt_at, delivered_at, created_at`;

function subscriptionView(row: SubscriptionRow): SubscriptionView {
  return { id: row.id, ownerId: row.owner_id, url: row.url, eventTypes: row.event_types, description: row.description, createdAt: row.created_at.toISOString() };
}

function deliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    lastAttemptAt: iso(row.last_attempt_at),
    nextAttemptAt: iso(row.next_attempt_at),
    deliveredAt: iso(row.delivered_at),
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Partners' webhook subscriptions: configuration kept in Postgres tables, not grant facts in the
 * log. Someone else's subscription answers 404, as if it did not exist.
 */
@Injectable()
export class WebhookSubscriptionsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(WEBHOOK_SSRF_GUARD) private readonly guard: SsrfGuard,
    @Inject(WEBHOOK_SECRET_BOX) private readonly secrets: WebhookSecretBox,
    @Inject(PUBLIC_EVENT_SOURCE) private readonly publicEvents: PublicEventSource,
  ) {}

  /** Returns the signing secret this once; only its sealed form is stored. */
  async create(actor: WebhookActor, input: { url: string; eventTypes: string[]; description?: string }): Promise<SubscriptionView & { secret: string }> {
    const unknownTypes = input.eventTypes.filter((type) => !this.publicEvents.types.includes(type));
    if (unknownTypes.length > 0) {
      throw new WebhookSubscriptionInvalid([{ field: 'eventTypes', messages: [`not public event types: ${unknownTypes.join(', ')}; see GET /events/catalogue`] }]);
    }
    try {
      await this.guard.check(input.url);
    } catch (error) {
      if (error instanceof WebhookUrlRefused) throw new WebhookSubscriptionInvalid([{ field: 'url', messages: [error.message] }]);
      throw error;
    }
    const secret = generateWebhookSecret();
    const rows: SubscriptionRow[] = await this.dataSource.query(
      `INSERT INTO webhook_subscriptions (id, owner_id, url, event_types, description, secret_sealed, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, date_trunc('milliseconds', now()))
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [randomUUID(), actor.id, input.url, [...new Set(input.eventTypes)], input.description ?? null, this.secrets.seal(secret)],
    );
    return { ...subscriptionView(rows[0]), secret };
  }

  async list(actor: WebhookActor): Promise<SubscriptionView[]> {
    const rows: SubscriptionRow[] = seesAll(actor)
      ? await this.dataSource.query(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE deleted_at IS NULL ORDER BY created_at, id`)
      : await this.dataSource.query(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE deleted_at IS NULL AND owner_id = $1 ORDER BY created_at, id`, [actor.id]);
    return rows.map(subscriptionView);
  }

  async get(actor: WebhookActor, id: string): Promise<SubscriptionView> {
    const rows: SubscriptionRow[] = await this.dataSource.query(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1 AND deleted_at IS NULL`, [id]);
    const row = rows[0];
    if (!row || (!seesAll(actor) && row.owner_id !== actor.id)) throw new NotFoundException(`webhook subscription ${id} not found`);
    return subscriptionView(row);
  }

  /** Stops deliveries; the subscription and its delivery log stay stored but are no longer visible. */
  async remove(actor: WebhookActor, id: string): Promise<void> {
    await this.get(actor, id);
    await this.dataSource.query('UPDATE webhook_subscriptions SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL', [id]);
  }

  async deliveries(actor: WebhookActor, subscriptionId: string, filter: { status?: WebhookDeliveryStatus; limit: number; offset: number }) {
    await this.get(actor, subscriptionId);
    const params: unknown[] = [subscriptionId, filter.limit, filter.offset];
    const statusClause = filter.status ? 'AND status = $4' : '';
    if (filter.status) params.push(filter.status);
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = $1 ${statusClause} ORDER BY position LIMIT $2 OFFSET $3`,
      params,
    );
    const counted: { total: string }[] = await this.dataSource.query(
      `SELECT count(*) AS total FROM webhook_deliveries WHERE subscription_id = $1 ${filter.status ? 'AND status = $2' : ''}`,
      filter.status ? [subscriptionId, filter.status] : [subscriptionId],
    );
    return { items: rows.map(deliveryView), total: Number(counted[0].total), limit: filter.limit, offset: filter.offset };
  }

  async delivery(actor: WebhookActor, deliveryId: string): Promise<DeliveryView & { attemptLog: AttemptView[] }> {
    const row = await this.visibleDelivery(actor, deliveryId);
    const attempts: { attempted_at: Date; status_code: number | null; error: string | null; duration_ms: number }[] = await this.dataSource.query(
      'SELECT attempted_at, status_code, error, duration_ms FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY id',
      [deliveryId],
    );
    return {
      ...deliveryView(row),
      attemptLog: attempts.map((a) => ({ attemptedAt: a.attempted_at.toISOString(), statusCode: a.status_code, error: a.error, durationMs: a.duration_ms })),
    };
  }

  /**
   * Puts one delivery back in its subscription's queue with a fresh attempt budget. It keeps its
   * place in log order, so it goes out before the subscription's later undelivered events.
   *
   * While any delivery of the subscription is held by a sender (its lease has not run out: being
   * sent, or next in the run being sent) it answers 409 and changes nothing: put back in front of a
   * run under way, it would go out beside that run's request, or after the later events the run
   * still sends. It takes the claim lock alone, so no claim is under way meanwhile and the next
   * claim starts from it. Once the run's attempts are recorded it may be redelivered; an expired
   * lease (its sender died) is no obstacle.
   */
  async redeliver(actor: WebhookActor, deliveryId: string): Promise<DeliveryView> {
    const visible = await this.visibleDelivery(actor, deliveryId);
    const rows = await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(${WEBHOOK_CLAIM_LOCK.class}, ${WEBHOOK_CLAIM_LOCK.key})`);
      // TypeORM answers an UPDATE … RETURNING on Postgres with [rows, affected count].
      const [updated]: [DeliveryRow[], number] = await manager.query(
        `UPDATE webhook_deliveries
            SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL, lease_owner = NULL
          WHERE id = $1
            AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries l
               WHERE l.subscription_id = $2 AND l.status IN ('pending', 'failed') AND l.lease_until IS NOT NULL AND l.lease_until >= clock_timestamp())
          RETURNING ${DELIVERY_COLUMNS}`,
        [deliveryId, visible.subscription_id],
      );
      return updated;
    });
    if (rows.length === 0) {
      throw new ConflictException(
        `webhook subscription ${visible.subscription_id} is being sent to; ask again once the attempts under way are recorded (GET /webhooks/deliveries/${deliveryId})`,
      );
    }
    return deliveryView(rows[0]);
  }

  private async visibleDelivery(actor: WebhookActor, deliveryId: string): Promise<DeliveryRow> {
    const rows: (DeliveryRow & { owner_id: string })[] = await this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS.replace(/(\w+)/g, 'd.$1')}, s.owner_id
         FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
        WHERE d.id = $1 AND s.deleted_at IS NULL`,
      [deliveryId],
    );
    const row = rows[0];
    if (!row || (!seesAll(actor) && row.owner_id !== actor.id)) throw new NotFoundException(`webhook delivery ${deliveryId} not found`);
    return row;
  }
}
