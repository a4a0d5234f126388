/**
 * A report the grantee will not deliver is waived by the programme (`POST
 * /grants/:id/reports/:reportId/waiver`, grant managers and admins, with a reason of at most 2,000
 * characters): `ReportWaived`, shown in `GET /grants/:id` (status `waived`, the reason and when),
 * owed no more (not overdue, no reminder, not in the way of closure), in the audit timeline. A
 * waiver pays nothing: the tranche payable only once that report is accepted is cancelled with it.
 * Until 2026-12-07 a grant whose report would never come could only be terminated.
 */
import { DataSource } from 'typeorm';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { eventCount, streamEvents } from '../support/log';
import { GrantScenario } from './grants-support';

const NOW = '2027-01-10T09:00:00Z';
const REASON = "The network's office in Tripoli was closed by the authorities and its coordinator left the country; the interim narrative cannot be written";

interface ReportView {
  reportId: string;
  status: string;
  waiver: { reason: string; waivedAt: string } | null;
}

describe('waiving a report the grantee will not deliver', () => {
  let t: TestApp;
  let scenario: GrantScenario;
  let tokens: Record<'manager' | 'applicant' | 'auditor', string>;
  let lead: string;

  beforeAll(async () => {
    t = await createTestApp({ now: NOW });
    scenario = new GrantScenario(t);
    lead = await scenario.organisation('LB', ['applicant-user']);
    tokens = {
      manager: `Bearer ${await t.token({ role: 'grant-manager', id: 'alice' })}`,
      applicant: `Bearer ${await t.token({ role: 'applicant', id: 'applicant-user', organisationId: lead })}`,
      auditor: `Bearer ${await t.token({ role: 'auditor', id: 'audrey' })}`,
    };
  });

  afterAll(async () => {
    await t.close();
  });

  const post = (who: keyof typeof tokens, path: string, body: object = {}) => t.http.post(path).set('Authorization', tokens[who]).send(body);
  const grantAt = (grantId: string, version: number, who: keyof typeof tokens = 'manager') =>
    eventually(async () => {
      const res = await t.http.get(`/grants/${grantId}`).set('Authorization', tokens[who]);
      return res.status === 200 && res.body.version >= version ? res.body : undefined;
    });
  const reportOf = (grant: { reports: ReportView[] }, reportId: string) => grant.reports.find((r) => r.reportId === reportId) as ReportView;

  it('a grant manager waives the interim report with a reason: shown waived, owed no more, its tranche cancelled, and the grant closes', async () => {
    const partner = await scenario.organisation('PS');
    const callId = await scenario.publishedCall();
    const grantId = await scenario.award(await scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [partner], requestedMinor: 5_000_000 }), 5_000_000);
    await grantAt(grantId, 0);
    const interim = (await post('manager', `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-06-30' }).expect(201)).body.reportId as string;
    const final = (await post('manager', `/grants/${grantId}/reports`, { kind: 'final', dueDate: '2028-12-31' }).expect(201)).body.reportId as string;
    await post('manager', `/grants/${grantId}/agreement`, { signatories: [{ name: 'Rania Haddad', role: 'Director' }] }).expect(200);
    const advance = (await post('manager', `/grants/${grantId}/disbursements`, { amountMinor: 2_000_000, dueDate: '2027-02-15' }).expect(201)).body.trancheId as string;
    const afterInterim = (await post('manager', `/grants/${grantId}/disbursements`, { amountMinor: 2_000_000, dueDate: '2027-08-31', conditionReportId: interim }).expect(201)).body.trancheId as string;
    const balance = (await post('manager', `/grants/${grantId}/disbursements`, { amountMinor: 1_000_000, dueDate: '2029-01-31', conditionReportId: final }).expect(201)).body.trancheId as string;
    await post('manager', `/grants/${grantId}/disbursements/${advance}/payment`, { paymentReference: 'SEPA-2027-0101' }).expect(200);
    // The final report comes, and is accepted; the balance is paid on it.
    await post('applicant', `/grants/${grantId}/reports/${final}/submission`, { summary: 'Hearings held; the policy brief went to parliament' }).expect(200);
    // A report submitted and awaiting review is reviewed, not waived.
    expect((await post('manager', `/grants/${grantId}/reports/${final}/waiver`, { reason: REASON }).expect(422)).body.rule).toBe('grant.report.already-submitted');
    await post('manager', `/grants/${grantId}/reports/${final}/acceptance`).expect(200);
    await post('manager', `/grants/${grantId}/disbursements/${balance}/payment`, { paymentReference: 'SEPA-2028-0200' }).expect(200);

    // The interim report never came: overdue, still reminded, and the grant cannot close.
    t.clock.set('2027-07-15T09:00:00Z');
    const overdue = await grantAt(grantId, 10);
    expect(overdue).toMatchObject({ overdue: true, nextReportDue: '2027-06-30' });
    const closure = await post('manager', `/grants/${grantId}/closure`).expect(422);
    expect(closure.body).toMatchObject({ rule: 'grant.closure.reports-outstanding', detail: expect.stringContaining(interim) });
    const reminders = t.app.get(DataSource);
    const open = async () => ((await reminders.query('SELECT open FROM notification_reports WHERE report_id = $1', [interim])) as { open: boolean }[])[0]?.open;
    await eventually(async () => ((await open()) === true ? true : undefined));

    // Only the programme team waives: an applicant of the grantee, an auditor are refused (403), nothing appended.
    const before = await eventCount(t);
    await post('applicant', `/grants/${grantId}/reports/${interim}/waiver`, { reason: REASON }).expect(403);
    await post('auditor', `/grants/${grantId}/reports/${interim}/waiver`, { reason: REASON }).expect(403);
    // A reason is required, of at most 2,000 characters (400 field errors, nothing appended).
    const long = await post('manager', `/grants/${grantId}/reports/${interim}/waiver`, { reason: 'x'.repeat(2001) }).expect(400);
    expect(long.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(long.body.errors).toEqual([expect.objectContaining({ field: 'reason' })]);
    await post('manager', `/grants/${grantId}/reports/${interim}/waiver`, {}).expect(400);
    await post('manager', `/grants/${grantId}/reports/${interim}/waiver`, { reason: '' }).expect(400);
    expect(await eventCount(t)).toBe(before);

    // As-of reads go by the time the log recorded (the server's), not the programme clock.
    const beforeWaiver = new Date().toISOString();
    const waived = await post('manager', `/grants/${grantId}/reports/${interim}/waiver`, { reason: REASON }).expect(200);
    expect(waived.body).toEqual({ id: grantId, version: expect.any(Number) });

    const view = await grantAt(grantId, waived.body.version);
    expect(reportOf(view, interim)).toMatchObject({ status: 'waived', submittedAt: null, acceptedAt: null, waiver: { reason: REASON, waivedAt: '2027-07-15T09:00:00.000Z' } });
    expect(reportOf(view, final)).toMatchObject({ status: 'accepted', waiver: null });
    // Owed no more: not overdue, no next report due; the tranche that waited for it will never be paid.
    expect(view).toMatchObject({ overdue: false, nextReportDue: null, disbursedMinor: 3_000_000, scheduledMinor: 3_000_000 });
    expect(view.tranches.find((tranche: { trancheId: string }) => tranche.trancheId === afterInterim)).toMatchObject({
      status: 'cancelled',
      cancellationReason: `Payable only once report ${interim} was accepted, which was waived`,
    });
    // The grantee reads why (not who decided).
    const asGrantee = await grantAt(grantId, waived.body.version, 'applicant');
    expect(reportOf(asGrantee, interim).waiver).toEqual({ reason: REASON, waivedAt: '2027-07-15T09:00:00.000Z' });
    expect(JSON.stringify(asGrantee)).not.toContain('alice');
    // No reminder any more.
    await eventually(async () => ((await open()) === false ? true : undefined));
    const overdueList = await t.http.get(`/grants?overdue=true&callId=${callId}`).set('Authorization', tokens.manager).expect(200);
    expect(overdueList.body.items).toEqual([]);

    // The waiver stands: not waived twice, and the report is no longer submitted.
    expect((await post('manager', `/grants/${grantId}/reports/${interim}/waiver`, { reason: REASON }).expect(422)).body.rule).toBe('grant.report.already-waived');
    expect((await post('applicant', `/grants/${grantId}/reports/${interim}/submission`, { summary: 'Late after all' }).expect(422)).body.rule).toBe('grant.report.already-waived');

    // The audit timeline has it: who (a grant manager), when, why, and the cancellation it caused.
    const timeline = await t.http.get(`/audit/streams/grant-${grantId}`).set('Authorization', tokens.auditor).expect(200);
    const types = timeline.body.items.map((e: { type: string }) => e.type);
    const at = types.indexOf('ReportWaived');
    expect(timeline.body.items[at]).toMatchObject({ actorId: 'alice', actorRole: 'grant-manager', data: { grantId, reportId: interim, reason: REASON, waivedBy: 'alice', waivedAt: '2027-07-15T09:00:00.000Z' } });
    expect(timeline.body.items[at + 1]).toMatchObject({ type: 'DisbursementCancelled', data: { trancheId: afterInterim } });
    const log = await t.http.get('/audit/log').query({ type: 'ReportWaived' }).set('Authorization', tokens.auditor).expect(200);
    expect(log.body.items.map((e: { streamId: string }) => e.streamId)).toContain(`grant-${grantId}`);

    // As of before the waiver, the report was owed.
    const asOf = await t.http.get(`/grants/${grantId}`).query({ asOf: beforeWaiver }).set('Authorization', tokens.auditor).expect(200);
    expect(reportOf(asOf.body, interim)).toMatchObject({ status: 'scheduled', waiver: null });

    // Every report accepted or waived, every tranche paid or cancelled: the grant closes; what was not paid goes back to the call.
    await post('manager', `/grants/${grantId}/closure`).expect(200);
    const closed = await grantAt(grantId, waived.body.version + 1);
    expect(closed).toMatchObject({ status: 'closed', unspentMinor: 2_000_000 });
    const call = await eventually(async () => {
      const res = await t.http.get(`/calls/${callId}`).set('Authorization', tokens.manager);
      return res.body.committedMinor === 3_000_000 ? res.body : undefined;
    });
    expect(call.committedMinor).toBe(3_000_000);
    // Not in the partners' feed: reports are not public events.
    expect((await streamEvents(t, `grant-${grantId}`)).some((e) => e.type === 'ReportWaived')).toBe(true);
    const catalogue = await t.http.get('/events/catalogue').set('Authorization', tokens.auditor);
    expect(JSON.stringify(catalogue.body)).not.toMatch(/waive/i);
  });
});
