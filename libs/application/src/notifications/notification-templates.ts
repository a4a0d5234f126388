/**
 * What each notification says. Short, and nothing the recipient does not already own: no
 * organisation or person named, no amount, no decision outcome, no question text — only that
 * something happened on a record of theirs, and a link to read it there (behind sign-in). A mail
 * can be read by whoever watches the mailbox; the record cannot.
 */
import type { NotificationKind } from '@app/platform/config/mail-config';

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

/** Where the recipient reads the record: the reviewer's queue in the console, else the record's API address. */
export function recordLink(kind: NotificationKind, context: MailContext): string {
  if (kind === 'reviewer-assigned') return `${context.baseUrl}/console/#/reviews`;
  if (context.toProgramme) return `${context.baseUrl}/console/#/portfolio`;
  return `${context.baseUrl}/${context.record.kind === 'proposal' ? 'proposals' : 'grants'}/${context.record.id}`;
}

const SIGN_OFF = '\n\nSign in to read it. This message was sent automatically by Grant Ledger; do not reply to it.\n';

export function renderNotification(kind: NotificationKind, context: MailContext): RenderedMail {
  const link = recordLink(kind, context);
  const ref = context.record.id.slice(0, 8);
  switch (kind) {
    case 'reviewer-assigned':
      return { subject: `A proposal was assigned to you for review (${ref})`, text: `A proposal was assigned to you for review.\n\nYour review queue: ${link}${SIGN_OFF}` };
    case 'clarification-requested':
      return { subject: `Clarification requested on your proposal (${ref})`, text: `The programme team asks for a clarification on your proposal.\n\nThe proposal: ${link}${SIGN_OFF}` };
    case 'decision-recorded':
      return { subject: `A decision was recorded on your proposal (${ref})`, text: `A funding decision was recorded on your proposal.\n\nThe proposal: ${link}${SIGN_OFF}` };
    case 'report-due':
      return { subject: `A report is due on ${context.dueDate} (grant ${ref})`, text: `A report on your grant is due on ${context.dueDate}.\n\nThe grant: ${link}${SIGN_OFF}` };
    case 'report-overdue':
      if (context.toProgramme) {
        return {
          subject: `A report is overdue (grant ${ref})`,
          text: `A report on grant ${context.record.id} was due on ${context.dueDate} and has not been submitted.\n\nThe grant portfolio: ${link}${SIGN_OFF}`,
        };
      }
      return { subject: `A report is overdue (grant ${ref})`, text: `A report on your grant was due on ${context.dueDate} and has not been submitted.\n\nThe grant: ${link}${SIGN_OFF}` };
    default: {
      const unknown: never = kind;
      throw new Error(`No template for ${String(unknown)}`);
    }
  }
}
