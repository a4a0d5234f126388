/**
 * What each notification says. Short, and nothing the recipient does not already own: no
 * organisation or person named, no amount, no decision outcome, no question text — only that
 * something happened on a record of theirs, and a link to read it there (behind sign-in). A mail
 * can be read by whoever watches the mailbox; the record cannot.
 */
import type { MailLanguage, NotificationKind } from '@app/platform/config/mail-config';

export interface RenderedMail {
  subject: string;
  text: string;
}

export interface MailContext {
  /** PUBLIC_BASE_URL, no trailing slash. */
  baseUrl: string;
  record: { kind: 'proposal' | 'grant'; id: string };
  /** Report reminders: the due date, `YYYY-MM-DD`. */
  dueDate?: string;
  /** The programme team's copy: about a grant of the programme, not "your" grant. */
  toProgramme?: boolean;
}

/**
 * Where the recipient reads the record, in the console (behind its sign-in): a reviewer's queue, the
 * programme team's portfolio, and for an applicant's organisation the record's page in the applicant
 * view (`#/applicant/proposal/<id>`, `#/applicant/grant/<id>`). Until 2026-12-07 applicants were sent
 * the record's raw API address, which a browser cannot open with a sign-in.
 */
export function recordLink(kind: NotificationKind, context: MailContext): string {
  if (kind === 'reviewer-assigned') return `${context.baseUrl}/console/#/reviews`;
  if (context.toProgramme) return `${context.baseUrl}/console/#/portfolio`;
  return `${context.baseUrl}/console/#/applicant/${context.record.kind}/${context.record.id}`;
}

/** What a mail says in one language: its subject and its body, before the sign-off. */
interface Wording {
  signOff: string;
  reviewerAssigned(ref: string, link: string): RenderedMail;
  clarificationRequested(ref: string, link: string): RenderedMail;
  decisionRecorded(ref: string, link: string): RenderedMail;
  reportDue(ref: string, link: string, due: string): RenderedMail;
  reportOverdueToProgramme(ref: string, link: string, due: string, grantId: string): RenderedMail;
  reportOverdue(ref: string, link: string, due: string): RenderedMail;
}

