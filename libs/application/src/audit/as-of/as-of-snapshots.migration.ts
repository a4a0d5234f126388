import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Derived, disposable checkpoints of as-of replays (see as-of-replay.ts): the rows one entity's
 * projection held after the first `stream_version + 1` events of its stream. `projection_hash`
 * identifies the projection code that produced them (rows of another hash are never read), and
 * `max_recorded_at` is the latest recordedAt among those events, so a snapshot serves an as-of
 * instant only if its whole prefix was recorded by then. Only projections whose rows hold no
 * personal data are snapshotted. Truncating the table at any time is safe.
 */
export class AsOfSnapshots1764000900000 implements MigrationInterface {
  name = 'AsOfSnapshots1764000900000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE as_of_snapshots (
        stream_id text NOT NULL,
        projection_hash text NOT NULL,
        stream_version bigint NOT NULL,
        max_recorded_at timestamptz NOT NULL,
        rows jsonb NOT NULL,
        CONSTRAINT as_of_snapshots_pkey PRIMARY KEY (stream_id, projection_hash, stream_version)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE as_of_snapshots');
  }
}
