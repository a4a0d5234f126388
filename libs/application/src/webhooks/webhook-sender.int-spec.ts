import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { failingQueries } from '../../../../test/support/failing-transactions';
import { eventually } from '../../../../test/support/app';
import { databaseOptions } from '../database-options';
import { SsrfGuard } from './ssrf-guard';
import type { WebhookConfig } from './webhook-config';
import { WebhookSecretBox } from './webhook-secret-box';
import { WebhookSender } from './webhook-sender';

const silent = { log: () => undefined, error: () => undefined };

describe('the webhook sender', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let receiver: Server;
  /** Per subscription (the path), the webhook-id of every request, in the order they arrived. */
  const received = new Map<string, string[]>();
  /** Per subscription, how many requests still get a 503. */
  const failNext = new Map<string, number>();
  const box = new WebhookSecretBox(randomBytes(32));

  beforeAll(async () => {
    db = await createTestDatabase('webhook_sender');
    dataSource = await new DataSource(databaseOptions(db.url)).initialize();
    receiver = createServer((req, res) => {
      const path = req.url ?? '';
      received.set(path, [...(received.get(path) ?? []), String(req.headers['webhook-id'])]);
      const failures = failNext.get(path) ?? 0;
      if (failures > 0) failNext.set(path, failures - 1);
      req.resume();
      req.on('end', () => res.writeHead(failures > 0 ? 503 : 204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await dataSource.destroy();
    await db.drop();
  });

  /** A subscription with `count` queued deliveries, in log order; answers its path and event ids. */
  async function subscriptionWithQueue(count: number): Promise<{ id: string; path: string; eventIds: string[] }> {
    const id = randomUUID();
    const path = `/hook/${id}`;
    await dataSource.query(
      `INSERT INTO webhook_subscriptions (id, owner_id, url, event_types, secret_sealed, created_at) VALUES ($1, 'partner', $2, '{}', $3, now())`,
      [id, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${path}`, box.seal('whsec_test')],
    );
    const eventIds = Array.from({ length: count }, () => randomUUID());
    await dataSource.query(
      `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, position, body, status, next_attempt_at)
       SELECT gen_random_uuid(), $1, e.id, 'x', lpad(e.n::text, 20, '0'), '{}', 'pending', now() FROM unnest($2::text[]) WITH ORDINALITY AS e(id, n)`,
      [id, eventIds],
    );
    return { id, path, eventIds };
  }

  async function allSucceeded(subscriptionId: string, timeoutMs = 20_000): Promise<void> {
    await eventually(async () => {
      const [row]: { left: string }[] = await dataSource.query(`SELECT count(*) AS left FROM webhook_deliveries WHERE subscription_id = $1 AND status <> 'succeeded'`, [subscriptionId]);
      return Number(row.left) === 0 ? true : undefined;
    }, timeoutMs);
  }

  function config(overrides: Partial<WebhookConfig> = {}): WebhookConfig {
    return { allowedHosts: ['127.0.0.1'], timeoutMs: 60_000, retryBaseMs: 10, retryMaxMs: 50, maxAttempts: 5, pollMs: 50, concurrency: 4, ...overrides };
  }

  it('hands a run whose outcomes could not be recorded back at once, not at its lease expiry, and sends it again in order', async () => {
    const { id, path, eventIds } = await subscriptionWithQueue(3);
    // The run is sent, but recording its outcomes fails (as when the database restarts meanwhile).
    const flaky = failingQueries(dataSource, 1, /INSERT INTO webhook_delivery_attempts/);
    // A lease of 60 s + 30 s margin: left to run out, the subscription would wait a minute and a half.
    const settings = config();
    const sender = new WebhookSender(flaky, settings, new SsrfGuard(settings.allowedHosts), box, silent);
    sender.start();
    try {
      await allSucceeded(id, 10_000);
      // At least once: the unrecorded run went out twice, each time in log order.
      expect(received.get(path)).toEqual([...eventIds, ...eventIds]);
      const attempts: { n: string }[] = await dataSource.query(
        'SELECT count(*) AS n FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = $1',
        [id],
      );
      expect(Number(attempts[0].n)).toBe(3);
    } finally {
      await sender.stop();
    }
  });

  it('sends nothing after a failed delivery until it succeeds: the failure ends the run and its retry waits for the backoff', async () => {
    const { id, path, eventIds } = await subscriptionWithQueue(4);
    failNext.set(path, 2);
    const settings = config();
    const sender = new WebhookSender(dataSource, settings, new SsrfGuard(settings.allowedHosts), box, silent);
    sender.start();
    try {
      await allSucceeded(id);
      expect(received.get(path)).toEqual([eventIds[0], eventIds[0], eventIds[0], ...eventIds.slice(1)]);
      const [head]: { attempts: number; last_status_code: number }[] = await dataSource.query(
        `SELECT attempts, last_status_code FROM webhook_deliveries WHERE subscription_id = $1 AND event_id = $2`,
        [id, eventIds[0]],
      );
      expect(head).toEqual({ attempts: 3, last_status_code: 204 });
    } finally {
      await sender.stop();
    }
  });

  it('keeps log order per subscription with two senders competing for the same queues (a first receipt never comes before its predecessor’s)', async () => {
    const queues = await Promise.all([subscriptionWithQueue(400), subscriptionWithQueue(400), subscriptionWithQueue(400)]);
    // Some failures, so that runs end early and the queues change hands between the senders.
    for (const queue of queues) failNext.set(queue.path, 3);
    const settings = config({ concurrency: 2 });
    const errors: string[] = [];
    const logger = { log: () => undefined, error: (message: string, fields?: Record<string, unknown>) => errors.push(`${message}: ${String(fields?.error)}`) };
    const senders = [0, 1].map(() => new WebhookSender(dataSource, settings, new SsrfGuard(settings.allowedHosts), box, logger));
    for (const sender of senders) sender.start();
    try {
      for (const queue of queues) await allSucceeded(queue.id);
      for (const queue of queues) {
        const requests = received.get(queue.path) ?? [];
        const firstReceipts = requests.filter((eventId, index) => requests.indexOf(eventId) === index);
        expect(firstReceipts).toEqual(queue.eventIds);
      }
      // Claims and records lock rows in one order: competing senders never deadlock (nor fail otherwise).
      expect(errors).toEqual([]);
    } finally {
      await Promise.all(senders.map((sender) => sender.stop()));
    }
  });
});
