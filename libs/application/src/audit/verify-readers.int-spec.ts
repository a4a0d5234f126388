import { randomUUID } from 'node:crypto';
import { type NewEvent, PostgresEventStore, type RecordedEvent } from '@app/event-store';
import { chainHashOf, chainLinkOf, HashChainingEventStore } from '@app/event-store/hash-chain';
import { databaseOptions } from '../database-options';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { type AuditDb, poolAuditDb } from './audit-db';
import { loadSeals } from './audit-seals';
import { auditSigningKeyFromEnv } from './audit-signing-key';
import { sealEverything, tamperWithLog } from './audit-testing';
import { AuditSealer } from './sealer';
import { MIN_SLICES_FOR_READERS, type AuditVerifyReport, verifyAuditLog } from './verify';

/**
 * verify with `readers` (worker threads reading slices of the log between seals) must say exactly
 * what verify in one thread says, on a clean log and on each kind of tampering, wherever the
 * tampering falls relative to the slices. Small pages (3 events) and seals every 4 events make
 * every slice span several pages and every page request cross a cut now and then.
 */
const signingKey = auditSigningKeyFromEnv({});

interface Ledger {
  db: TestDatabase;
  pool: Pool;
  auditDb: AuditDb;
  store: HashChainingEventStore;
  sealer: AuditSealer;
  verify(readers: boolean): Promise<AuditVerifyReport>;
  log(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

const caseEvent = (streamId: string, n: number): NewEvent => ({
  type: 'Case.Noted.v1',
  schemaVersion: 1,
  data: { streamId, n, amountMinor: 1000 * n, note: `note ${n}`, tags: { b: n, a: [n, 'é'] } },
  metadata: { eventId: randomUUID(), actorId: 'officer', actorRole: 'admin', correlationId: 'corr', causationId: 'cause' },
});

async function createLedger(): Promise<Ledger> {
  const db = await createTestDatabase('audit_readers');
  const dataSource = await new DataSource(databaseOptions(db.url)).initialize();
  await dataSource.destroy();
  const pool = new Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined);
  const auditDb = poolAuditDb(pool);
  const store = new HashChainingEventStore(new PostgresEventStore({ pool }));
  const sealer = new AuditSealer({ store, db: auditDb, signingKey, everyEvents: 4 });
  // Three streams written one event per transaction, interleaved: 30 events, 7 seals and more.
  for (let n = 0; n < 10; n++) {
    for (const stream of ['case-a', 'case-b', 'case-c']) await store.append(stream, [caseEvent(stream, n)], n === 0 ? 'no_stream' : n - 1);
  }
  await sealEverything(sealer, auditDb);
  return {
    db,
    pool,
    auditDb,
    store,
    sealer,
    verify: (readers) => verifyAuditLog({ store, db: auditDb, key: signingKey, pageSize: 3, ...(readers ? { readers: { store: { kind: 'postgres', databaseUrl: db.url }, threads: 2 } } : {}) }),
    log: () => store.readAll({ maxCount: 10_000 }),
    async close() {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
}

const tamper = (ledger: Ledger, ...statements: [string, unknown[]?][]): Promise<void> => tamperWithLog(ledger.pool, ...statements);

describe('audit verify in worker threads', () => {
  let ledger: Ledger;
  beforeEach(async () => {
    ledger = await createLedger();
  });
  afterEach(async () => {
    await ledger.close();
  });

  /** Both ways, the same report; returns it. */
  const sameBothWays = async (): Promise<AuditVerifyReport> => {
    const alone = await ledger.verify(false);
    const threaded = await ledger.verify(true);
    expect(threaded).toEqual(alone);
    return threaded;
  };

  it('slices the log at the seals and verifies it clean', async () => {
    expect((await loadSeals(ledger.auditDb)).length + 1).toBeGreaterThanOrEqual(MIN_SLICES_FOR_READERS);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: true, eventsChecked: 30, streamsChecked: 3, unsealedEvents: 0 });
  });

  it('checks the events after the latest seal too', async () => {
    for (let n = 10; n < 13; n++) await ledger.store.append('case-a', [caseEvent('case-a', n)], n - 1);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: true, eventsChecked: 33, unsealedEvents: 3 });
  });

  it.each([0, 1, 5, 9])('finds an altered event (case-b version %i)', async (version) => {
    const target = (await ledger.store.readStream('case-b'))[version];
    await tamper(ledger, [`UPDATE events SET data = jsonb_set(data, '{amountMinor}', '1') WHERE event_id = $1`, [target.eventId]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'altered', eventId: target.eventId } });
  });

  it.each([3, 4, 11, 12, 29])('finds a deleted event (log index %i) where one thread does', async (index) => {
    const target = (await ledger.log())[index];
    await tamper(ledger, ['DELETE FROM events WHERE event_id = $1', [target.eventId]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });

  it('finds a forged event slotted in just before a sealed position', async () => {
    const log = await ledger.log();
    const seal = (await loadSeals(ledger.auditDb))[2];
    const anchorIndex = log.findIndex((e) => e.position === seal.position) - 1;
    const anchor = log[anchorIndex];
    const head = (await ledger.store.readStream(anchor.streamId)).at(-1)!;
    const eventId = randomUUID();
    const forged = { streamId: anchor.streamId, streamVersion: head.streamVersion + 1, eventId, type: 'Case.Noted.v1', schemaVersion: 1, data: { forged: true } };
    const metadata = { eventId, actorId: 'officer', actorRole: 'admin', correlationId: 'corr', causationId: 'cause' };
    const prev = chainLinkOf(head.metadata)!.hash;
    const chain = { prev, hash: chainHashOf({ ...forged, metadata }, prev) };
    await tamper(ledger, [
      `INSERT INTO events (position, transaction_id, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
       SELECT e.position + 1000000, e.transaction_id, $2, $3, $4, $5, 1, $6, $7, e.recorded_at FROM events e WHERE e.event_id = $1`,
      [anchor.eventId, forged.streamId, forged.streamVersion, eventId, forged.type, JSON.stringify(forged.data), JSON.stringify({ ...metadata, chain, recordedAt: anchor.metadata.recordedAt })],
    ]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });

  it('finds rows swapped across a cut between slices', async () => {
    const log = await ledger.log();
    const seal = (await loadSeals(ledger.auditDb))[1];
    const i = log.findIndex((e) => e.position === seal.position);
    const [a, b] = [log[i], log[i + 1]];
    await tamper(
      ledger,
      [`UPDATE events SET position = -1 WHERE event_id = $1`, [a.eventId]],
      [`UPDATE events SET transaction_id = (SELECT transaction_id FROM events WHERE event_id = $2), position = (SELECT position FROM events WHERE event_id = $2) + 500000 WHERE event_id = $1`, [a.eventId, b.eventId]],
    );
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });

  it('finds a changed recordedAt and a forged seal signature', async () => {
    const target = (await ledger.log())[13];
    await tamper(ledger, [`UPDATE events SET recorded_at = recorded_at - interval '1 day' WHERE event_id = $1`, [target.eventId]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'seal-mismatch' } });
    const [first, second] = await loadSeals(ledger.auditDb);
    await tamper(ledger, ['UPDATE audit_seals SET signature = $1 WHERE seq = $2', [first.signature, second.seq]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'signature-invalid', sealSeq: second.seq } });
  });

  it('cuts only where sealed positions increase (seals out of order still partition the log)', async () => {
    const [first, second] = await loadSeals(ledger.auditDb);
    await tamper(ledger, ['UPDATE audit_seals SET position = $1 WHERE seq = $2', [first.position, second.seq]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });
});
