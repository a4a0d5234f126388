/**
 * Webhook sender benchmark: how fast does one sender drain a subscription's backlog, in log order,
 * at real durability (fsync on)?
 *
 *   npx tsx scripts/bench-webhooks.ts          (npm run bench:webhooks)
 *
 * Starts its own PostgreSQL (durable) unless DATABASE_URL points at a server; either way it runs in
 * a throwaway database that is dropped at the end. It queues BENCH_WEBHOOK_DELIVERIES (default
 * 10,000) deliveries for each of BENCH_WEBHOOK_SUBSCRIPTIONS (default 1) subscriptions, as the
 * fan-out does, starts one WebhookSender against a local receiver that answers 204, and times the
 * drain until every delivery has succeeded. It prints deliveries per second, the sender process's
 * CPU per delivery, and checks that each subscription received its events once each and in order.
 * BENCH_WEBHOOK_ROUNDS (default 3) repeats the drain on a fresh backlog.
 *
 * Each round drains two kinds of backlog (BENCH_WEBHOOK_BODIES=plain,organisations, default both):
 * - plain: bodies that show no organisation (a call's events, payments), sent as queued;
 * - organisations: `grant.awarded` bodies as the fan-out queues them (PublicEventSource.mapBatch on
 *   GrantAwarded events, every organisation withheld, with the ids it shows), each naming a grantee
 *   and a partner among BENCH_WEBHOOK_ORGANISATIONS (default 1,000) organisations of the read
 *   model, half of which consent to publication. The sender renders them as the worker does
 *   (PublicEventSource.render: one consent look-up per batch, each body parsed, shown again and
 *   serialised), so what is measured includes that; the receiver counts the organisations it was
 *   shown by name and withheld, and the round fails unless it saw both.
 *
 * A single subscription is the case that matters: its deliveries go out one at a time (log order),
 * so its throughput is bounded by one attempt's round trips. The fault suite (scenario c) relies on
 * it keeping up with a loaded API.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { DataSource } from 'typeorm';
import { databaseOptions } from '@app/application/database-options';
import { DEV_ONLY_PSEUDONYM_SECRET, PublicEventMapper } from '@app/application/public-events';
import { type PublicEventSource, webhookBody } from '@app/application/webhooks/public-event-source';
import { SsrfGuard } from '@app/application/webhooks/ssrf-guard';
import { publicEventSource } from '@app/application/webhooks/webhook.providers';
import type { RecordedEvent } from '@app/event-store';
import { OrganisationView } from '@app/read-models/organisations/organisation-view.entity';
import { OrganisationsQuery } from '@app/read-models/organisations/organisations.query';
import type { WebhookConfig } from '@app/application/webhooks/webhook-config';
import { WebhookSecretBox } from '@app/application/webhooks/webhook-secret-box';
import { WebhookSender } from '@app/application/webhooks/webhook-sender';
import { createTestDatabase } from '../test/support/database';
import { benchPostgres } from '../test/setup/postgres-server';

const DELIVERIES = Number(process.env.BENCH_WEBHOOK_DELIVERIES ?? 10_000);
const SUBSCRIPTIONS = Number(process.env.BENCH_WEBHOOK_SUBSCRIPTIONS ?? 1);
const ROUNDS = Number(process.env.BENCH_WEBHOOK_ROUNDS ?? 3);
const ORGANISATIONS = Number(process.env.BENCH_WEBHOOK_ORGANISATIONS ?? 1_000);
type Bodies = 'plain' | 'organisations';
const BODIES = (process.env.BENCH_WEBHOOK_BODIES?.split(',').map((kind) => kind.trim()) ?? ['plain', 'organisations']) as Bodies[];
const silent = { log: () => undefined, error: (message: string, fields?: unknown) => console.error(message, fields) };

async function main(): Promise<void> {
  const { url: serverUrl } = await benchPostgres();
  process.env.TEST_DATABASE_URL = serverUrl;
  const db = await createTestDatabase('bench_webhooks');
  const dataSource = await new DataSource(databaseOptions(db.url)).initialize();

  const received = new Map<string, string[]>();
  const shown = { named: 0, withheld: 0 };
  const receiver = createServer((req, res) => {
    const list = received.get(req.url ?? '') ?? [];
    list.push(String(req.headers['webhook-id']));
    received.set(req.url ?? '', list);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      shown.named += body.split('"withheld":false').length - 1;
      shown.withheld += body.split('"withheld":true').length - 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const box = new WebhookSecretBox(randomBytes(32));
  const config: WebhookConfig = { allowedHosts: ['127.0.0.1'], timeoutMs: 10_000, retryBaseMs: 100, retryMaxMs: 1_000, maxAttempts: 8, pollMs: 1_000, concurrency: 8 };
  const organisationIds = Array.from({ length: ORGANISATIONS }, () => randomUUID());
  const source = publicEventSource(new PublicEventMapper(DEV_ONLY_PSEUDONYM_SECRET, new OrganisationsQuery(dataSource.getRepository(OrganisationView))));
  if (BODIES.includes('organisations')) {
    // The read model's organisations: every other one consents to publication.
    await dataSource.query(
      `INSERT INTO organisations (id, name, country, legal_status, focus_groups, member_user_ids, publication_consent, personal_data_erased, registered_at, updated_at, version)
       SELECT o.id::uuid, 'Network ' || o.n, 'LB', 'registered-ngo', '{refugees}', '{}', CASE WHEN o.n % 2 = 0 THEN 'public' ELSE 'withheld' END, false, now(), now(), 0
         FROM unnest($1::text[]) WITH ORDINALITY AS o(id, n)`,
      [organisationIds],
    );
  }

  console.log(
    `bench:webhooks: ${DELIVERIES} deliveries for each of ${SUBSCRIPTIONS} subscription(s), ${ROUNDS} round(s) of ${BODIES.join(' and ')} bodies` +
      `${BODIES.includes('organisations') ? ` (${ORGANISATIONS} organisations, half of them public)` : ''}, PostgreSQL fsync on`,
  );
  try {
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const bodies of BODIES) {
        received.clear();
        shown.named = 0;
        shown.withheld = 0;
        const expected = new Map<string, string[]>();
        for (let s = 0; s < SUBSCRIPTIONS; s += 1) {
          const subscriptionId = randomUUID();
          const path = `/hook/${subscriptionId}`;
          await dataSource.query(
            `INSERT INTO webhook_subscriptions (id, owner_id, url, event_types, secret_sealed, created_at) VALUES ($1, 'partner', $2, '{}', $3, now())`,
            [subscriptionId, base + path, box.seal('whsec_bench')],
          );
          const queued = bodies === 'plain' ? plainBodies() : await awardBodies(source, organisationIds);
          expected.set(path, queued.eventIds);
          await dataSource.query(
            `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, position, body, organisation_ids, status, next_attempt_at)
             SELECT gen_random_uuid(), $1, e.id, e.type, lpad(e.n::text, 20, '0'), e.body, ARRAY(SELECT jsonb_array_elements_text(e.organisation_ids::jsonb)), 'pending', now()
               FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS e(id, type, body, organisation_ids, n)`,
            [subscriptionId, queued.eventIds, queued.types, queued.bodies, queued.organisationIds],
          );
        }
        await dataSource.query('VACUUM ANALYZE webhook_deliveries');
        const total = DELIVERIES * SUBSCRIPTIONS;
        const sender = new WebhookSender(dataSource, config, new SsrfGuard(config.allowedHosts), box, silent, (stored) => source.render(stored));
        const cpuBefore = process.cpuUsage();
        const started = process.hrtime.bigint();
        sender.start();
        let delivered = 0;
        const stop = sender.onAttempt(() => (delivered += 1));
        while (delivered < total) await new Promise((resolve) => setTimeout(resolve, 20));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const cpu = process.cpuUsage(cpuBefore);
        stop();
        await sender.stop();
        const [{ left }]: { left: string }[] = await dataSource.query(`SELECT count(*) AS left FROM webhook_deliveries WHERE status <> 'succeeded'`);
        let inOrder = 0;
        for (const [path, ids] of expected) if (JSON.stringify(received.get(path)) === JSON.stringify(ids)) inOrder += 1;
        // Bodies showing organisations must reach the receiver rendered: consenting ones by name, the others withheld.
        const rendered = bodies === 'plain' || (shown.named > 0 && shown.withheld > 0);
        console.log(
          `round ${round}, ${bodies === 'plain' ? 'plain bodies' : 'bodies showing organisations'}: ${total} deliveries in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} deliveries/s; ` +
            `sender CPU ${((cpu.user + cpu.system) / total).toFixed(0)} µs/delivery (receiver included); ` +
            `not succeeded ${left}; subscriptions that received every event once, in order: ${inOrder} of ${SUBSCRIPTIONS}` +
            `${bodies === 'plain' ? '' : `; organisations shown by name ${shown.named}, withheld ${shown.withheld}`}; load ${loadavg()[0].toFixed(1)}`,
        );
        if (Number(left) !== 0 || inOrder !== SUBSCRIPTIONS || !rendered) process.exitCode = 1;
        await dataSource.query('DELETE FROM webhook_delivery_attempts');
        await dataSource.query('DELETE FROM webhook_deliveries');
      }
    }
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
    await dataSource.destroy();
    await db.drop();
  }
}

interface QueuedBodies {
  eventIds: string[];
  types: string[];
  bodies: string[];
  /** Per delivery, the JSON array of the organisations its body shows (as the fan-out passes them). */
  organisationIds: string[];
}

