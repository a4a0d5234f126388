import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { callDecider } from '@app/domain/call';
import { grantDecider } from '@app/domain/grant';
import { organisationDecider } from '@app/domain/organisation';
import { proposalDecider } from '@app/domain/proposal';
import { recipientDecider } from '@app/domain/recipient';
import type { Decider } from '@app/domain/shared/decider';
import type { SchemaRegistry, SealedKey } from '../event-codec';

/**
 * Decider snapshots: a stream's state as its decider folded it, kept (sealed) in PostgreSQL so that
 * a stream this process has not folded lately is read from the snapshot on: the snapshot and the
 * events after it, not the whole stream. Derived and disposable like a read model; the log stays
 * the truth. See StreamCommandExecutor (when they are read and written) and
 * EventCodec.sealState (why an erasure shreds them).
 */
export interface StoredDeciderSnapshot {
  streamId: string;
  /** The decider's name (DeciderSnapshotIdentity). */
  decider: string;
  /** Its code's fingerprint: a snapshot of another fingerprint is not read. */
  fingerprint: string;
  /** The version of the stream's last event folded in. */
  version: number;
  /** The personal-data keys the state was decrypted with: it is sealed under all of them. */
  keys: readonly SealedKey[];
  sealed: Buffer;
}

export interface DeciderSnapshotStore {
  /** The stream's snapshot by this decider, of any fingerprint. */
  find(streamId: string, decider: string): Promise<StoredDeciderSnapshot | undefined>;
  /** Stores it unless the row holds a later version of the same fingerprint (the same version is written again: a row that did not open is replaced). */
  save(snapshot: StoredDeciderSnapshot): Promise<void>;
  /** Deletes this row (stream, decider, fingerprint and version), not one written since. */
  delete(snapshot: StoredDeciderSnapshot): Promise<void>;
}

interface SnapshotRow {
  fingerprint: string;
  stream_version: string;
  keys: SealedKey[];
  sealed: Buffer;
}

/** A stream's snapshot look-up (also what the fault suite counts in pg_stat_statements). */
export const FIND_DECIDER_SNAPSHOT = 'SELECT fingerprint, stream_version, keys, sealed FROM decider_snapshots WHERE stream_id = $1 AND decider = $2';

/** The `decider_snapshots` table (migration DeciderSnapshots1764001800000), through the application's own pool. */
export class PostgresDeciderSnapshotStore implements DeciderSnapshotStore {
  constructor(private readonly dataSource: DataSource) {}

  async find(streamId: string, decider: string): Promise<StoredDeciderSnapshot | undefined> {
    const rows = (await this.dataSource.query(FIND_DECIDER_SNAPSHOT, [streamId, decider])) as SnapshotRow[];
    const row = rows[0];
    return row && { streamId, decider, fingerprint: row.fingerprint, version: Number(row.stream_version), keys: row.keys, sealed: row.sealed };
  }

  async save(snapshot: StoredDeciderSnapshot): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO decider_snapshots (stream_id, decider, fingerprint, stream_version, keys, sealed) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (stream_id, decider) DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, stream_version = EXCLUDED.stream_version, keys = EXCLUDED.keys, sealed = EXCLUDED.sealed, saved_at = now()
         WHERE decider_snapshots.fingerprint <> EXCLUDED.fingerprint OR decider_snapshots.stream_version <= EXCLUDED.stream_version`,
      [snapshot.streamId, snapshot.decider, snapshot.fingerprint, snapshot.version, JSON.stringify(snapshot.keys), snapshot.sealed],
    );
  }

  async delete(snapshot: StoredDeciderSnapshot): Promise<void> {
    await this.dataSource.query('DELETE FROM decider_snapshots WHERE stream_id = $1 AND decider = $2 AND fingerprint = $3 AND stream_version = $4', [
      snapshot.streamId,
      snapshot.decider,
      snapshot.fingerprint,
      snapshot.version,
    ]);
  }
}

/** Which snapshots a decider reads and writes: its name, and the fingerprint of the code its state depends on. */
export interface DeciderSnapshotIdentity {
  name: string;
  fingerprint: string;
}

/**
 * The deciders whose folds are snapshotted, with the version of each one's snapshot. A snapshot is
 * the state as JSON (`JSON.stringify`, read back with `JSON.parse`), so a state must read the same
 * after that round trip (decider-snapshots.spec.ts folds each decider's test streams and checks).
 * The fingerprint covers the decider's `evolve`, `evolveAll` and initial state and the event
 * schema versions, not the helpers `evolve` calls: **bump a decider's version whenever what its
 * state holds, or how an event changes it, changes** (decider-snapshots.spec.ts records a hash of
 * each decider's source files and fails when one changed, so that someone decides whether to bump).
 */
export const SNAPSHOTTED_DECIDERS: Readonly<Record<string, { decider: Decider<never, never, unknown>; version: number }>> = {
  call: { decider: callDecider as Decider<never, never, unknown>, version: 1 },
  grant: { decider: grantDecider as Decider<never, never, unknown>, version: 3 },
  organisation: { decider: organisationDecider as Decider<never, never, unknown>, version: 1 },
  proposal: { decider: proposalDecider as Decider<never, never, unknown>, version: 2 },
  recipient: { decider: recipientDecider as Decider<never, never, unknown>, version: 1 },
};

/** Bump to ignore every stored snapshot (e.g. when how a state is written changes). */
const SNAPSHOT_FORMAT = 1;

/** Each snapshotted decider (by identity) with its name and fingerprint, for this code and these schema versions. */
export function deciderSnapshotIdentities(registry: SchemaRegistry): ReadonlyMap<object, DeciderSnapshotIdentity> {
  const schemas = registry.describe();
  const identities = new Map<object, DeciderSnapshotIdentity>();
  for (const [name, { decider, version }] of Object.entries(SNAPSHOTTED_DECIDERS)) {
    const code = [SNAPSHOT_FORMAT, version, decider.evolve.toString(), decider.evolveAll?.toString() ?? '', JSON.stringify(decider.initialState), schemas];
    identities.set(decider, { name, fingerprint: `v${version}.${createHash('sha256').update(JSON.stringify(code)).digest('base64url').slice(0, 22)}` });
  }
  return identities;
}
