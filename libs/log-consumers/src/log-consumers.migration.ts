import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per consumer of the log (projector or reactor): its checkpoint, the lease that makes one
 * process its leader, and the event it is stalled on, if any. Replaces projection_checkpoints and
 * webhook_fanout_checkpoint (their positions are carried over) and the advisory locks that held a
 * pool connection per consumer for ever.
 */
export class LogConsumers1764001000000 implements MigrationInterface {
  name = 'LogConsumers1764001000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE log_consumers (
        name text PRIMARY KEY,
        position text,
        owner text,
        fencing_token bigint NOT NULL DEFAULT 0,
        lease_expires_at timestamptz NOT NULL DEFAULT '-infinity',
        stalled_position text,
        stalled_error text,
        stalled_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`INSERT INTO log_consumers (name, position, updated_at) SELECT name, position, updated_at FROM projection_checkpoints`);
    await runner.query(`INSERT INTO log_consumers (name, position, updated_at) SELECT name, position, updated_at FROM webhook_fanout_checkpoint
                        ON CONFLICT (name) DO NOTHING`);
    await runner.query('DROP TABLE projection_checkpoints');
    await runner.query('DROP TABLE webhook_fanout_checkpoint');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE projection_checkpoints (name text PRIMARY KEY, position text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    await runner.query(`CREATE TABLE webhook_fanout_checkpoint (name text PRIMARY KEY, position text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    await runner.query(`INSERT INTO webhook_fanout_checkpoint (name, position) SELECT name, position FROM log_consumers WHERE name = 'webhook-fan-out' AND position IS NOT NULL`);
    await runner.query(`INSERT INTO projection_checkpoints (name, position) SELECT name, position FROM log_consumers WHERE name <> 'webhook-fan-out' AND position IS NOT NULL`);
    await runner.query('DROP TABLE log_consumers');
  }
}
