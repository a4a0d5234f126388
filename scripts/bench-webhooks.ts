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
import { SsrfGuard } from '@app/application/webhooks/ssrf-guard';
import type { WebhookConfig } from '@app/application/webhooks/webhook-config';
import { WebhookSecretBox } from '@app/application/webhooks/webhook-secret-box';
import { WebhookSender } from '@app/application/webhooks/webhook-sender';
import { createTestDatabase } from '../test/support/database';
import { benchPostgres } from '../test/setup/postgres-server';

const DELIVERIES = Number(process.env.BENCH_WEBHOOK_DELIVERIES ?? 10_000);
const SUBSCRIPTIONS = Number(process.env.BENCH_WEBHOOK_SUBSCRIPTIONS ?? 1);
const ROUNDS = Number(process.env.BENCH_WEBHOOK_ROUNDS ?? 3);
const silent = { log: () => undefined, error: (message: string, fields?: unknown) => console.error(message, fields) };

async function main(): Promise<void> {
  const { url: serverUrl } = await benchPostgres();
  process.env.TEST_DATABASE_URL = serverUrl;
  const db = await createTestDatabase('bench_webhooks');
  const dataSource = await new DataSource(databaseOptions(db.url)).initialize();

  const received = new Map<string, string[]>();
  const receiver = createServer((req, res) => {
    const list = received.get(req.url ?? '') ?? [];
    list.push(String(req.headers['webhook-id']));
    received.set(req.url ?? '', list);
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const box = new WebhookSecretBox(randomBytes(32));
  const config: WebhookConfig = { allowedHosts: ['127.0.0.1'], timeoutMs: 10_000, retryBaseMs: 100, retryMaxMs: 1_000, maxAttempts: 8, pollMs: 1_000, concurrency: 8 };

  console.log(`bench:webhooks: ${DELIVERIES} deliveries for each of ${SUBSCRIPTIONS} subscription(s), ${ROUNDS} round(s), PostgreSQL fsync on`);
  try {
    for (let round = 1; round <= ROUNDS; round += 1) {
      received.clear();
      const expected = new Map<string, string[]>();
      for (let s = 0; s < SUBSCRIPTIONS; s += 1) {
        const subscriptionId = randomUUID();
        const path = `/hook/${subscriptionId}`;
        await dataSource.query(
          `INSERT INTO webhook_subscriptions (id, owner_id, url, event_types, secret_sealed, created_at) VALUES ($1, 'partner', $2, '{}', $3, now())`,
          [subscriptionId, base + path, box.seal('whsec_bench')],
        );
        const eventIds = Array.from({ length: DELIVERIES }, () => randomUUID());
        expected.set(path, eventIds);
        const body = JSON.stringify({ type: 'award.made', data: { padding: 'x'.repeat(600) } });
        await dataSource.query(
          `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, position, body, status, next_attempt_at)
           SELECT gen_random_uuid(), $1, e.id, 'award.made', lpad(e.n::text, 20, '0'), $3, 'pending', now()
             FROM unnest($2::text[]) WITH ORDINALITY AS e(id, n)`,
          [subscriptionId, eventIds, body],
        );
      }
      await dataSource.query('VACUUM ANALYZE webhook_deliveries');
      const total = DELIVERIES * SUBSCRIPTIONS;
      const sender = new WebhookSender(dataSource, config, new SsrfGuard(config.allowedHosts), box, silent);
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
      console.log(
        `round ${round}: ${total} deliveries in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} deliveries/s; ` +
          `sender CPU ${((cpu.user + cpu.system) / total).toFixed(0)} µs/delivery (receiver included); ` +
          `not succeeded ${left}; subscriptions that received every event once, in order: ${inOrder} of ${SUBSCRIPTIONS}; load ${loadavg()[0].toFixed(1)}`,
      );
      if (Number(left) !== 0 || inOrder !== SUBSCRIPTIONS) process.exitCode = 1;
      await dataSource.query('DELETE FROM webhook_delivery_attempts');
      await dataSource.query('DELETE FROM webhook_deliveries');
    }
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
    await dataSource.destroy();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
