/**
 * The SQL of leadership and checkpoints, on the `log_consumers` table (see the migration).
 *
 * A lease is a row's (owner, fencing_token, lease_expires_at), expiry judged by the database's
 * clock. Taking a free or expired lease increments the fencing token; every checkpoint write is a
 * compare-and-set on (owner, token, previous position), so a process that lost its lease — paused,
 * cut off, or replaced after a database restart — can never write again, and a checkpoint can only
 * move from the position its leader last saw. A projector's checkpoint write is the last statement
 * of the batch's transaction: a leader deposed during the batch fails there and the whole batch
 * rolls back. Heartbeats skip rows locked by a batch instead of waiting for them.
 *
 * No statement here holds a connection between calls: leadership costs no pool slot.
 */

import { escapeLiteral } from 'pg';

/** What any query function needs to look like: TypeORM's DataSource and EntityManager both fit. */
export interface Sql {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface Lease {
  token: string;
  /** The checkpoint when the lease was taken (or last moved by this leader). */
  position: string | null;
}

export interface LeaseRow {
  name: string;
  fencing_token: string;
  position: string | null;
  stalled_position: string | null;
}

async function rows<T>(sql: Sql, text: string, params: unknown[]): Promise<T[]> {
  const result = await sql.query(text, params);
  // TypeORM answers an UPDATE … RETURNING with [rows, affected], anything else with the rows.
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

export async function ensureConsumerRows(sql: Sql, names: readonly string[]): Promise<void> {
  await sql.query('INSERT INTO log_consumers (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING', [names]);
}

/**
 * Takes every named lease that is free or expired; returns those taken. Rows locked by a batch in
 * flight are skipped, never waited for: a heartbeat must not stall behind another process's batch.
 */
export function acquireLeases(sql: Sql, owner: string, names: readonly string[], ttlMs: number): Promise<LeaseRow[]> {
  return rows<LeaseRow>(
    sql,
    `UPDATE log_consumers
        SET owner = $1, fencing_token = fencing_token + 1,
            lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond', updated_at = now()
      WHERE name IN (SELECT name FROM log_consumers
                      WHERE name = ANY ($2::text[]) AND (owner IS NULL OR lease_expires_at <= clock_timestamp())
                      FOR UPDATE SKIP LOCKED)
      RETURNING name, fencing_token::text, position, stalled_position`,
    [owner, names, ttlMs],
  );
}

export interface HeldLease {
  name: string;
  token: string;
}

/**
 * Extends the leases this owner holds and tells which it still holds (a missing name is a lost
 * lease). Held means: still this owner with the same fencing token — an expired lease nobody took
 * is still safely ours, since taking it would have changed the token. A row locked by our own batch
 * is not waited for (that batch extends the lease itself when it commits).
 */
export function renewLeases(sql: Sql, owner: string, held: readonly HeldLease[], ttlMs: number): Promise<LeaseRow[]> {
  return rows<LeaseRow>(
    sql,
    `WITH mine AS (
       SELECT * FROM unnest($2::text[], $3::bigint[]) AS h(name, token)
     ), renewed AS (
       UPDATE log_consumers c SET lease_expires_at = clock_timestamp() + $4 * interval '1 millisecond'
        WHERE c.name IN (SELECT l.name FROM log_consumers l JOIN mine ON mine.name = l.name AND mine.token = l.fencing_token
                          WHERE l.owner = $1 FOR UPDATE OF l SKIP LOCKED)
       RETURNING c.name)
     SELECT l.name, l.fencing_token::text, l.position, l.stalled_position
       FROM log_consumers l JOIN mine ON mine.name = l.name AND mine.token = l.fencing_token
      WHERE l.owner = $1`,
    [owner, held.map((lease) => lease.name), held.map((lease) => lease.token), ttlMs],
  );
}

/** Gives the leases up at once (on shutdown), so another process takes over without waiting. */
export async function releaseLeases(sql: Sql, owner: string): Promise<void> {
  await sql.query(`UPDATE log_consumers SET owner = NULL, lease_expires_at = '-infinity' WHERE owner = $1`, [owner]);
}

/**
 * Compare-and-set of the checkpoint (and a renewal of the lease): true if it moved. False means the
 * lease was lost (another owner or token) or the checkpoint was moved by someone else (a rebuild's
 * swap): see `leaseState`. The owner and token are the whole safety check: a lease that merely ran
 * out is still ours until someone takes it, which changes the token.
 */
export async function moveCheckpoint(sql: Sql, name: string, owner: string, lease: Lease, position: string | null, ttlMs: number): Promise<boolean> {
  const result = await rows<{ moved: number }>(
    sql,
    `WITH moved AS (
       UPDATE log_consumers
          SET position = $5, lease_expires_at = clock_timestamp() + $6 * interval '1 millisecond', updated_at = now()
        WHERE name = $1 AND owner = $2 AND fencing_token = $3::bigint AND position IS NOT DISTINCT FROM $4
       RETURNING 1)
     SELECT count(*)::int AS moved FROM moved`,
    [name, owner, lease.token, lease.position, position, ttlMs],
  );
  return result[0]?.moved === 1;
}

/**
 * The checkpoint's compare-and-set and the COMMIT of a projector's batch in ONE round trip: a
 * simple-protocol string of two statements (so the values are literals, quoted by pg's
 * escapeLiteral: positions are any store's, EventStoreDB's included). If the compare-and-set moves no
 * row, its statement fails (an int cast of a text naming CHECKPOINT_REFUSED, evaluated only then),
 * PostgreSQL skips the COMMIT, and the transaction is left aborted for the caller to roll back —
 * so a deposed leader's batch still never commits. Under the event loop of a busy API process every
 * round trip waits its turn; this saves one of the four or five a batch takes.
 */
export function checkpointAndCommit(name: string, owner: string, lease: Lease, position: string, ttlMs: number): string {
  if (!/^\d+$/.test(lease.token) || !Number.isSafeInteger(ttlMs)) throw new RangeError('Invalid lease');
  const text = (value: string | null) => (value === null ? 'NULL' : escapeLiteral(value));
  return `WITH moved AS (
       UPDATE log_consumers
          SET position = ${text(position)}, lease_expires_at = clock_timestamp() + ${ttlMs} * interval '1 millisecond', updated_at = now()
        WHERE name = ${text(name)} AND owner = ${text(owner)} AND fencing_token = ${lease.token}::bigint AND position IS NOT DISTINCT FROM ${text(lease.position)}
       RETURNING 1)
     SELECT CASE WHEN n = 1 THEN 1 ELSE ('${CHECKPOINT_REFUSED}:' || n)::int END AS moved FROM (SELECT count(*) AS n FROM moved) c;
     COMMIT`;
}

/** Named in the error of a refused checkpointAndCommit. */
export const CHECKPOINT_REFUSED = 'grant_ledger_checkpoint_refused';

export function isCheckpointRefused(error: unknown): boolean {
  return error instanceof Error && error.message.includes(CHECKPOINT_REFUSED);
}

/** After a refused compare-and-set: still ours (and where is the checkpoint now), or lost? */
export async function leaseState(sql: Sql, name: string, owner: string, lease: Lease): Promise<{ held: true; position: string | null } | { held: false }> {
  const result = await rows<{ held: boolean; position: string | null }>(
    sql,
    `SELECT (owner = $2 AND fencing_token = $3::bigint) AS held, position
       FROM log_consumers WHERE name = $1`,
    [name, owner, lease.token],
  );
  return result[0]?.held ? { held: true, position: result[0].position } : { held: false };
}

/** Records the event a consumer cannot apply; it stays stopped there until an admin retries. */
export async function markStalled(sql: Sql, name: string, owner: string, lease: Lease, position: string, error: string): Promise<void> {
  await sql.query(
    `UPDATE log_consumers SET stalled_position = $4, stalled_error = $5, stalled_at = now()
      WHERE name = $1 AND owner = $2 AND fencing_token = $3::bigint`,
    [name, owner, lease.token, position, error],
  );
}

/** An admin's retry: the leader picks the consumer up again at its next heartbeat. */
export async function clearStall(sql: Sql, name: string): Promise<boolean> {
  const result = await rows<{ name: string }>(
    sql,
    `WITH cleared AS (UPDATE log_consumers SET stalled_position = NULL, stalled_error = NULL, stalled_at = NULL WHERE name = $1 RETURNING name)
     SELECT name FROM cleared`,
    [name],
  );
  return result.length === 1;
}

export interface ConsumerRow {
  name: string;
  position: string | null;
  owner: string | null;
  leaseExpiresAt: Date | null;
  leaseHeld: boolean;
  stalledPosition: string | null;
  stalledError: string | null;
  stalledAt: Date | null;
  updatedAt: Date;
}

export async function loadConsumerRows(sql: Sql): Promise<ConsumerRow[]> {
  const result = await rows<{
    name: string; position: string | null; owner: string | null; lease_expires_at: Date | null; lease_held: boolean;
    stalled_position: string | null; stalled_error: string | null; stalled_at: Date | null; updated_at: Date;
  }>(
    sql,
    `SELECT name, position, owner, CASE WHEN lease_expires_at = '-infinity' THEN NULL ELSE lease_expires_at END AS lease_expires_at,
            (owner IS NOT NULL AND lease_expires_at > clock_timestamp()) AS lease_held,
            stalled_position, stalled_error, stalled_at, updated_at
       FROM log_consumers ORDER BY name`,
    [],
  );
  return result.map((row) => ({
    name: row.name,
    position: row.position,
    owner: row.owner,
    leaseExpiresAt: row.lease_expires_at,
    leaseHeld: row.lease_held,
    stalledPosition: row.stalled_position,
    stalledError: row.stalled_error,
    stalledAt: row.stalled_at,
    updatedAt: row.updated_at,
  }));
}

/**
 * Takes one consumer's lease for an outside step (a rebuild's swap), waiting up to `timeoutMs` for
 * it to be free: a live leader renews its lease, so the workers must be stopped first (or their
 * lease run out). Once taken, no worker can write that consumer's checkpoint; the next leader goes
 * on from whatever position the step leaves.
 */
export async function takeLeaseFor(sql: Sql, name: string, owner: string, ttlMs: number, timeoutMs: number): Promise<Lease | undefined> {
  await ensureConsumerRows(sql, [name]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [taken] = await acquireLeases(sql, owner, [name], ttlMs);
    if (taken) return { token: taken.fencing_token, position: taken.position };
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