/** Bodies that show no organisation: sent as queued, with no look-up. */
function plainBodies(): QueuedBodies {
  const eventIds = Array.from({ length: DELIVERIES }, () => randomUUID());
  const body = JSON.stringify({ type: 'award.made', data: { padding: 'x'.repeat(600) } });
  return { eventIds, types: eventIds.map(() => 'award.made'), bodies: eventIds.map(() => body), organisationIds: eventIds.map(() => '[]') };
}

/** `grant.awarded` bodies as the fan-out queues them (mapBatch, webhookBody), a grantee and a partner each. */
async function awardBodies(source: PublicEventSource, organisations: readonly string[]): Promise<QueuedBodies> {
  const queued: QueuedBodies = { eventIds: [], types: [], bodies: [], organisationIds: [] };
  const recordedAt = new Date();
  for (let from = 0; from < DELIVERIES; from += 1_000) {
    const events: RecordedEvent[] = [];
    for (let i = from; i < Math.min(from + 1_000, DELIVERIES); i += 1) {
      const grantId = randomUUID();
      const data = {
        grantId,
        proposalId: randomUUID(),
        callId: randomUUID(),
        granteeOrganisationId: organisations[i % organisations.length],
        partnerOrganisationIds: [organisations[(i * 7 + 1) % organisations.length]],
        amountMinor: 1_500_000,
        currency: 'EUR',
        periodStart: '2027-01-01',
        periodEnd: '2028-12-31',
        conditions: ['Annual audit'],
        awardedAt: recordedAt.toISOString(),
      };
      const eventId = randomUUID();
      const metadata = { eventId, actorId: 'alice', actorRole: 'grant-manager', correlationId: grantId, causationId: grantId, recordedAt: recordedAt.toISOString() };
      events.push({ streamId: `grant-${grantId}`, streamVersion: 0, position: String(i), eventId, type: 'GrantAwarded', schemaVersion: 1, data, metadata, recordedAt });
    }
    const mapped = await source.mapBatch(events);
    for (const event of events) {
      const publicEvent = mapped.get(event.eventId);
      if (!publicEvent) throw new Error(`GrantAwarded ${event.eventId} has no public form`);
      queued.eventIds.push(publicEvent.id);
      queued.types.push(publicEvent.type);
      queued.bodies.push(webhookBody(publicEvent));
      queued.organisationIds.push(JSON.stringify(publicEvent.organisationIds));
    }
  }
  return queued;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
