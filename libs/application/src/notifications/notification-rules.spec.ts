import { addDays, notificationFor, programmeCopyOf, reminderDue, type OwedReport } from './notification-rules';
import { renderNotification } from './notification-templates';

const proposalId = '6f1c0d2e-0000-4000-8000-000000000001';
const grantId = '7a2b0c3d-0000-4000-8000-000000000002';
const lead = '8b3c1d4e-0000-4000-8000-000000000003';

describe('which event notifies whom', () => {
  it('given a reviewer assignment, when read, then the reviewer is told, keyed by the event', () => {
    expect(notificationFor({ eventId: 'e1', type: 'ReviewerAssigned', data: { proposalId, reviewerId: 'sub-42' } }, {})).toEqual({
      kind: 'reviewer-assigned',
      dedupKey: 'reviewer-assigned:e1',
      recipient: { kind: 'reviewer', id: 'sub-42' },
      record: { kind: 'proposal', id: proposalId },
    });
  });

  it('given a clarification request on a proposal whose lead is known, then the lead organisation is told', () => {
    expect(notificationFor({ eventId: 'e2', type: 'ClarificationRequested', data: { proposalId } }, { leadOrganisationId: lead })).toMatchObject({
      kind: 'clarification-requested',
      dedupKey: 'clarification-requested:e2',
      recipient: { kind: 'organisation', id: lead },
    });
  });

  it('given a funding decision, then the lead organisation is told', () => {
    expect(notificationFor({ eventId: 'e3', type: 'FundingDecisionRecorded', data: { proposalId, decision: 'reject' } }, { leadOrganisationId: lead })).toMatchObject({
      kind: 'decision-recorded',
      recipient: { kind: 'organisation', id: lead },
    });
  });

  it('given a decision on a proposal the notifier never saw drafted, then nobody is told', () => {
    expect(notificationFor({ eventId: 'e4', type: 'FundingDecisionRecorded', data: { proposalId } }, {})).toBeUndefined();
  });

  it('given any other event, then nothing is queued', () => {
    expect(notificationFor({ eventId: 'e5', type: 'ReviewSubmitted', data: { proposalId } }, { leadOrganisationId: lead })).toBeUndefined();
  });
});

describe('report reminders by date', () => {
  const report: OwedReport = { grantId, reportId: 'r1', organisationId: lead, dueDate: '2027-06-30', open: true };

  it('adds calendar days across months and leap years', () => {
    expect(addDays('2027-06-30', 1)).toBe('2027-07-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2027-01-05', -7)).toBe('2026-12-29');
  });

  it('given a report due in more than N days, then no reminder', () => {
    expect(reminderDue(report, '2027-06-22', 7)).toBeUndefined();
  });

  it('given a report due in exactly N days, then "due soon" keyed by its due date, to the grantee', () => {
    expect(reminderDue(report, '2027-06-23', 7)).toEqual({
      kind: 'report-due',
      dedupKey: `report-due:${grantId}:r1:2027-06-30`,
      recipient: { kind: 'organisation', id: lead },
      record: { kind: 'grant', id: grantId },
    });
  });

  it('given the due date itself, then still "due soon", not overdue', () => {
    expect(reminderDue(report, '2027-06-30', 7)?.kind).toBe('report-due');
  });

  it('given the day after the due date, then overdue', () => {
    expect(reminderDue(report, '2027-07-01', 7)).toMatchObject({ kind: 'report-overdue', dedupKey: `report-overdue:${grantId}:r1:2027-06-30` });
  });

  it('given a report submitted (or a grant ended), then no reminder even when late', () => {
    expect(reminderDue({ ...report, open: false }, '2027-08-01', 7)).toBeUndefined();
  });

  it('given an overdue report, then the programme team gets a copy of its own; of a due-soon reminder, none', () => {
    expect(programmeCopyOf(reminderDue(report, '2027-07-01', 7))).toEqual({
      kind: 'report-overdue',
      dedupKey: `report-overdue:${grantId}:r1:2027-06-30:programme`,
      recipient: { kind: 'programme', id: 'team' },
      record: { kind: 'grant', id: grantId },
    });
    expect(programmeCopyOf(reminderDue(report, '2027-06-25', 7))).toBeUndefined();
    expect(programmeCopyOf(undefined)).toBeUndefined();
  });

  it('given a due date moved later, then a new reminder key: the new date is reminded too', () => {
    const moved = reminderDue({ ...report, dueDate: '2027-07-31' }, '2027-07-30', 7);
    expect(moved?.dedupKey).toBe(`report-due:${grantId}:r1:2027-07-31`);
  });
});

