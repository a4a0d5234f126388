import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only event log.
 *
 * - `streams` holds one row per stream with the version of its last event. The expected-version
 *   check is a conditional INSERT/UPDATE on that row, so concurrent appends to one stream
 *   serialise on its row lock and exactly one of them wins.
 * - `events.transaction_id` (the writing transaction's xid8) plus `position` give the global read
 *   order. A bigserial alone is not enough: a transaction can take a lower position and commit
 *   after a higher one has been read. Readers only pass events whose transaction id is below the
 *   current snapshot's xmin (every transaction below it has finished), ordered by
 *   (transaction_id, position) — the approach of event-driven-io/emmett's PostgreSQL store.
 * - Triggers refuse UPDATE, DELETE and TRUNCATE: nothing is ever edited or deleted.
 * - `append_events` does the whole append in one round trip (see its comments). Subscribers are
 *   woken by a NOTIFY on `grant_ledger_events` that the store sends after the commit.
 */
export class EventStore1764000000000 implements MigrationInterface {
  readonly name = 'EventStore1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE streams (
        stream_id text PRIMARY KEY,
        version bigint NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE events (
        position bigserial PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL,
        stream_version bigint NOT NULL,
        event_id uuid NOT NULL CONSTRAINT events_event_id_key UNIQUE,
        type text NOT NULL,
        schema_version int NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
      )`);
    await queryRunner.query(`CREATE INDEX events_transaction_position_idx ON events (transaction_id, position)`);

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

    await queryRunner.query(STORED_RESULT_FUNCTION);
    await queryRunner.query(APPEND_EVENTS_FUNCTION);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION append_events(text, bigint, uuid[], text[], int[], jsonb[], jsonb[])`);
    await queryRunner.query(`DROP FUNCTION append_events_stored_result(text, bigint, uuid[])`);
    await queryRunner.query(`DROP TABLE events`);
    await queryRunner.query(`DROP FUNCTION events_refuse_change()`);
    await queryRunner.query(`DROP TABLE streams`);
  }
}

/**
 * append_events(stream, expected, ids, types, schema versions, data, metadata)
 *   -> (next_expected_version, transaction_id, last_position)
 *
 * p_expected: >= 0 exact version, -1 no stream, -2 any, -3 stream exists (see EXPECTED_* in
 * postgres-event-store.ts). Errors, parsed by the TypeScript adapter:
 *   GLV01  wrong expected version; DETAIL is the actual version (-1: no stream)
 *   GLD01  an event id is already stored elsewhere; DETAIL is the event id
 *   23505 on events_event_id_key  likewise (a later event of the batch, or a duplicate inside it)
 * A retry of an append that already committed (same event ids stored in this stream at exactly
 * the versions the append would have given them) returns the original result instead of failing.
 */
