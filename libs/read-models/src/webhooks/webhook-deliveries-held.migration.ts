import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The deliveries a sender holds, by subscription: a claim takes a subscription only when none of
 * its queued deliveries is held, and a redelivery waits until none is. Recording an attempt or
 * handing a delivery back clears its lease, so the index holds the runs under way (and the leases
 * of a sender that died, until they run out): a handful of rows, however long the queues.
 */
export class WebhookDeliveriesHeld1764001900000 implements MigrationInterface {
  name = 'WebhookDeliveriesHeld1764001900000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE INDEX webhook_deliveries_held_idx ON webhook_deliveries (subscription_id, lease_until) WHERE status IN ('pending', 'failed') AND lease_until IS NOT NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX webhook_deliveries_held_idx');
  }
}
