import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed checkpoints of the global log (see sealer.ts). A seal says: the first `event_count` events
 * of the log, the last at `position`, fold to `chain_hash`; `signature` is Ed25519 over that
 * statement with `created_at` and `key_id` (audit-signing-key.ts). Rows are never changed: the same
 * triggers as on `events` refuse it (a superuser can disable them, which is why seals are signed).
 */
export class AuditSeals1764000250000 implements MigrationInterface {
  name = 'AuditSeals1764000250000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE audit_seals (
        seq bigserial PRIMARY KEY,
        position text NOT NULL,
        event_count bigint NOT NULL,
        chain_hash text NOT NULL,
        key_id text NOT NULL,
        signature text NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT audit_seals_event_count_key UNIQUE (event_count),
        CONSTRAINT audit_seals_event_count_check CHECK (event_count > 0)
      )`);
    await runner.query(`
      CREATE FUNCTION audit_seals_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_seals is append-only: % refused', TG_OP USING ERRCODE = 'GLA02';
      END $$`);
    await runner.query(`
      CREATE TRIGGER audit_seals_refuse_update_delete BEFORE UPDATE OR DELETE ON audit_seals
        FOR EACH ROW EXECUTE FUNCTION audit_seals_refuse_change()`);
    await runner.query(`
      CREATE TRIGGER audit_seals_refuse_truncate BEFORE TRUNCATE ON audit_seals
        FOR EACH STATEMENT EXECUTE FUNCTION audit_seals_refuse_change()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE audit_seals');
    await runner.query('DROP FUNCTION audit_seals_refuse_change()');
  }
}
