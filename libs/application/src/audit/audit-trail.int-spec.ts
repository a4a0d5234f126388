import { randomBytes, randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from '@app/event-store';
import { chainHashOf, chainLinkOf } from '@app/event-store/hash-chain';
import { organisationDecider, organisationStreamName, type OrganisationCommand } from '@app/domain/organisation';
import type { CommandContext } from '../command-context';
import { schemaRegistry } from '../event-store.module';
import { EncryptingEventCodec } from '../personal-data/encrypting-event-codec';
import { PostgresPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { personalDataPolicy } from '../personal-data/personal-data.policy';
import { StreamCommandExecutor } from '../stream-command-executor';
import { type AuditSeal, loadSeals } from './audit-seals';
import { createVerifyLedger, sealEverything, type VerifyLedger, verifySigningKey } from './audit-testing';

/**
 * The tamper tests: a database superuser disables the append-only triggers and edits the events
 * table directly. Each test builds its own ledger (own database), tampers once, and names the first
 * broken link verify must report.
 */
const context: CommandContext = { actor: { id: 'officer', role: 'admin' }, correlationId: 'corr', causationId: 'cause' };

/** A verify ledger whose log also holds two organisations with personal data (their keys in `keyring`). */
interface Ledger extends VerifyLedger {
  keyring: PersonalDataKeyring;
  organisationIds: string[];
}

const caseEvent = (streamId: string, n: number): NewEvent => ({
  type: 'Case.Noted.v1',
  schemaVersion: 1,
  data: { streamId, n, amountMinor: 1000 * n, note: `note ${n}` },
  metadata: { eventId: randomUUID(), actorId: 'officer', actorRole: 'admin', correlationId: 'corr', causationId: 'cause' },
});

async function createLedger(): Promise<Ledger> {
  let keyring: PersonalDataKeyring | undefined;
  const organisationIds = [randomUUID(), randomUUID()];
  const ledger = await createVerifyLedger('audit', {
    everyEvents: 4,
    pageSize: 5,
    async fill(store, db) {
      keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(db.url), randomBytes(32));
      const executor = new StreamCommandExecutor(store, new EncryptingEventCodec(schemaRegistry(), keyring, personalDataPolicy()));
      // Two organisations whose contact person is encrypted (personal data), and two case streams
      // written one event per transaction, interleaved, so global order differs from stream order.
      for (const organisationId of organisationIds) {
        const command = {
          type: 'RegisterOrganisation',
          data: { organisationId, name: 'Org', country: 'LB', legalStatus: 'other', focusGroups: [], contactPerson: { name: 'Test Person', email: 'test.person@example.org' } },
          now: '2027-01-10T09:00:00Z',
        } as OrganisationCommand;
        await executor.execute(organisationDecider, organisationStreamName(organisationId), organisationId, command, context);
      }
      for (let n = 0; n < 5; n++) {
        await store.append('case-a', [caseEvent('case-a', n)], n === 0 ? 'no_stream' : n - 1);
        if (n < 4) await store.append('case-b', [caseEvent('case-b', n)], 'any');
      }
    },
  });
  const opened = keyring!;
  return {
    ...ledger,
    keyring: opened,
    organisationIds,
    async close() {
      await opened.close();
      await ledger.close();
    },
  };
}


const where = (event: RecordedEvent) => ({ streamId: event.streamId, streamVersion: event.streamVersion, position: event.position, eventId: event.eventId });

describe('audit trail: stream chains and signed global seals', () => {
  let ledger: Ledger;
  beforeEach(async () => {
    ledger = await createLedger();
  });
  afterEach(async () => {
    await ledger.close();
  });

  it('untampered data verifies clean, every event sealed', async () => {
    const log = await ledger.log();
    const seals = await loadSeals(ledger.auditDb);
    // Every 4 events (a catch-up may stop short while an older transaction of the cluster is open).
    expect(seals.at(-1)?.eventCount).toBe(11);
    expect(seals.every((seal, i) => seal.eventCount - (seals[i - 1]?.eventCount ?? 0) <= 4)).toBe(true);
    await expect(ledger.verify()).resolves.toMatchObject({
      ok: true,
      eventsChecked: log.length,
      streamsChecked: 4,
      sealsChecked: seals.length,
      unsealedEvents: 0,
      lastSealedPosition: log[log.length - 1].position,
      keyId: verifySigningKey.keyId,
      devKey: true,
    });
  });

  it('the sealer is idempotent: a second catch-up with no new events writes no seal', async () => {
    await expect(ledger.sealer.sealPending()).resolves.toEqual([]);
    const before = await loadSeals(ledger.auditDb);
    await ledger.store.append('case-b', [caseEvent('case-b', 4)], 3);
    await sealEverything(ledger.sealer, ledger.auditDb);
    const after = await loadSeals(ledger.auditDb);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.at(-1)).toMatchObject({ eventCount: 12, position: (await ledger.log()).at(-1)?.position });
    await expect(ledger.verify()).resolves.toMatchObject({ ok: true, sealsChecked: after.length });
  });

  it('reports events after the latest seal as unsealed, still checked by their stream chain', async () => {
    await ledger.store.append('case-b', [caseEvent('case-b', 4)], 3);
    await ledger.settled();
    await expect(ledger.verify()).resolves.toMatchObject({ ok: true, eventsChecked: 12, unsealedEvents: 1 });
  });

  it('crypto-shredding a subject key does not break verification (hashes cover the ciphertext)', async () => {
    const [organisationEvent] = await ledger.store.readStream(organisationStreamName(ledger.organisationIds[0]));
    expect(JSON.stringify(organisationEvent.data)).toContain('"$pii"');
    expect(JSON.stringify(organisationEvent.data)).not.toContain('test.person@example.org');
    await ledger.pool.query('DELETE FROM personal_data_keys WHERE subject = $1', [organisationStreamName(ledger.organisationIds[0])]);
    await expect(ledger.verify()).resolves.toMatchObject({ ok: true, eventsChecked: 11 });
  });

  it('an altered row fails as "altered" at that event', async () => {
    const target = (await ledger.store.readStream('case-a'))[2];
    await ledger.tamper([`UPDATE events SET data = jsonb_set(data, '{amountMinor}', '999999') WHERE event_id = $1`, [target.eventId]]);
    await expect(ledger.verify()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'altered', ...where(target) } });
  });

  it('an altered actor in metadata fails as "altered" at that event', async () => {
    const target = (await ledger.store.readStream('case-b'))[1];
    await ledger.tamper([`UPDATE events SET metadata = jsonb_set(metadata, '{actorId}', '"someone-else"') WHERE event_id = $1`, [target.eventId]]);
    await expect(ledger.verify()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'altered', ...where(target) } });
  });

  it('a row deleted in the middle of a stream fails at the first link after it: the stream gap or the covering seal', async () => {
    const log = await ledger.log();
    const target = (await ledger.store.readStream('case-a'))[2];
    const expected = expectedDeletionBreak(log, await loadSeals(ledger.auditDb), target);
    await ledger.tamper(['DELETE FROM events WHERE event_id = $1', [target.eventId]]);
    const report = await ledger.verify();
    expect(report).toMatchObject({ ok: false, firstBreak: expected });
    expect(report.firstBreak?.detail).toMatch(expected.kind === 'deleted' ? /version 2 of the stream missing/ : /1 earlier event\(s\) deleted|deleted, inserted or reordered/);
  });

  it('a row deleted in the middle of a stream after the latest seal fails as "deleted" at the next event of that stream', async () => {
    const fresh = [caseEvent('case-c', 0), caseEvent('case-c', 1), caseEvent('case-c', 2)];
    for (const [version, event] of fresh.entries()) await ledger.store.append('case-c', [event], version - 1);
    const stream = await ledger.store.readStream('case-c');
    await ledger.tamper(['DELETE FROM events WHERE event_id = $1', [stream[1].eventId]]);
    const report = await ledger.verify();
    expect(report).toMatchObject({ ok: false, firstBreak: { kind: 'deleted', ...where(stream[2]) } });
    expect(report.firstBreak?.detail).toContain('version 1 of the stream missing');
  });

  it("deleting a stream's last event after it was sealed fails at the seal that covered it", async () => {
    const log = await ledger.log();
    const lastOfB = (await ledger.store.readStream('case-b'))[3];
    const expected = expectedDeletionBreak(log, await loadSeals(ledger.auditDb), lastOfB);
    expect(expected.kind).toBe('seal-mismatch'); // no later event of the stream can show a gap
    await ledger.tamper(['DELETE FROM events WHERE event_id = $1', [lastOfB.eventId]]);
    const report = await ledger.verify();
    expect(report).toMatchObject({ ok: false, firstBreak: expected });
    expect(report.firstBreak?.detail).toContain('deleted');
  });

  it('a forged row with a valid-looking stream chain fails via the seals', async () => {
    // The attacker knows the algorithm: the forged case-a version 5 links to version 4 and its hash
    // recomputes. It is slotted into the global order right after case-a version 4, before case-b
    // version 4, which seal 4 covers.
    const sealedBefore = (await loadSeals(ledger.auditDb)).length;
    await ledger.store.append('case-b', [caseEvent('case-b', 4)], 3);
    await sealEverything(ledger.sealer, ledger.auditDb);
    const firstSealAfter = (await loadSeals(ledger.auditDb))[sealedBefore];
    const aHead = (await ledger.store.readStream('case-a')).at(-1)!;
    const anchor = aHead;
    const eventId = randomUUID();
    const forged = { streamId: 'case-a', streamVersion: 5, eventId, type: 'Case.Noted.v1', schemaVersion: 1, data: { streamId: 'case-a', n: 5, amountMinor: 1, note: 'forged' } };
    const metadata = { eventId, actorId: 'officer', actorRole: 'admin', correlationId: 'corr', causationId: 'cause' };
    const prev = chainLinkOf(aHead.metadata)!.hash;
    const chain = { prev, hash: chainHashOf({ ...forged, metadata }, prev) };
    await ledger.tamper([
      `INSERT INTO events (position, transaction_id, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
       SELECT e.position + 1000000, e.transaction_id, $2, 5, $3, $4, 1, $5, $6, e.recorded_at FROM events e WHERE e.event_id = $1`,
      [anchor.eventId, forged.streamId, eventId, forged.type, JSON.stringify(forged.data), JSON.stringify({ ...metadata, chain, recordedAt: anchor.metadata.recordedAt })],
    ]);
    const report = await ledger.verify();
    // The forged row now stands where the seal's last event stood: it is named as the break.
    expect(report.firstBreak).toMatchObject({ kind: 'seal-mismatch', sealSeq: firstSealAfter.seq, streamId: 'case-a', streamVersion: 5, eventId });
    expect(report.firstBreak?.detail).toContain('inserted');
  });

  it('two rows of a stream swapped in the global order fail as "reordered"', async () => {
    const stream = await ledger.store.readStream('case-a');
    await swapPositions(ledger, stream[1], stream[3]);
    await expect(ledger.verify()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'reordered', streamId: 'case-a', streamVersion: 3, eventId: stream[3].eventId } });
  });

  it('two rows of different streams swapped in the global order fail at the seal that covers them', async () => {
    // Adjacent events of case-a and case-b: each stream's own order survives the swap.
    const log = await ledger.log();
    const i = log.findIndex((e, k) => e.streamId === 'case-a' && log[k + 1]?.streamId === 'case-b');
    await swapPositions(ledger, log[i], log[i + 1]);
    // The first seal covering either of them: the swapped pair no longer folds to it.
    const seal = (await loadSeals(ledger.auditDb)).find((s) => s.eventCount >= i + 1)!;
    const report = await ledger.verify();
    expect(report.firstBreak).toMatchObject({ kind: 'seal-mismatch', sealSeq: seal.seq });
  });

  it('a changed recordedAt (not in the stream chain) fails at the seal that covers it', async () => {
    const target = (await ledger.store.readStream('case-a'))[0];
    const index = (await ledger.log()).findIndex((e) => e.eventId === target.eventId);
    const seal = (await loadSeals(ledger.auditDb)).find((s) => s.eventCount >= index + 1)!;
    await ledger.tamper([`UPDATE events SET recorded_at = recorded_at - interval '1 day' WHERE event_id = $1`, [target.eventId]]);
    const report = await ledger.verify();
    expect(report.firstBreak).toMatchObject({ kind: 'seal-mismatch', sealSeq: seal.seq });
  });

  it('a seal re-computed by someone without the signing key fails as "signature-invalid"', async () => {
    const [first, second] = await loadSeals(ledger.auditDb);
    await ledger.tamper(['UPDATE audit_seals SET signature = $1 WHERE seq = $2', [first.signature, second.seq]]);
    const log = await ledger.log();
    await expect(ledger.verify()).resolves.toMatchObject({ ok: false, firstBreak: { kind: 'signature-invalid', sealSeq: second.seq, ...where(log[second.eventCount - 1]) } });
  });
});

