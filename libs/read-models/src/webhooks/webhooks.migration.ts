import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1764000700000 implements MigrationInterface {
  name = 'Webhooks1764000700000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE webhook_subscriptions (
        id uuid PRIMARY KEY,
        owner_id text NOT NULL,
        url text NOT NULL,
        event_types text[] NOT NULL,
        description text,
        secret_sealed text NOT NULL,
        created_at timestamptz NOT NULL,
        deleted_at timestamptz
      )`);
    await runner.query('CREATE INDEX webhook_subscriptions_owner_idx ON webhook_subscriptions (owner_id, created_at)');
    await runner.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY,
        subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id),
        event_id text NOT NULL,
        event_type text NOT NULL,
        position text NOT NULL,
        body text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_status_code int,
        last_error text,
        delivered_at timestamptz,
        lease_until timestamptz,
        lease_owner text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (subscription_id, event_id)
      )`);
    // The sender's question: for each subscription, its oldest delivery still to send.
    await runner.query(`CREATE INDEX webhook_deliveries_queue_idx ON webhook_deliveries (subscription_id, position) WHERE status IN ('pending', 'failed')`);
    await runner.query('CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (subscription_id, position)');
    await runner.query(`
      CREATE TABLE webhook_delivery_attempts (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id),
        attempted_at timestamptz NOT NULL DEFAULT now(),
        status_code int,
        error text,
        duration_ms int NOT NULL
      )`);
    await runner.query('CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, id)');
    // The fan-out's own checkpoint: deliberately not in projection_checkpoints, so that a projection
    // rebuild (which resets those) never re-reads the log into webhook deliveries.
    await runner.query(`
      CREATE TABLE webhook_fanout_checkpoint (
        name text PRIMARY KEY,
        position text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE webhook_fanout_checkpoint');
    await runner.query('DROP TABLE webhook_delivery_attempts');
    await runner.query('DROP TABLE webhook_deliveries');
    await runner.query('DROP TABLE webhook_subscriptions');
  }
}
