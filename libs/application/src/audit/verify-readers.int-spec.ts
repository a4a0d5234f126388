import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '@app/event-store';
import { chainHashOf, chainLinkOf } from '@app/event-store/hash-chain';
import { loadSeals } from './audit-seals';
import { createVerifyLedger, type VerifyLedger } from './audit-testing';
import { MIN_SLICES_FOR_READERS, type AuditVerifyReport } from './verify';

/**
 * verify with `readers` (worker threads reading slices of the log between seals) must say exactly
 * what verify in one thread says, on a clean log and on each kind of tampering, wherever the
 * tampering falls relative to the slices. Small pages (3 events) and seals every 4 events make
 * every slice span several pages and every page request cross a cut now and then.
 */
const REPO_ROOT = join(__dirname, '../../../..');

const caseEvent = (streamId: string, n: number): NewEvent => ({
  type: 'Case.Noted.v1',
  schemaVersion: 1,
  data: { streamId, n, amountMinor: 1000 * n, note: `note ${n}`, tags: { b: n, a: [n, 'é'] } },
  metadata: { eventId: randomUUID(), actorId: 'officer', actorRole: 'admin', correlationId: 'corr', causationId: 'cause' },
});

const createLedger = (): Promise<VerifyLedger> =>
  createVerifyLedger('audit_readers', {
    everyEvents: 4,
    pageSize: 3,
    async fill(store) {
      // Three streams written one event per transaction, interleaved: 30 events, 7 seals and more.
      for (let n = 0; n < 10; n++) {
        for (const stream of ['case-a', 'case-b', 'case-c']) await store.append(stream, [caseEvent(stream, n)], n === 0 ? 'no_stream' : n - 1);
      }
    },
  });

describe('audit verify in worker threads', () => {
  let ledger: VerifyLedger;
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
    expect(alone.readerThreads).toBe(0);
    expect({ ...threaded, readerThreads: 0 }).toEqual(alone);
    return threaded;
  };

  it('slices the log at the seals and verifies it clean', async () => {
    expect((await loadSeals(ledger.auditDb)).length + 1).toBeGreaterThanOrEqual(MIN_SLICES_FOR_READERS);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: true, eventsChecked: 30, streamsChecked: 3, unsealedEvents: 0, readerThreads: 2 });
  });

  it('is how `npm run audit:verify` reads the log: in a thread per core, to the same report', async () => {
    const alone = await ledger.verify(false);
    // Through npm, so that the command runs with its own Node options (package.json: --single-threaded among them).
    const cli = spawnSync('npm', ['run', '-s', 'audit:verify', '--', '--database-url', ledger.db.url], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'development', DATABASE_URL: '', AUDIT_SIGNING_KEY: '', AUDIT_PUBLIC_KEY: '' },
      timeout: 60_000,
    });
    expect({ status: cli.status, stderr: cli.stderr }).toMatchObject({ status: 0, stderr: expect.stringContaining('audit:verify OK') as string });
    const report = JSON.parse(cli.stdout) as AuditVerifyReport;
    const threads = availableParallelism() > 1 ? Math.min(availableParallelism(), (await loadSeals(ledger.auditDb)).length + 1) : 0;
    expect(report.readerThreads).toBe(threads);
    expect({ ...report, readerThreads: 0 }).toEqual(alone);
    if (threads > 0) expect(cli.stderr).toContain(`${threads} reader threads`);
  });

  it('checks the events after the latest seal too', async () => {
    for (let n = 10; n < 13; n++) await ledger.store.append('case-a', [caseEvent('case-a', n)], n - 1);
    await ledger.settled();
    await expect(sameBothWays()).resolves.toMatchObject({ ok: true, eventsChecked: 33, unsealedEvents: 3 });
  });

  it('says how many newer events it could not check because a transaction that began before them is still open', async () => {
    await ledger.settled();
    await expect(sameBothWays()).resolves.toMatchObject({ ok: true, eventsChecked: 30, eventsAfterCheck: 0, heldBackEvents: 0 });
    // A transaction with an id, left open: events committed after it began wait behind it in the log's
    // order. Held as briefly as one verify allows (it holds back every database on the server, other
    // specs' included; a verify waits 500 ms for it before giving up), so checked in one thread only:
    // what is counted after the check is the same whoever read the pages.
    const open = await ledger.pool.connect();
    try {
      await open.query('BEGIN');
      await open.query('SELECT pg_current_xact_id()');
      for (let n = 10; n < 12; n++) await ledger.store.append('case-c', [caseEvent('case-c', n)], n - 1);
      await expect(ledger.verify(false)).resolves.toMatchObject({ ok: true, eventsChecked: 30, eventsAfterCheck: 2, heldBackEvents: 2 });
    } finally {
      await open.query('COMMIT').catch(() => undefined);
      open.release();
    }
    await ledger.settled();
    await expect(sameBothWays()).resolves.toMatchObject({ ok: true, eventsChecked: 32, eventsAfterCheck: 0, heldBackEvents: 0 });
  });

  it.each([0, 1, 5, 9])('finds an altered event (case-b version %i)', async (version) => {
    const target = (await ledger.store.readStream('case-b'))[version];
    await ledger.tamper([`UPDATE events SET data = jsonb_set(data, '{amountMinor}', '1') WHERE event_id = $1`, [target.eventId]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'altered', eventId: target.eventId } });
  });

  it.each([3, 4, 11, 12, 29])('finds a deleted event (log index %i) where one thread does', async (index) => {
    const target = (await ledger.log())[index];
    await ledger.tamper(['DELETE FROM events WHERE event_id = $1', [target.eventId]]);
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
    await ledger.tamper([
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
    await ledger.tamper(
      [`UPDATE events SET position = -1 WHERE event_id = $1`, [a.eventId]],
      [`UPDATE events SET transaction_id = (SELECT transaction_id FROM events WHERE event_id = $2), position = (SELECT position FROM events WHERE event_id = $2) + 500000 WHERE event_id = $1`, [a.eventId, b.eventId]],
    );
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });

  it('finds a changed recordedAt and a forged seal signature', async () => {
    const target = (await ledger.log())[13];
    await ledger.tamper([`UPDATE events SET recorded_at = recorded_at - interval '1 day' WHERE event_id = $1`, [target.eventId]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'seal-mismatch' } });
    const [first, second] = await loadSeals(ledger.auditDb);
    await ledger.tamper(['UPDATE audit_seals SET signature = $1 WHERE seq = $2', [first.signature, second.seq]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'signature-invalid', sealSeq: second.seq } });
  });

  it('cuts only where sealed positions increase (seals out of order still partition the log)', async () => {
    const [first, second] = await loadSeals(ledger.auditDb);
    await ledger.tamper(['UPDATE audit_seals SET position = $1 WHERE seq = $2', [first.position, second.seq]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });
});