/**
 * Where verify must first see a deleted event, in global order: at the next event of its stream
 * (a version gap), or at the first seal covering it — where the seal's count is reached by the
 * event after the deleted one (the seal ended at it), or where the seal's last event turns up one
 * event early. Seal boundaries depend on when catch-ups ran, so the tests compute it.
 */
function expectedDeletionBreak(log: RecordedEvent[], seals: AuditSeal[], deleted: RecordedEvent): { kind: string; sealSeq?: number; streamId: string; streamVersion: number; position: string; eventId: string } {
  const d = log.findIndex((e) => e.eventId === deleted.eventId);
  const successor = log.findIndex((e) => e.streamId === deleted.streamId && e.streamVersion === deleted.streamVersion + 1);
  const seal = seals.find((s) => s.eventCount >= d + 1)!;
  const sealFoundAt = seal.eventCount === d + 1 ? d + 1 : seal.eventCount - 1;
  if (successor >= 0 && successor <= sealFoundAt) return { kind: 'deleted', ...where(log[successor]) };
  return { kind: 'seal-mismatch', sealSeq: seal.seq, ...where(log[sealFoundAt]) };
}

/** Swaps the (transaction id, position) of two rows: their places in the global order. */
async function swapPositions(ledger: Ledger, a: RecordedEvent, b: RecordedEvent): Promise<void> {
  const { rows } = await ledger.pool.query<{ event_id: string; transaction_id: string; position: string }>(
    'SELECT event_id, transaction_id::text, position::text FROM events WHERE event_id = ANY($1::uuid[])',
    [[a.eventId, b.eventId]],
  );
  const of = (id: string) => rows.find((r) => r.event_id === id)!;
  await ledger.tamper(
    [`UPDATE events SET position = -1 WHERE event_id = $1`, [a.eventId]],
    [`UPDATE events SET transaction_id = $2::xid8, position = $3 WHERE event_id = $1`, [b.eventId, of(a.eventId).transaction_id, of(a.eventId).position]],
    [`UPDATE events SET transaction_id = $2::xid8, position = $3 WHERE event_id = $1`, [a.eventId, of(b.eventId).transaction_id, of(b.eventId).position]],
  );
}
