import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@app/event-store';
import { loadConfig } from '@app/platform/config/app-config';
import type { MailConfig } from '@app/platform/config/mail-config';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { databaseOptions } from '../database-options';
import { notificationFanOut } from './notification-fan-out';

const proposalId = randomUUID();
const lead = randomUUID();
const grantId = randomUUID();

function recorded(streamId: string, type: string, data: Record<string, unknown>, recordedAt = new Date()): RecordedEvent {
  return {
    streamId, streamVersion: 0, position: String(Date.now()), eventId: randomUUID(), type, schemaVersion: 1, data,
    metadata: { eventId: randomUUID(), actorId: 'alice', actorRole: 'grant-manager', correlationId: 'c', causationId: 'c', recordedAt: recordedAt.toISOString() },
    recordedAt,
  };
}

describe('notification fan-out (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  const mail: MailConfig = { ...loadConfig({ LOG_LEVEL: 'silent' }).mail, smtpHost: 'smtp.test', disabledKinds: ['reviewer-assigned'] };

  beforeAll(async () => {
    db = await createTestDatabase('notifications');
    dataSource = await new DataSource(databaseOptions(db.url, { size: 2 })).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const apply = (fanOut: ReturnType<typeof notificationFanOut>, events: RecordedEvent[]) => dataSource.transaction((tx) => fanOut.apply(events, tx, undefined));
  const rows = async () =>
    (await dataSource.query('SELECT kind, recipient_kind, recipient_id, status, skipped_reason FROM notifications ORDER BY kind')) as Record<string, string | null>[];

  it('queues each fact once however often its batch is applied, to the lead it learnt from the draft, skipping kinds turned off', async () => {
    const batch = [
      recorded(`proposal-${proposalId}`, 'ProposalDrafted', { proposalId, leadOrganisationId: lead }),
      recorded(`proposal-${proposalId}`, 'ReviewerAssigned', { proposalId, reviewerId: 'sub-7' }),
      recorded(`proposal-${proposalId}`, 'FundingDecisionRecorded', { proposalId, decision: 'award' }),
      recorded(`grant-${grantId}`, 'GrantAwarded', { grantId, proposalId, granteeOrganisationId: lead }),
      recorded(`grant-${grantId}`, 'ReportScheduled', { grantId, reportId: 'r1', dueDate: '2027-06-30' }),
    ];
    const fanOut = notificationFanOut(mail);
    let woken = 0;
    fanOut.onQueued(() => (woken += 1));
    await apply(fanOut, batch);
    fanOut.committed?.(batch);
    await apply(fanOut, batch); // a batch redone after a crash
    fanOut.committed?.(batch);

    expect(await rows()).toEqual([
      { kind: 'decision-recorded', recipient_kind: 'organisation', recipient_id: lead, status: 'pending', skipped_reason: null },
      { kind: 'reviewer-assigned', recipient_kind: 'reviewer', recipient_id: 'sub-7', status: 'skipped', skipped_reason: 'kind-disabled' },
    ]);
    expect(woken).toBe(1); // the second pass queued nothing new
    expect(await dataSource.query(`SELECT organisation_id, to_char(due_date, 'YYYY-MM-DD') AS due, open FROM notification_reports`)).toEqual([{ organisation_id: lead, due: '2027-06-30', open: true }]);

    await apply(fanOut, [recorded(`grant-${grantId}`, 'ReportSubmitted', { grantId, reportId: 'r1' })]);
    expect(await dataSource.query('SELECT open FROM notification_reports')).toEqual([{ open: false }]);
  });

  it('wakes the sender when a report becomes owed (scheduled, moved, sent back for revision), so its reminder need not wait for the minute scan', async () => {
    const fanOut = notificationFanOut(mail);
    let woken = 0;
    fanOut.onQueued(() => (woken += 1));
    const pass = async (events: RecordedEvent[]) => {
      await apply(fanOut, events);
      fanOut.committed?.(events);
    };
    await pass([recorded(`grant-${grantId}`, 'ReportScheduled', { grantId, reportId: 'r2', dueDate: '2027-07-31' })]);
    expect(woken).toBe(1);
    await pass([recorded(`grant-${grantId}`, 'ReportScheduled', { grantId, reportId: 'r2', dueDate: '2027-07-31' })]); // redone: nothing new
    expect(woken).toBe(1);
    await pass([recorded(`grant-${grantId}`, 'ReportSubmitted', { grantId, reportId: 'r2' })]); // owed no more: nothing to remind of
    expect(woken).toBe(1);
    await pass([recorded(`grant-${grantId}`, 'ReportRevisionRequested', { grantId, reportId: 'r2' })]);
    expect(woken).toBe(2);
    await pass([recorded(`grant-${grantId}`, 'ReportRevisionRequested', { grantId, reportId: 'r2' })]); // already owed
    expect(woken).toBe(2);
  });

  it('records an old event and mail switched off as skipped, and queues nothing for a proposal it never saw drafted', async () => {
    const other = randomUUID();
    const old = new Date(Date.now() - 73 * 3_600_000);
    await apply(notificationFanOut(mail), [
      recorded(`proposal-${proposalId}`, 'ClarificationRequested', { proposalId, requestId: 'q1' }, old),
      recorded(`proposal-${other}`, 'FundingDecisionRecorded', { proposalId: other, decision: 'reject' }),
    ]);
    await apply(notificationFanOut({ ...mail, smtpHost: undefined }), [recorded(`proposal-${proposalId}`, 'ClarificationRequested', { proposalId, requestId: 'q2' })]);
    const clarifications: { skipped_reason: string }[] = await dataSource.query(`SELECT skipped_reason FROM notifications WHERE kind = 'clarification-requested' ORDER BY created_at`);
    expect(clarifications.map((row) => row.skipped_reason).sort()).toEqual(['mail-disabled', 'stale']);
    expect(await dataSource.query('SELECT 1 FROM notifications WHERE record_id = $1', [other])).toEqual([]);
  });
});
