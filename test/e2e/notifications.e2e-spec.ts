import { randomUUID } from 'node:crypto';
import { loadConfig } from '@app/platform/config/app-config';
import type { MailConfig } from '@app/platform/config/mail-config';
import { createTestApp, eventually, type TestApp } from '../support/app';
import { SmtpInbox } from '../support/smtp-inbox';
import { DataSource } from 'typeorm';
import { grantDecider, grantStreamName } from '@app/domain/grant';
import { GrantScenario, humanContext } from './grants-support';

const NOW = '2027-01-10T09:00:00Z';
const FROM = 'notify@ledger.test';
const TEAM = 'grants-team@programme.example.org';

/**
 * E-mail notifications end to end: the grant flow driven over HTTP (the scenario helpers set up
 * what comes before a decision), the worker's notifier mailing a real SMTP server started here.
 */
describe('e-mail notifications over SMTP', () => {
  let t: TestApp;
  let inbox: SmtpInbox;
  let scenario: GrantScenario;
  let manager: string;
  let admin: string;
  let auditor: string;
  let callId: string;
  let db: DataSource;
  const contacts = {
    lead: `lead-${randomUUID().slice(0, 8)}@network.example.org`,
    erased: `erased-${randomUUID().slice(0, 8)}@network.example.org`,
    erasedWhileQueued: `queued-${randomUUID().slice(0, 8)}@network.example.org`,
  };
  const organisations: Record<keyof typeof contacts, string> = { lead: '', erased: '', erasedWhileQueued: '' };

  beforeAll(async () => {
    inbox = await new SmtpInbox().start(0);
    const mail: MailConfig = {
      ...loadConfig({ LOG_LEVEL: 'silent' }).mail,
      smtpHost: '127.0.0.1',
      smtpPort: inbox.port,
      smtpTls: 'none',
      from: `Grant Ledger <${FROM}>`,
      disabledKinds: ['clarification-requested'],
      programmeAddress: TEAM,
      reportDueDays: 7,
      retryBaseMs: 100,
      retryMaxMs: 400,
      maxAttempts: 50,
      pollMs: 100,
      timeoutMs: 2_000,
    };
    t = await createTestApp({ now: NOW, config: { mail, publicBaseUrl: 'https://ledger.example.org' } });
    scenario = new GrantScenario(t);
    manager = await t.token({ role: 'grant-manager', id: 'alice' });
    admin = await t.token({ role: 'admin', id: 'root' });
    auditor = await t.token({ role: 'auditor', id: 'audrey' });
    for (const key of Object.keys(contacts) as (keyof typeof contacts)[]) {
      const registered = await post(manager, '/organisations', {
        name: `Network ${key}`,
        country: 'LB',
        legalStatus: 'unregistered-group',
        focusGroups: ['stateless-people'],
        contactPerson: { name: `Contact ${key} Haddad`, email: contacts[key] },
        memberUserIds: ['applicant-user'],
      }).expect(201);
      organisations[key] = registered.body.id;
    }
    db = t.app.get(DataSource);
    // A network of the lead alone (the call counts the lead): no partner sign-offs to collect.
    callId = await scenario.publishedCall({ minPartners: 1 });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await inbox?.stop();
  });

  const as = (token: string) => ({ Authorization: `Bearer ${token}` });
  function post(token: string, path: string, body: object = {}) {
    return t.http.post(path).set(as(token)).send(body);
  }
  const ready = (lead: string) => scenario.proposalReadyForDecision({ callId, leadOrganisationId: lead, partnerOrganisationIds: [], requestedMinor: 1_000_000 });
  const mailTo = (address: string, subject: RegExp) => eventually(async () => inbox.to(address).find((m) => subject.test(m.subject)), 10_000);
  const logOf = async (query: string) => (await t.http.get(`/admin/notifications?${query}`).set(as(auditor)).expect(200)).body.items as Record<string, unknown>[];
  const logEntry = (recordId: string, kind: string, status: string, recipientId?: string) =>
    eventually(
      async () => (await logOf(`recordId=${recordId}&kind=${kind}`)).find((entry) => entry.status === status && (!recipientId || (entry.recipient as { id: string }).id === recipientId)),
      10_000,
    );

  it('mails the lead organisation when a decision is recorded: to its contact, from the configured sender, a link and nothing else', async () => {
    const proposalId = await ready(organisations.lead);
    await post(manager, `/proposals/${proposalId}/decision`, { decision: 'reject', reasons: 'Outside the call priorities (Haddad family case)', committee: 'Grants committee' }).expect(200);

    const mail = await mailTo(contacts.lead, /decision was recorded/);
    expect(mail.to).toEqual([contacts.lead]);
    expect(mail.from).toBe(FROM);
    expect(mail.subject).toBe(`A decision was recorded on your proposal (${proposalId.slice(0, 8)})`);
    expect(mail.text).toContain(`https://ledger.example.org/console/#/applicant/proposal/${proposalId}`);
    expect(mail.raw).toMatch(/^Auto-Submitted: auto-generated\r?$/m);
    // No secrets, no one's personal data, not even the outcome: only that something happened.
    for (const secret of [manager, admin, 'Haddad', 'reject', 'Grants committee', contacts.erased, 'EUR']) expect(mail.raw).not.toContain(secret);

    const entry = await logEntry(proposalId, 'decision-recorded', 'sent');
    expect(entry).toMatchObject({ recipient: { kind: 'organisation', id: organisations.lead }, record: { kind: 'proposal', id: proposalId }, attempts: 1, lastError: null });
    // The delivery log names subjects, never addresses.
    expect(JSON.stringify(await logOf('limit=200'))).not.toContain('@network.example.org');
    const rows: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM notifications WHERE row_to_json(notifications)::text LIKE '%example.org%'`);
    expect(rows[0].n).toBe(0);
  });

  it('sends nothing for a kind turned off: the clarification request is logged as skipped', async () => {
    const proposalId = await ready(organisations.lead);
    await post(manager, `/proposals/${proposalId}/clarification-requests`, { questions: ['Which courts will the clinics cover?'] }).expect(200);
    await post(manager, `/proposals/${proposalId}/decision`, { decision: 'reserve', reasons: 'Reserve list', committee: 'Grants committee' }).expect(200);

    // The decision, queued after the clarification in log order, arrives; the clarification never does.
    await mailTo(contacts.lead, new RegExp(`decision was recorded.*${proposalId.slice(0, 8)}`));
    expect(await logEntry(proposalId, 'clarification-requested', 'skipped')).toMatchObject({ skippedReason: 'kind-disabled', attempts: 0 });
    expect(inbox.to(contacts.lead).filter((m) => /[Cc]larification/.test(m.subject))).toEqual([]);
  });

  it('reminds the grantee of a report due in 7 days, then of it overdue, once each, by the programme clock; the programme team of it overdue', async () => {
    const proposalId = await ready(organisations.lead);
    // The grant as the award process manager creates it (the reminder needs a grantee and a report, not the funds path).
    const grantId = randomUUID();
    await scenario.executor.execute(
      grantDecider,
      grantStreamName(grantId),
      grantId,
      {
        type: 'AwardGrant',
        data: { grantId, proposalId, callId, granteeOrganisationId: organisations.lead, partnerOrganisationIds: [], amountMinor: 1_000_000, currency: 'EUR', periodStart: '2027-06-01', periodEnd: '2028-05-31', conditions: [] },
        now: '2027-05-03T09:00:00.000Z',
      },
      humanContext('system', 'system'),
    );
    await eventually(async () => ((await t.http.get(`/grants/${grantId}`).set(as(manager))).status === 200 ? true : undefined));
    const report = await post(manager, `/grants/${grantId}/reports`, { kind: 'interim', dueDate: '2027-06-30' }).expect(201);
    expect(report.body.reportId).toEqual(expect.any(String));
    const due = new RegExp(`report is due on 2027-06-30 \\(grant ${grantId.slice(0, 8)}\\)`);
    const overdue = new RegExp(`report is overdue \\(grant ${grantId.slice(0, 8)}\\)`);

    t.clock.set('2027-06-22T12:00:00Z'); // 8 days before: not yet
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(inbox.to(contacts.lead).filter((m) => due.test(m.subject))).toEqual([]);

    t.clock.set('2027-06-23T08:00:00Z');
    const dueMail = await mailTo(contacts.lead, due);
    expect(dueMail.text).toContain(`https://ledger.example.org/console/#/applicant/grant/${grantId}`);

    t.clock.set('2027-07-01T08:00:00Z');
    await mailTo(contacts.lead, overdue);
    await new Promise((resolve) => setTimeout(resolve, 500)); // several scheduler rounds
    expect(inbox.to(contacts.lead).filter((m) => due.test(m.subject))).toHaveLength(1);
    expect(inbox.to(contacts.lead).filter((m) => overdue.test(m.subject))).toHaveLength(1);
    // The programme's shared mailbox: the overdue report only, pointing at the portfolio.
    const team = await mailTo(TEAM, overdue);
    expect(team.text).toContain(`A report on grant ${grantId} was due on 2027-06-30`);
    expect(team.text).toContain('https://ledger.example.org/console/#/portfolio');
    expect(inbox.to(TEAM).filter((m) => m.subject.includes(grantId.slice(0, 8)))).toHaveLength(1);
    expect(await logEntry(grantId, 'report-overdue', 'sent', 'team')).toMatchObject({ recipient: { kind: 'programme', id: 'team' }, dueDate: '2027-06-30' });
    t.clock.set(NOW);
  });

  it('never mails an erased organisation: the decision is logged as skipped', async () => {
    const proposalId = await ready(organisations.erased);
    await post(admin, `/organisations/${organisations.erased}/erasure`, { reason: 'Data subject request DSR-0042' }).expect(200);
    await post(manager, `/proposals/${proposalId}/decision`, { decision: 'reject', reasons: 'Not ranked', committee: 'Grants committee' }).expect(200);

    const skipped = await logEntry(proposalId, 'decision-recorded', 'skipped');
    expect(skipped).toMatchObject({ skippedReason: 'erased', attempts: 0, recipient: { kind: 'organisation', id: organisations.erased } });
    // Even queued again by hand: the sender decides at sending time, and the key is gone.
    await t.http.post(`/admin/notifications/${skipped.id}/resend`).set(as(admin)).expect(202);
    await eventually(async () => {
      const [entry] = await logOf(`recordId=${proposalId}&kind=decision-recorded`);
      return entry.status === 'skipped' && entry.skippedReason === 'erased' ? entry : undefined;
    }, 10_000);
    expect(inbox.to(contacts.erased)).toEqual([]);
  });

  it('mails a reviewer at the address an admin recorded, and not once it is erased', async () => {
    const reviewer = `reviewer-${randomUUID().slice(0, 8)}`;
    const address = `${reviewer}@reviewers.example.org`;
    await t.http.put(`/admin/reviewer-contacts/${reviewer}`).set(as(manager)).send({ email: address }).expect(403);
    await t.http.put(`/admin/reviewer-contacts/${reviewer}`).set(as(admin)).send({ email: 'not-an-address' }).expect(400);
    await t.http.put(`/admin/reviewer-contacts/${reviewer}`).set(as(admin)).send({ email: address }).expect(200);
    const stored: { email: unknown }[] = await db.query('SELECT email FROM reviewer_contacts WHERE reviewer_id = $1', [reviewer]);
    expect(JSON.stringify(stored[0].email)).not.toContain(address); // sealed

    const first = await ready(organisations.lead);
    await post(manager, `/proposals/${first}/reviewers`, { reviewerId: reviewer }).expect(200);
    const mail = await mailTo(address, /assigned to you for review/);
    expect(mail.text).toContain('https://ledger.example.org/console/#/reviews');
    expect(mail.raw).not.toContain(first); // the queue, not which proposal

    await t.http.delete(`/admin/reviewer-contacts/${reviewer}`).set(as(admin)).expect(204);
    const second = await ready(organisations.lead);
    await post(manager, `/proposals/${second}/reviewers`, { reviewerId: reviewer }).expect(200);
    expect(await logEntry(second, 'reviewer-assigned', 'skipped', reviewer)).toMatchObject({ skippedReason: 'no-address', recipient: { kind: 'reviewer', id: reviewer } });
    expect(inbox.to(address)).toHaveLength(1);
  });

  it('gives up at once on a permanent refusal (5xx): dead after one attempt, with the reply code only', async () => {
    const reviewer = `reviewer-${randomUUID().slice(0, 8)}`;
    const address = `${reviewer}@gone.example.org`;
    inbox.refused.set(address, 550);
    await t.http.put(`/admin/reviewer-contacts/${reviewer}`).set(as(admin)).send({ email: address }).expect(200);
    const proposalId = await ready(organisations.lead);
    await post(manager, `/proposals/${proposalId}/reviewers`, { reviewerId: reviewer }).expect(200);
    const dead = await logEntry(proposalId, 'reviewer-assigned', 'dead', reviewer);
    expect(dead).toMatchObject({ attempts: 1, lastError: 'EENVELOPE 550', nextAttemptAt: null });
    expect(JSON.stringify(dead)).not.toContain('gone.example.org');

    // The mailbox is fixed: an admin queues it again, with a fresh attempt budget.
    inbox.refused.delete(address);
    await t.http.post(`/admin/notifications/${dead.id}/resend`).set(as(auditor)).expect(403);
    await t.http.post(`/admin/notifications/${randomUUID()}/resend`).set(as(admin)).expect(404);
    const resent = await t.http.post(`/admin/notifications/${dead.id}/resend`).set(as(admin)).expect(202);
    expect(resent.body).toMatchObject({ id: dead.id, status: 'pending', attempts: 0, skippedReason: null });
    expect(await logEntry(proposalId, 'reviewer-assigned', 'sent', reviewer)).toMatchObject({ attempts: 1 });
    expect(inbox.to(address)).toHaveLength(1);
  });

  it('retries through an SMTP outage with backoff, then delivers', async () => {
    const proposalId = await ready(organisations.lead);
    await inbox.stop();
    await post(manager, `/proposals/${proposalId}/decision`, { decision: 'reject', reasons: 'Not ranked', committee: 'Grants committee' }).expect(200);

    const failing = await eventually(async () => {
      const entry = (await logOf(`recordId=${proposalId}&kind=decision-recorded`))[0];
      return entry && entry.status === 'failed' && Number(entry.attempts) >= 2 ? entry : undefined;
    }, 10_000);
    expect(failing.lastError).toMatch(/^(ESOCKET|ECONNECTION)$/); // the code only: no server text, no address
    expect(failing.nextAttemptAt).toEqual(expect.any(String));

    await inbox.start(); // the same port
    await mailTo(contacts.lead, new RegExp(`decision was recorded.*${proposalId.slice(0, 8)}`));
    const sent = await logEntry(proposalId, 'decision-recorded', 'sent');
    expect(Number(sent.attempts)).toBeGreaterThanOrEqual(3);
    const attempts: { outcome: string }[] = await db.query(
      'SELECT a.outcome FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id WHERE n.record_id = $1 ORDER BY a.id',
      [proposalId],
    );
    expect(attempts.at(-1)?.outcome).toBe('sent');
    expect(attempts.slice(0, -1).every((attempt) => attempt.outcome === 'failed')).toBe(true);
  });

  it('opens the address only when sending: an organisation erased while its notice waited for SMTP is not mailed', async () => {
    const proposalId = await ready(organisations.erasedWhileQueued);
    await inbox.stop();
    await post(manager, `/proposals/${proposalId}/decision`, { decision: 'reject', reasons: 'Not ranked', committee: 'Grants committee' }).expect(200);
    await logEntry(proposalId, 'decision-recorded', 'failed');
    await post(admin, `/organisations/${organisations.erasedWhileQueued}/erasure`, { reason: 'Data subject request DSR-0043' }).expect(200);
    await inbox.start();
    expect(await logEntry(proposalId, 'decision-recorded', 'skipped')).toMatchObject({ skippedReason: 'erased' });
    expect(inbox.to(contacts.erasedWhileQueued)).toEqual([]);
  });

  it('lets admins and auditors read the delivery log and only admins keep reviewer addresses', async () => {
    await t.http.get('/admin/notifications').set(as(admin)).expect(200);
    await t.http.get('/admin/notifications?status=nope').set(as(auditor)).expect(400);
    await t.http.get('/admin/notifications').expect(401);
    const others = await Promise.all([
      t.token({ role: 'grant-manager' }),
      t.token({ role: 'reviewer', id: 'reviewer-1' }),
      t.token({ role: 'applicant', organisationId: organisations.lead }),
      t.token({ role: 'partner' }),
    ]);
    for (const token of others) {
      await t.http.get('/admin/notifications').set(as(token)).expect(403);
      await t.http.put('/admin/reviewer-contacts/reviewer-1').set(as(token)).send({ email: 'reviewer@example.org' }).expect(403);
      await t.http.delete('/admin/reviewer-contacts/reviewer-1').set(as(token)).expect(403);
    }
    await t.http.put('/admin/reviewer-contacts/reviewer-1').set(as(auditor)).send({ email: 'reviewer@example.org' }).expect(403);
    const invalid = await t.http.put('/admin/reviewer-contacts/has%20space').set(as(admin)).send({ email: 'reviewer@example.org' }).expect(400);
    expect(invalid.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(invalid.body.errors.map((error: { field: string }) => error.field)).toEqual(['reviewerId']);
    await t.http.put('/admin/reviewer-contacts/reviewer-1').set(as(admin)).send({ email: 'reviewer@example.org', extra: 1 }).expect(400);
    await t.http.delete('/admin/reviewer-contacts/never-recorded').set(as(admin)).expect(204);
  });
});
