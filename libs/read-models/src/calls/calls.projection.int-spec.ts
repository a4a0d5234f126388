import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import type { CallEvent } from '@app/domain/call';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import { CallsProjection } from './calls.projection';

const callId = '5b4f2a11-7d9b-4f38-9c55-1b0e6f3c0a3e';

function recorded(event: CallEvent, streamVersion: number, position: string): RecordedEvent {
  const recordedAt = new Date('2027-01-10T09:00:00Z');
  return {
    streamId: `call-${callId}`, streamVersion, position, eventId: randomUUID(), type: event.type, schemaVersion: 1, data: event.data,
    metadata: { eventId: randomUUID(), actorId: 'alice', actorRole: 'grant-manager', correlationId: 'c', causationId: 'c', recordedAt: recordedAt.toISOString() },
    recordedAt,
  };
}

const drafted: CallEvent = {
  type: 'CallDrafted',
  data: {
    callId, programme: 'P', title: 'T', description: 'D', currency: 'EUR', budgetMinor: 1_000_000, minAwardMinor: 1_000, maxAwardMinor: 500_000,
    eligibleCountries: ['LB'], minPartners: 2, criteria: [{ id: 'a', name: 'A', weight: 100, maxScore: 10 }], reviewsRequired: 1,
    opensAt: '2027-01-15T00:00:00Z', closesAt: '2027-03-31T00:00:00Z', draftedAt: '2027-01-10T09:00:00Z',
  },
};
const published: CallEvent = { type: 'CallPublished', data: { callId, publishedAt: '2027-01-11T09:00:00Z' } };
const committed: CallEvent = { type: 'FundsCommitted', data: { callId, grantId: randomUUID(), proposalId: randomUUID(), amountMinor: 250_000, committedAt: '2027-05-01T00:00:00Z' } };

describe('calls projection', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const projection = new CallsProjection();

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  const row = async () => (await dataSource.query('SELECT status, committed_minor, version FROM calls WHERE id = $1', [callId]))[0];

  it('changes nothing when the same events are applied twice', async () => {
    const events = [recorded(drafted, 0, 'p0'), recorded(published, 1, 'p1'), recorded(committed, 2, 'p2')];
    for (const event of events) await dataSource.transaction((tx) => projection.apply(event, tx));
    const once = await row();
    for (const event of events) await dataSource.transaction((tx) => projection.apply(event, tx));
    expect(await row()).toEqual(once);
    expect(once).toEqual({ status: 'published', committed_minor: '250000', version: 2 });
  });

  it('in batches too: a replayed draft (alone in its batch, so the row is not read) leaves the newer row as it is, in one statement', async () => {
    const events = [recorded(drafted, 0, 'p0'), recorded(published, 1, 'p1'), recorded(committed, 2, 'p2')];
    await dataSource.transaction((tx) => projection.applyBatch(events, tx));
    const once = await row();
    expect(once).toEqual({ status: 'published', committed_minor: '250000', version: 2 });
    const statements: string[] = [];
    await dataSource.transaction(async (tx) => {
      const query = tx.query.bind(tx);
      tx.query = ((sql: string, params?: unknown[]) => {
        statements.push(sql.trim().split(/\s+/)[0]);
        return query(sql, params);
      }) as typeof tx.query;
      await projection.applyBatch([recorded({ ...drafted, data: { ...drafted.data, title: 'replayed' } } as CallEvent, 0, 'p0')], tx);
    });
    expect(statements).toEqual(['INSERT']);
    expect(await row()).toEqual(once);
    expect((await dataSource.query('SELECT title FROM calls WHERE id = $1', [callId]))[0].title).toBe('T');
    // Replayed whole, the same.
    await dataSource.transaction((tx) => projection.applyBatch(events, tx));
    expect(await row()).toEqual(once);
  });

  it('folds a batch in place to exactly the row one event at a time gives, every column (extensions, commitments, a close), whatever the batch cut', async () => {
    const at = (minute: number) => new Date(Date.parse('2027-02-01T09:00:00Z') + minute * 60_000);
    const grantId = randomUUID();
    const later: CallEvent[] = [
      published,
      { type: 'CallDeadlineExtended', data: { callId, previousClosesAt: '2027-03-31T00:00:00Z', newClosesAt: '2027-04-30T00:00:00Z', reason: 'Shutdown', extendedAt: '2027-03-01T00:00:00Z' } },
      committed,
      { type: 'FundsCommitted', data: { callId, grantId, proposalId: randomUUID(), amountMinor: 100_000, committedAt: '2027-05-02T00:00:00Z' } },
      { type: 'CallDeadlineExtended', data: { callId, previousClosesAt: '2027-04-30T00:00:00Z', newClosesAt: '2027-05-31T00:00:00Z', reason: 'Again', extendedAt: '2027-04-01T00:00:00Z' } },
      { type: 'CommitmentAdjusted', data: { callId, grantId, adjustmentId: randomUUID(), changeMinor: -20_000, amountMinor: 80_000, reason: 'Amendment', adjustedAt: '2027-06-01T00:00:00Z' } },
      { type: 'FundsReleased', data: { callId, grantId, amountMinor: 30_000, reason: 'Unspent', releasedAt: '2027-07-01T00:00:00Z' } },
      { type: 'CallClosed', data: { callId, closedAt: '2027-06-01T00:00:00Z', reason: 'Window over' } },
    ];
    const events = [drafted, ...later].map((event, version) => ({ ...recorded(event, version, `p${version}`), recordedAt: at(version) }));
    const all = async () => (await dataSource.query('SELECT * FROM calls WHERE id = $1', [callId]))[0];
    const reset = () => dataSource.query('DELETE FROM calls WHERE id = $1', [callId]);
    await reset();
    for (const event of events) await dataSource.transaction((tx) => projection.apply(event, tx));
    const expected = await all();
    expect(expected).toMatchObject({ status: 'closed', committed_minor: '300000', version: events.length - 1, status_reason: 'Window over' });
    expect(expected.deadline_extensions).toHaveLength(2);
    expect(expected.updated_at).toEqual(at(events.length - 1));
    for (const size of [1, 2, 3, events.length]) {
      await reset();
      for (let i = 0; i < events.length; i += size) await dataSource.transaction((tx) => projection.applyBatch(events.slice(i, i + size), tx));
      expect(await all()).toEqual(expected);
      // A batch replayed whole changes nothing, and leaves the events' data as they were.
      const data = JSON.stringify(events.map((e) => e.data));
      await dataSource.transaction((tx) => projection.applyBatch(events, tx));
      expect(await all()).toEqual(expected);
      expect(JSON.stringify(events.map((e) => e.data))).toBe(data);
    }
  });
});
