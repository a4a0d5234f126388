import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The deliveries a sender holds, by subscription: a claim takes a subscription only when none of
 * its queued deliveries is held, and a redelivery answers 409 while any is. Recording an attempt or
 * handing a delivery back clears its lease, so the index holds only the runs under way (at most a
 * run's length, 100 rows, per subscription) and the leases of a sender that died, until they run
 * out: however long the queues grow.
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
