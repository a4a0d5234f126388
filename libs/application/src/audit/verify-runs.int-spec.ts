import { randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '@app/event-store';
import { chainHashOf, chainLinkOf } from '@app/event-store/hash-chain';
import { loadSeals } from './audit-seals';
import { createVerifyLedger, type VerifyLedger } from './audit-testing';
import type { AuditVerifyReport } from './verify';

/**
 * verify with `readers` on a log whose streams come in runs (several events of a stream appended
 * together, as the application appends a command's events): a reader marks the events that link
 * to the one before them in the page (markRuns) and the verifier only moves the stream's head on
 * over them. It must still say exactly what verify in one thread says, whatever is tampered with
 * inside a run, at its start or at its end, and across pages (pages of 5 events, runs of 7).
 */
const STREAMS = ['run-a', 'run-b', 'run-c', 'run-d'];
const RUN = 7;

const runEvent = (streamId: string, n: number): NewEvent => ({
  type: 'Case.Noted.v1',
  schemaVersion: 1,
  data: { streamId, n, amountMinor: 1000 * n, note: `note ${n}` },
  metadata: { eventId: randomUUID(), actorId: 'officer', actorRole: 'admin', correlationId: 'corr', causationId: 'cause' },
});

const createLedger = (): Promise<VerifyLedger> =>
  createVerifyLedger('audit_runs', {
    everyEvents: 6,
    pageSize: 5,
    async fill(store) {
      // Two rounds of a run of 7 events per stream, each run one append: 56 events.
      for (let round = 0; round < 2; round++) {
        for (const stream of STREAMS) {
          const events = Array.from({ length: RUN }, (_, k) => runEvent(stream, round * RUN + k));
          await store.append(stream, events, round === 0 ? 'no_stream' : RUN - 1);
        }
      }
    },
  });

describe('audit verify in worker threads, streams in runs', () => {
  let ledger: VerifyLedger;
  beforeEach(async () => {
    ledger = await createLedger();
  });
  afterEach(async () => {
    await ledger.close();
  });

  const sameBothWays = async (): Promise<AuditVerifyReport> => {
    const alone = await ledger.verify(false);
    const threaded = await ledger.verify(true);
    expect(alone.readerThreads).toBe(0);
    expect({ ...threaded, readerThreads: 0 }).toEqual(alone);
    return threaded;
  };

  it('verifies the runs clean', async () => {
    const log = await ledger.log();
    expect(log.slice(0, RUN).every((event) => event.streamId === 'run-a')).toBe(true);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: true, eventsChecked: 56, streamsChecked: 4, unsealedEvents: 0, readerThreads: 2 });
  });

  // Log indexes: a run's first event (0, 7, 35), inside a run (3, 12, 30), a run's last (6, 13, 55), at a page's edge (4, 5, 10).
  it.each([0, 3, 4, 5, 6, 7, 10, 12, 13, 30, 35, 55])('finds an altered event at log index %i', async (index) => {
    const target = (await ledger.log())[index];
    await ledger.tamper([`UPDATE events SET data = jsonb_set(data, '{amountMinor}', '1') WHERE event_id = $1`, [target.eventId]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'altered', eventId: target.eventId } });
  });

  it.each([0, 3, 5, 6, 12, 30, 55])('finds a deleted event at log index %i', async (index) => {
    const target = (await ledger.log())[index];
    await ledger.tamper(['DELETE FROM events WHERE event_id = $1', [target.eventId]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });

  it.each([2, 9, 31])('finds two events of a run swapped (log index %i and the next)', async (index) => {
    const log = await ledger.log();
    const [a, b] = [log[index], log[index + 1]];
    expect(a.streamId).toBe(b.streamId);
    await ledger.tamper(
      [
        `UPDATE events SET position = -CASE WHEN event_id = $1 THEN (SELECT position FROM events WHERE event_id = $2) ELSE (SELECT position FROM events WHERE event_id = $1) END WHERE event_id IN ($1, $2)`,
        [a.eventId, b.eventId],
      ],
      ['UPDATE events SET position = -position WHERE event_id IN ($1, $2)', [a.eventId, b.eventId]],
    );
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });

  it.each([3, 11, 33])('finds a link rewritten inside a run (chain.prev of log index %i, rehashed)', async (index) => {
    const log = await ledger.log();
    const target = log[index];
    const prev = 'e'.repeat(64);
    const { recordedAt: _recordedAt, chain: _chain, ...metadata } = target.metadata as Record<string, unknown>;
    const hash = chainHashOf({ ...target, metadata } as RecordedEvent, prev);
    await ledger.tamper([`UPDATE events SET metadata = jsonb_set(metadata, '{chain}', $2::jsonb) WHERE event_id = $1`, [target.eventId, JSON.stringify({ prev, hash })]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'broken-link', eventId: target.eventId } });
  });

  it('finds a forged event put in the middle of a run (renumbered and rehashed after it: only the seals tell)', async () => {
    const log = await ledger.log();
    const anchor = log[2];
    const stream = (await ledger.store.readStream(anchor.streamId)).slice(0, RUN);
    expect(stream.map((event) => event.eventId).slice(0, 3)).toEqual(log.slice(0, 3).map((event) => event.eventId));
    // The forged event becomes version 3; versions 3..6 become 4..7, each rehashed onto the one before.
    const forged = { ...stream[3], eventId: randomUUID(), data: { forged: true } } as RecordedEvent;
    const statements: [string, unknown[]?][] = [];
    let prev = chainLinkOf(stream[2].metadata)!.hash;
    const relinked: { event: RecordedEvent; version: number }[] = [{ event: forged, version: 3 }, ...stream.slice(3).map((event, k) => ({ event, version: 4 + k }))];
    statements.push(['UPDATE events SET stream_version = stream_version + 100 WHERE stream_id = $1 AND stream_version >= 3', [anchor.streamId]]);
    for (const { event, version } of relinked) {
      const { recordedAt: _recordedAt, chain: _chain, ...metadata } = event.metadata as Record<string, unknown>;
      const moved = { ...event, streamVersion: version, metadata: { ...metadata, eventId: event.eventId } } as RecordedEvent;
      const hash = chainHashOf(moved, prev);
      if (event === forged) {
        statements.push([
          `INSERT INTO events (position, transaction_id, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
           SELECT e.position + 1000000, e.transaction_id, e.stream_id, 3, $2, e.type, e.schema_version, $3, $4, e.recorded_at FROM events e WHERE e.event_id = $1`,
          [log[2].eventId, forged.eventId, JSON.stringify(forged.data), JSON.stringify({ ...moved.metadata, chain: { prev, hash }, recordedAt: anchor.metadata.recordedAt })],
        ]);
      } else {
        statements.push([
          `UPDATE events SET stream_version = $2, metadata = jsonb_set(metadata, '{chain}', $3::jsonb) WHERE event_id = $1`,
          [event.eventId, version, JSON.stringify({ prev, hash })],
        ]);
      }
      prev = hash;
    }
    await ledger.tamper(...statements);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });

  it('finds a changed recordedAt inside a run (seal mismatch) and a sealed position moved into a run', async () => {
    const target = (await ledger.log())[9];
    await ledger.tamper([`UPDATE events SET recorded_at = recorded_at - interval '1 day' WHERE event_id = $1`, [target.eventId]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'seal-mismatch' } });
    await ledger.tamper([`UPDATE events SET recorded_at = recorded_at + interval '1 day' WHERE event_id = $1`, [target.eventId]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: true });
    const log = await ledger.log();
    const [, second] = await loadSeals(ledger.auditDb);
    await ledger.tamper(['UPDATE audit_seals SET position = $1 WHERE seq = $2', [log[15].position, second.seq]]);
    await expect(sameBothWays()).resolves.toMatchObject({ ok: false });
  });
});
