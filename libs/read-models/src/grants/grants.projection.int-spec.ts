import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import type { GrantEvent } from '@app/domain/grant';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { dataSourceOptions } from '../data-source-options';
import { GrantsDocumentNames1764001720000 } from './grants-document-names.migration';
import { GrantView } from './grant-view.entity';
import { GrantsProjection } from './grants.projection';

const grantId = '9c1f2a11-7d9b-4f38-9c55-1b0e6f3c0a3e';
const reportId = 'a1c3e5f7-1111-4222-8333-444455556666';
const trancheId = 'b2d4f6a8-1111-4222-8333-444455556666';

function recorded(event: GrantEvent, streamVersion: number): RecordedEvent {
  const recordedAt = new Date('2027-05-10T09:00:00Z');
  return {
    streamId: `grant-${event.data.grantId}`, streamVersion, position: String(streamVersion), eventId: randomUUID(), type: event.type, schemaVersion: 1, data: event.data,
    metadata: { eventId: randomUUID(), actorId: 'alice', actorRole: 'grant-manager', correlationId: 'c', causationId: 'c', recordedAt: recordedAt.toISOString() },
    recordedAt,
  };
}

const history: GrantEvent[] = [
  {
    type: 'GrantAwarded',
    data: {
      grantId, proposalId: randomUUID(), callId: randomUUID(), granteeOrganisationId: randomUUID(), partnerOrganisationIds: [randomUUID()],
      amountMinor: 5_000_000, currency: 'EUR', periodStart: '2027-05-03', periodEnd: '2029-05-02', conditions: [], awardedAt: '2027-05-03T09:00:00Z',
    },
  },
  { type: 'ReportScheduled', data: { grantId, reportId, kind: 'interim', dueDate: '2027-12-31', scheduledAt: '2027-05-04T09:00:00Z' } },
  { type: 'GrantAgreementSigned', data: { grantId, signedAt: '2027-05-05T09:00:00Z', signatories: [{ name: 'Rania Haddad', role: 'Director' }] } },
  { type: 'DisbursementScheduled', data: { grantId, trancheId, amountMinor: 2_000_000, dueDate: '2027-06-15', scheduledAt: '2027-05-05T10:00:00Z' } },
  { type: 'DisbursementPaid', data: { grantId, trancheId, paymentReference: 'SEPA-1', amountMinor: 2_000_000, paidAt: '2027-06-15T10:00:00Z' } },
  {
    type: 'GrantAmended',
    data: { grantId, amendmentId: 'amend-1', kind: 'amount-change', previousAmountMinor: 5_000_000, newAmountMinor: 6_000_000, reason: 'More hearings', approvedBy: 'alice', amendedAt: '2027-07-01T09:00:00Z' },
  },
];