describe('mail templates', () => {
  const baseUrl = 'https://ledger.example.org';

  it('link to the record the recipient can open, and name no one', () => {
    const mail = renderNotification('decision-recorded', { baseUrl, record: { kind: 'proposal', id: proposalId } });
    expect(mail.subject).toBe('A decision was recorded on your proposal (6f1c0d2e)');
    expect(mail.text).toContain(`${baseUrl}/console/#/applicant/proposal/${proposalId}`);
    expect(mail.text).not.toMatch(/award|reject|EUR|@/i);
  });

  it("send an applicant's organisation to the record's page in the console's applicant view, never to an API address", () => {
    for (const language of ['en', 'fr', 'ar'] as const) {
      for (const kind of ['clarification-requested', 'decision-recorded'] as const) {
        const mail = renderNotification(kind, { baseUrl, record: { kind: 'proposal', id: proposalId } }, [language]);
        expect(mail.text).toContain(`${baseUrl}/console/#/applicant/proposal/${proposalId}`);
        expect(mail.text).not.toContain(`${baseUrl}/proposals/`);
      }
      for (const kind of ['report-due', 'report-overdue'] as const) {
        const mail = renderNotification(kind, { baseUrl, record: { kind: 'grant', id: grantId }, dueDate: '2027-06-30' }, [language]);
        expect(mail.text).toContain(`${baseUrl}/console/#/applicant/grant/${grantId}`);
        expect(mail.text).not.toContain(`${baseUrl}/grants/`);
      }
    }
  });

  it('send a reviewer to the review queue', () => {
    expect(renderNotification('reviewer-assigned', { baseUrl, record: { kind: 'proposal', id: proposalId } }).text).toContain(`${baseUrl}/console/#/reviews`);
  });

  it('give a report reminder its due date and the grant', () => {
    const due = renderNotification('report-due', { baseUrl, record: { kind: 'grant', id: grantId }, dueDate: '2027-06-30' });
    expect(due.subject).toBe('A report is due on 2027-06-30 (grant 7a2b0c3d)');
    expect(due.text).toContain(`${baseUrl}/console/#/applicant/grant/${grantId}`);
    const overdue = renderNotification('report-overdue', { baseUrl, record: { kind: 'grant', id: grantId }, dueDate: '2027-06-30' });
    expect(overdue.subject).toBe('A report is overdue (grant 7a2b0c3d)');
    expect(overdue.text).toContain('was due on 2027-06-30');
  });

  it("tell the programme team which grant's report is overdue, with the portfolio", () => {
    const team = renderNotification('report-overdue', { baseUrl, record: { kind: 'grant', id: grantId }, dueDate: '2027-06-30', toProgramme: true });
    expect(team.subject).toBe('A report is overdue (grant 7a2b0c3d)');
    expect(team.text).toContain(`A report on grant ${grantId} was due on 2027-06-30`);
    expect(team.text).toContain(`${baseUrl}/console/#/portfolio`);
    expect(team.text).not.toContain('your');
  });

  it("are written in each of the programme's languages, in its order, each with its sign-off, and still name no one", () => {
    const mail = renderNotification('decision-recorded', { baseUrl, record: { kind: 'proposal', id: proposalId } }, ['ar', 'fr']);
    expect(mail.subject).toBe('سُجّل قرار بشأن مقترحك (6f1c0d2e) / Une décision a été enregistrée sur votre proposition (6f1c0d2e)');
    const [arabic, french, ...more] = mail.text.split('\n\n---\n\n');
    expect(more).toEqual([]);
    expect(arabic).toBe(`سُجّل قرار تمويل بشأن مقترحك.\n\nالمقترح: ${baseUrl}/console/#/applicant/proposal/${proposalId}\n\nسجّل الدخول للاطلاع عليه. أُرسلت هذه الرسالة تلقائيًا من Grant Ledger؛ لا تردّ عليها.`);
    expect(french).toContain(`La proposition : ${baseUrl}/console/#/applicant/proposal/${proposalId}`);
    expect(french).toMatch(/n’y répondez pas\.\n$/);
    expect(mail.text).not.toMatch(/award|reject|EUR|@/i);
    // Every kind, in every language: a subject and a link of its own.
    for (const kind of ['reviewer-assigned', 'clarification-requested', 'decision-recorded', 'report-due', 'report-overdue'] as const) {
      for (const language of ['en', 'fr', 'ar'] as const) {
        const one = renderNotification(kind, { baseUrl, record: { kind: kind.startsWith('report') ? 'grant' : 'proposal', id: grantId }, dueDate: '2027-06-30' }, [language]);
        expect([kind, language, one.text.includes(baseUrl), /\S/.test(one.subject), one.text.includes('undefined')]).toEqual([kind, language, true, true, false]);
        if (kind.startsWith('report')) expect([kind, language, one.text.includes('2027-06-30')]).toEqual([kind, language, true]);
      }
    }
  });

  it('ask for a clarification without quoting the questions', () => {
    const mail = renderNotification('clarification-requested', { baseUrl, record: { kind: 'proposal', id: proposalId } });
    expect(mail.subject).toContain('Clarification requested');
    expect(mail.text.length).toBeLessThan(400);
  });
});