/** Dates stay `YYYY-MM-DD` in every language: read the same everywhere, whatever the calendar of the reader. */
const WORDING: Record<MailLanguage, Wording> = {
  en: {
    signOff: 'Sign in to read it. This message was sent automatically by Grant Ledger; do not reply to it.',
    reviewerAssigned: (ref, link) => ({ subject: `A proposal was assigned to you for review (${ref})`, text: `A proposal was assigned to you for review.\n\nYour review queue: ${link}` }),
    clarificationRequested: (ref, link) => ({ subject: `Clarification requested on your proposal (${ref})`, text: `The programme team asks for a clarification on your proposal.\n\nThe proposal: ${link}` }),
    decisionRecorded: (ref, link) => ({ subject: `A decision was recorded on your proposal (${ref})`, text: `A funding decision was recorded on your proposal.\n\nThe proposal: ${link}` }),
    reportDue: (ref, link, due) => ({ subject: `A report is due on ${due} (grant ${ref})`, text: `A report on your grant is due on ${due}.\n\nThe grant: ${link}` }),
    reportOverdueToProgramme: (ref, link, due, grantId) => ({
      subject: `A report is overdue (grant ${ref})`,
      text: `A report on grant ${grantId} was due on ${due} and has not been submitted.\n\nThe grant portfolio: ${link}`,
    }),
    reportOverdue: (ref, link, due) => ({ subject: `A report is overdue (grant ${ref})`, text: `A report on your grant was due on ${due} and has not been submitted.\n\nThe grant: ${link}` }),
  },
  fr: {
    signOff: 'Connectez-vous pour en prendre connaissance. Ce message a été envoyé automatiquement par Grant Ledger ; n’y répondez pas.',
    reviewerAssigned: (ref, link) => ({ subject: `Une proposition vous a été confiée pour évaluation (${ref})`, text: `Une proposition vous a été confiée pour évaluation.\n\nVotre file d’évaluation : ${link}` }),
    clarificationRequested: (ref, link) => ({ subject: `Précision demandée sur votre proposition (${ref})`, text: `L’équipe du programme demande une précision sur votre proposition.\n\nLa proposition : ${link}` }),
    decisionRecorded: (ref, link) => ({ subject: `Une décision a été enregistrée sur votre proposition (${ref})`, text: `Une décision de financement a été enregistrée sur votre proposition.\n\nLa proposition : ${link}` }),
    reportDue: (ref, link, due) => ({ subject: `Un rapport est attendu le ${due} (subvention ${ref})`, text: `Un rapport sur votre subvention est attendu le ${due}.\n\nLa subvention : ${link}` }),
    reportOverdueToProgramme: (ref, link, due, grantId) => ({
      subject: `Un rapport est en retard (subvention ${ref})`,
      text: `Un rapport sur la subvention ${grantId} était attendu le ${due} et n’a pas été soumis.\n\nLe portefeuille de subventions : ${link}`,
    }),
    reportOverdue: (ref, link, due) => ({ subject: `Un rapport est en retard (subvention ${ref})`, text: `Un rapport sur votre subvention était attendu le ${due} et n’a pas été soumis.\n\nLa subvention : ${link}` }),
  },
  ar: {
    signOff: 'سجّل الدخول للاطلاع عليه. أُرسلت هذه الرسالة تلقائيًا من Grant Ledger؛ لا تردّ عليها.',
    reviewerAssigned: (ref, link) => ({ subject: `أُسند إليك مقترح لمراجعته (${ref})`, text: `أُسند إليك مقترح لمراجعته.\n\nقائمة مراجعاتك: ${link}` }),
    clarificationRequested: (ref, link) => ({ subject: `طُلب توضيح بشأن مقترحك (${ref})`, text: `يطلب فريق البرنامج توضيحًا بشأن مقترحك.\n\nالمقترح: ${link}` }),
    decisionRecorded: (ref, link) => ({ subject: `سُجّل قرار بشأن مقترحك (${ref})`, text: `سُجّل قرار تمويل بشأن مقترحك.\n\nالمقترح: ${link}` }),
    reportDue: (ref, link, due) => ({ subject: `تقرير مستحق في ${due} (المنحة ${ref})`, text: `تقرير عن منحتك مستحق في ${due}.\n\nالمنحة: ${link}` }),
    reportOverdueToProgramme: (ref, link, due, grantId) => ({ subject: `تقرير متأخر (المنحة ${ref})`, text: `كان تقرير عن المنحة ${grantId} مستحقًا في ${due} ولم يُقدَّم.\n\nمحفظة المنح: ${link}` }),
    reportOverdue: (ref, link, due) => ({ subject: `تقرير متأخر (المنحة ${ref})`, text: `كان تقرير عن منحتك مستحقًا في ${due} ولم يُقدَّم.\n\nالمنحة: ${link}` }),
  },
};

/** Between the languages of one mail. */
const LANGUAGE_BREAK = '\n\n---\n\n';

/**
 * The mail of a notification, in each of `languages` in that order (MailConfig.languages): the
 * subjects joined by " / ", the bodies one after the other, each with its own sign-off.
 */
export function renderNotification(kind: NotificationKind, context: MailContext, languages: readonly MailLanguage[] = ['en']): RenderedMail {
  const mails = languages.map((language) => {
    const wording = WORDING[language];
    const mail = worded(wording, kind, context);
    return { subject: mail.subject, text: `${mail.text}\n\n${wording.signOff}` };
  });
  return { subject: mails.map((mail) => mail.subject).join(' / '), text: `${mails.map((mail) => mail.text).join(LANGUAGE_BREAK)}\n` };
}

function worded(wording: Wording, kind: NotificationKind, context: MailContext): RenderedMail {
  const link = recordLink(kind, context);
  const ref = context.record.id.slice(0, 8);
  const due = context.dueDate ?? '';
  switch (kind) {
    case 'reviewer-assigned':
      return wording.reviewerAssigned(ref, link);
    case 'clarification-requested':
      return wording.clarificationRequested(ref, link);
    case 'decision-recorded':
      return wording.decisionRecorded(ref, link);
    case 'report-due':
      return wording.reportDue(ref, link, due);
    case 'report-overdue':
      return context.toProgramme ? wording.reportOverdueToProgramme(ref, link, due, context.record.id) : wording.reportOverdue(ref, link, due);
    default: {
      const unknown: never = kind;
      throw new Error(`No template for ${String(unknown)}`);
    }
  }
}
