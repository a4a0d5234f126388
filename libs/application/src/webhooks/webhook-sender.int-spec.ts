import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { failingTransactions } from '../../../../test/support/failing-transactions';
import { eventually } from '../../../../test/support/app';
import { databaseOptions } from '../database-options';
import { SsrfGuard } from './ssrf-guard';
import type { WebhookConfig } from './webhook-config';
import { WebhookSecretBox } from './webhook-secret-box';
import { WebhookSender } from './webhook-sender';

const silent = { log: () => undefined, error: () => undefined };

describe('the webhook sender when an attempt cannot be recorded', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let receiver: Server;
  const received: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('webhook_sender');
    dataSource = await new DataSource(databaseOptions(db.url)).initialize();
    receiver = createServer((req, res) => {
      received.push(String(req.headers['webhook-id']));
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await dataSource.destroy();
    await db.drop();
  });

  it('hands the delivery back at once, not at its lease expiry, so the subscription does not stall behind it', async () => {
    const box = new WebhookSecretBox(randomBytes(32));
    const subscriptionId = randomUUID();
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await dataSource.query(
      `INSERT INTO webhook_subscriptions (id, owner_id, url, event_types, secret_sealed, created_at) VALUES ($1, 'partner', $2, '{}', $3, now())`,
      [subscriptionId, url, box.seal('whsec_test')],
    );
    const eventIds = [randomUUID(), randomUUID(), randomUUID()];
    for (const [index, eventId] of eventIds.entries()) {
      await dataSource.query(
        `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, position, body, status, next_attempt_at) VALUES ($1, $2, $3, 'x', $4, '{}', 'pending', now())`,
        [randomUUID(), subscriptionId, eventId, String(index).padStart(20, '0')],
      );
    }
    // The first attempt is sent, but recording it fails (as when the database restarts meanwhile).
    const flaky = failingTransactions(dataSource, 1);
    // A lease of 60 s + 30 s margin: left to run out, the subscription would wait a minute and a half.
    const config: WebhookConfig = { allowedHosts: ['127.0.0.1'], timeoutMs: 60_000, retryBaseMs: 10, retryMaxMs: 50, maxAttempts: 5, pollMs: 50, concurrency: 4 };
    const sender = new WebhookSender(flaky, config, new SsrfGuard(config.allowedHosts), box, silent);
    sender.start();
    try {
      const statuses = await eventually(async () => {
        const rows: { status: string }[] = await dataSource.query('SELECT status FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY position', [subscriptionId]);
        return rows.every((row) => row.status === 'succeeded') ? rows.map((row) => row.status) : undefined;
      }, 10_000);
      expect(statuses).toEqual(['succeeded', 'succeeded', 'succeeded']);
      // At least once: the first event went out twice (its first attempt was never recorded), then each in order.
      expect(received).toEqual([eventIds[0], eventIds[0], eventIds[1], eventIds[2]]);
    } finally {
      await sender.stop();
    }
  });
});