const APPEND_EVENTS_FUNCTION = `
CREATE FUNCTION append_events(
  p_stream_id text,
  p_expected bigint,
  p_event_ids uuid[],
  p_types text[],
  p_schema_versions int[],
  p_data jsonb[],
  p_metadata jsonb[]
) RETURNS TABLE (next_expected_version bigint, transaction_id xid8, last_position bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count int := cardinality(p_event_ids);
  v_version bigint;           -- stream version after the append
  v_actual bigint;            -- stream version seen on a conflict
  v_first bigint;             -- version of the first appended event
  v_stored_stream text;
  v_stored_version bigint;
  -- One timestamp for the whole append, truncated to what a JS Date (and metadata) can hold.
  v_now timestamptz := date_trunc('milliseconds', clock_timestamp());
  v_recorded jsonb := jsonb_build_object(
    'recordedAt', to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
BEGIN
  IF v_count IS NULL OR v_count = 0 THEN
    RAISE EXCEPTION 'append_events needs at least one event' USING ERRCODE = '22023';
  END IF;

  IF p_expected < -1 THEN
    -- any / stream_exists carry no position, so a retry is recognised by the first event id:
    -- if it is stored, the whole batch must be stored consecutively in this stream.
    SELECT e.stream_id, e.stream_version INTO v_stored_stream, v_stored_version
      FROM events e WHERE e.event_id = p_event_ids[1];
    IF FOUND THEN
      RETURN QUERY SELECT * FROM append_events_stored_result(p_stream_id, v_stored_version, p_event_ids);
      IF NOT FOUND THEN
        RAISE EXCEPTION 'event id already stored' USING ERRCODE = 'GLD01', DETAIL = p_event_ids[1]::text;
      END IF;
      RETURN;
    END IF;
  END IF;

  -- The expected-version check and the version bump are one statement on the stream's row.
  IF p_expected = -1 THEN
    INSERT INTO streams AS s (stream_id, version) VALUES (p_stream_id, v_count - 1)
      ON CONFLICT (stream_id) DO NOTHING
      RETURNING s.version INTO v_version;
  ELSIF p_expected = -2 THEN
    INSERT INTO streams AS s (stream_id, version) VALUES (p_stream_id, v_count - 1)
      ON CONFLICT (stream_id) DO UPDATE SET version = s.version + v_count
      RETURNING s.version INTO v_version;
  ELSIF p_expected = -3 THEN
    UPDATE streams s SET version = s.version + v_count WHERE s.stream_id = p_stream_id
      RETURNING s.version INTO v_version;
  ELSE
    UPDATE streams s SET version = s.version + v_count
      WHERE s.stream_id = p_stream_id AND s.version = p_expected
      RETURNING s.version INTO v_version;
  END IF;

  IF v_version IS NULL THEN
    IF p_expected >= -1 THEN
      -- Idempotent retry of a committed append at exactly the same versions?
      RETURN QUERY SELECT * FROM append_events_stored_result(p_stream_id, p_expected + 1, p_event_ids);
      IF FOUND THEN
        RETURN;
      END IF;
    END IF;
    SELECT s.version INTO v_actual FROM streams s WHERE s.stream_id = p_stream_id;
    RAISE EXCEPTION 'wrong expected version' USING ERRCODE = 'GLV01', DETAIL = coalesce(v_actual, -1)::text;
  END IF;

  v_first := v_version - v_count + 1;
  RETURN QUERY
  WITH inserted AS (
    INSERT INTO events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
    SELECT p_stream_id, v_first + t.ord - 1, t.event_id, t.type, t.schema_version, t.data,
           t.metadata || v_recorded, v_now
      FROM unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata)
           WITH ORDINALITY AS t(event_id, type, schema_version, data, metadata, ord)
     ORDER BY t.ord
    RETURNING events.position
  )
  SELECT v_version, pg_current_xact_id(), max(inserted.position) FROM inserted;
  -- No pg_notify here on purpose: a transaction that notifies holds a cluster-wide lock from
  -- its commit until the commit record is flushed, which serialises every concurrent append
  -- and defeats group commit (measured: 1/4 of the plain-INSERT rate at fsync on). The store
  -- sends a coalesced NOTIFY right after the commit instead.
END
$fn$`;

const STORED_RESULT_FUNCTION = `
-- The result of an earlier append of exactly these events at versions p_first.. in p_stream_id,
-- or no row if they are not stored there that way.
CREATE FUNCTION append_events_stored_result(p_stream_id text, p_first bigint, p_event_ids uuid[])
RETURNS TABLE (next_expected_version bigint, transaction_id xid8, last_position bigint)
LANGUAGE sql STABLE AS $fn$
  SELECT tail_event.stream_version, tail_event.transaction_id, tail_event.position
    FROM events tail_event
   WHERE tail_event.stream_id = p_stream_id
     AND tail_event.stream_version = p_first + cardinality(p_event_ids) - 1
     AND tail_event.event_id = p_event_ids[cardinality(p_event_ids)]
     AND (SELECT count(*) FROM unnest(p_event_ids) WITH ORDINALITY AS t(event_id, ord)
            JOIN events e ON e.stream_id = p_stream_id
                         AND e.stream_version = p_first + t.ord - 1
                         AND e.event_id = t.event_id) = cardinality(p_event_ids)
$fn$`;
