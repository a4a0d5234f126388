import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only event log: one table, no stream table to update, no stored procedure on the write
 * path. (An earlier design kept a `streams` table and a plpgsql append; measured, it cost about a third
 * more CPU per append. `streams` is now a view over the log.)
 *
 * - The stream's version lives in the log itself. UNIQUE (stream_id, stream_version) lets at most
 *   one event hold each version, so of two appends at the same expected version only one can
 *   insert; the other gets a unique violation (after waiting for the winner to commit). An append
 *   at an exact version N >= 0 inserts only if the event at version N is already committed, and
 *   committed events are never removed (see the triggers), so versions 0..N exist before N + 1
 *   does: a stream never has a gap. The whole check-and-insert is one INSERT ... SELECT; see
 *   postgres-event-store.ts for the statements and the slow path taken on a conflict.
 * - `events.transaction_id` (the writing transaction's xid8) plus `position` give the global read
 *   order and are the primary key. A bigserial alone is not enough: a transaction can take a lower
 *   position and commit after a higher one has been read. Readers only pass events whose
 *   transaction id is below the current snapshot's xmin (every transaction below it has finished),
 *   ordered by (transaction_id, position) — the approach of event-driven-io/emmett's PostgreSQL store.
 * - Three indexes in all (the primary key, event_id, (stream_id, stream_version)): each one is paid
 *   on every append, so there is no other.
 * - Triggers refuse UPDATE, DELETE and TRUNCATE: nothing is ever edited or deleted.
 * - Subscribers are woken by a NOTIFY on `grant_ledger_events` that the store sends after the
 *   commit (a NOTIFY inside the append's transaction would serialise all commits).
 */
export class EventStore1764000000000 implements MigrationInterface {
  readonly name = 'EventStore1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE events (
        position bigserial NOT NULL,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL,
        stream_version bigint NOT NULL,
        event_id uuid NOT NULL,
        type text NOT NULL,
        schema_version int NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        CONSTRAINT events_pkey PRIMARY KEY (transaction_id, position),
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version),
        CONSTRAINT events_event_id_key UNIQUE (event_id),
        CONSTRAINT events_stream_version_check CHECK (stream_version >= 0)
      )`);

    await queryRunner.query(`
      CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events is append-only: % refused', TG_OP USING ERRCODE = 'GLA01';
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION events_refuse_change()`);
    await queryRunner.query(`
      CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()`);
    // The streams, for people and tools that look: derived from the log, so it costs appends nothing.
    await queryRunner.query(`
      CREATE VIEW streams AS
        SELECT stream_id, max(stream_version) AS version, count(*) AS event_count,
               min(recorded_at) AS created_at, max(recorded_at) AS updated_at
          FROM events GROUP BY stream_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW streams`);
    await queryRunner.query(`DROP TABLE events`);
    await queryRunner.query(`DROP FUNCTION events_refuse_change()`);
  }
}