describe('grants projection', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const projection = new GrantsProjection();

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await new DataSource(dataSourceOptions(db.url)).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  const row = async (id = grantId) =>
    (
      await dataSource.query(
        `SELECT status, amount_minor, scheduled_minor, paid_minor, remaining_minor, next_report_due::text, next_report_owed::text, amendments, state, version
         FROM grants WHERE id = $1`,
        [id],
      )
    )[0];

  it('changes nothing when the same events are applied twice, and keeps no personal data', async () => {
    const events = history.map((event, version) => recorded(event, version));
    for (const event of events) await dataSource.transaction((tx) => projection.apply(event, tx));
    const once = await row();
    for (const event of events) await dataSource.transaction((tx) => projection.apply(event, tx));
    expect(await row()).toEqual(once);
    expect(once).toMatchObject({
      status: 'active',
      amount_minor: '6000000',
      scheduled_minor: '2000000',
      paid_minor: '2000000',
      remaining_minor: '4000000',
      next_report_due: '2027-12-31',
      next_report_owed: '2027-12-31',
      version: 5,
    });
    expect(once.amendments).toHaveLength(1);
    // No personal data: the signatories of the agreement are not kept in the read model.
    expect(JSON.stringify(once)).not.toContain('Rania Haddad');
  });

  it('a cancelled tranche leaves the scheduled total and shows as cancelled, with when and why', async () => {
    const otherGrantId = randomUUID();
    const [awarded, , signed] = history;
    const cancelledTranche = randomUUID();
    const events: GrantEvent[] = [
      { ...awarded, data: { ...awarded.data, grantId: otherGrantId } } as GrantEvent,
      { ...signed, data: { ...signed.data, grantId: otherGrantId } } as GrantEvent,
      { type: 'DisbursementScheduled', data: { grantId: otherGrantId, trancheId, amountMinor: 2_000_000, dueDate: '2027-06-15', scheduledAt: '2027-05-05T10:00:00Z' } },
      { type: 'DisbursementScheduled', data: { grantId: otherGrantId, trancheId: cancelledTranche, amountMinor: 1_500_000, dueDate: '2027-12-15', scheduledAt: '2027-05-05T10:00:00Z' } },
      { type: 'DisbursementPaid', data: { grantId: otherGrantId, trancheId, paymentReference: 'SEPA-1', amountMinor: 2_000_000, paidAt: '2027-06-15T10:00:00Z' } },
      {
        type: 'DisbursementCancelled',
        data: { grantId: otherGrantId, trancheId: cancelledTranche, amountMinor: 1_500_000, reason: 'Hearings dropped', cancelledBy: 'alice', cancelledAt: '2027-07-01T09:00:00Z' },
      },
    ];
    for (const [version, event] of events.entries()) await dataSource.transaction((tx) => projection.apply(recorded(event, version), tx));
    const view = await row(otherGrantId);
    expect(view).toMatchObject({ status: 'active', amount_minor: '5000000', scheduled_minor: '2000000', paid_minor: '2000000', remaining_minor: '3000000', version: 5 });
    expect(view.state.tranches).toEqual([
      expect.objectContaining({ trancheId, status: 'paid' }),
      expect.objectContaining({ trancheId: cancelledTranche, status: 'cancelled', cancelledAt: '2027-07-01T09:00:00Z', cancellationReason: 'Hearings dropped' }),
    ]);
  });
  it('projects a report due in year 0000 (recorded before the API refused it) as that day, applied one by one and in a batch, instead of stalling', async () => {
    const [awarded] = history;
    const events = (id: string): GrantEvent[] => [
      { ...awarded, data: { ...awarded.data, grantId: id } } as GrantEvent,
      { type: 'ReportScheduled', data: { grantId: id, reportId, kind: 'interim', dueDate: '0000-02-29', scheduledAt: '2027-05-04T09:00:00Z' } },
    ];
    const one = randomUUID();
    const batched = randomUUID();
    for (const [version, event] of events(one).entries()) await dataSource.transaction((tx) => projection.apply(recorded(event, version), tx));
    await dataSource.transaction((tx) => projection.applyBatch(events(batched).map((event, version) => recorded(event, version)), tx));
    for (const id of [one, batched]) {
      // PostgreSQL's name for ISO 8601's year 0; the day is the same (year 0 is a leap year in both).
      expect(await row(id)).toMatchObject({ next_report_due: '0001-02-29 BC', next_report_owed: '0001-02-29 BC', version: 1 });
      expect(await dataSource.getRepository(GrantView).findOneBy({ id })).toMatchObject({ nextReportDue: '0000-02-29', nextReportOwed: '0000-02-29' });
    }
    const overdue: { id: string }[] = await dataSource.query('SELECT id FROM grants WHERE id = ANY ($1::uuid[]) AND next_report_owed < $2', [[one, batched], '0001-01-01']);
    expect(overdue.map(({ id }) => id).sort()).toEqual([one, batched].sort());
  });

  it("keeps no document's name (personal data): not applied one by one, not in a batch; the migration clears rows projected before", async () => {
    const [awarded] = history;
    const name = 'Passport_Rania_Haddad.pdf';
    const attached = (id: string): GrantEvent => ({
      type: 'GrantDocumentAttached',
      data: {
        grantId: id, documentId: randomUUID(), organisationId: randomUUID(), name, sizeBytes: 1234, contentType: 'application/pdf',
        sha256: 'ab'.repeat(32), attachedBy: 'applicant-user', attachedAt: '2027-05-06T09:00:00Z',
      },
    });
    const one = randomUUID();
    const batched = randomUUID();
    for (const [version, event] of [{ ...awarded, data: { ...awarded.data, grantId: one } } as GrantEvent, attached(one)].entries()) {
      await dataSource.transaction((tx) => projection.apply(recorded(event, version), tx));
    }
    const batch = [{ ...awarded, data: { ...awarded.data, grantId: batched } } as GrantEvent, attached(batched)].map((event, version) => recorded(event, version));
    await dataSource.transaction((tx) => projection.applyBatch(batch, tx));
    for (const id of [one, batched]) {
      const projected = await row(id);
      expect(projected.version).toBe(1);
      expect(projected.state.documents).toEqual([expect.objectContaining({ name: null, sizeBytes: 1234, contentType: 'application/pdf', sha256: 'ab'.repeat(32) })]);
      expect(JSON.stringify(projected)).not.toContain('Rania');
    }
    expect(projection.input).toBe('sealed');

    // A row as the projection wrote it before: the name in clear. The migration leaves the rest as it was.
    await dataSource.query(`UPDATE grants SET state = jsonb_set(state, '{documents,0,name}', to_jsonb($2::text)) WHERE id = $1`, [one, name]);
    const before = await row(one);
    expect(JSON.stringify(before)).toContain('Rania');
    const runner = dataSource.createQueryRunner();
    try {
      await new GrantsDocumentNames1764001720000().up(runner);
      await new GrantsDocumentNames1764001720000().up(runner); // again: nothing left to change
    } finally {
      await runner.release();
    }
    const after = await row(one);
    expect(JSON.stringify(after)).not.toContain('Rania');
    expect(after).toEqual({ ...before, state: { ...before.state, documents: [{ ...before.state.documents[0], name: null }] } });
  });
});
