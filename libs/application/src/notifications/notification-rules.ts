/**
 * Which fact of the log tells whom what, and when a report reminder is due: pure decisions, no I/O
 * (the fan-out and the sender do that). Recipients are named by subject only — an organisation id
 * or a reviewer's opaque `sub` — never by address: addresses are opened at sending time.
 */
import type { NotificationKind } from '@app/platform/config/mail-config';

/** An organisation (its contact), a reviewer (their registered address), or the programme team's shared mailbox. */
export type NotificationRecipient = { kind: 'organisation'; id: string } | { kind: 'reviewer'; id: string } | { kind: 'programme'; id: 'team' };

export interface NotificationIntent {
  kind: NotificationKind;
  /** One notification per fact: a batch replayed after a crash queues nothing twice. */
  dedupKey: string;
  recipient: NotificationRecipient;
  /** What the mail links to. */
  record: { kind: 'proposal' | 'grant'; id: string };
}

/** The log events the notifier reads: those that notify, and those that tell it whom (a proposal's lead) or when (reports). */
export const NOTIFIER_EVENT_TYPES = [
  'ProposalDrafted',
  'ReviewerAssigned',
  'ClarificationRequested',
  'FundingDecisionRecorded',
  'GrantAwarded',
  'ReportScheduled',
  'ReportSubmitted',
  'ReportAccepted',
  'ReportRevisionRequested',
  'ReportWaived',
  'GrantTerminated',
  'GrantClosed',
] as const;

export interface NotifierEvent {
  eventId: string;
  type: string;
  data: Record<string, unknown>;
}

/** What the notifier knows of the proposal an event belongs to (from its ProposalDrafted). */
export interface ProposalFacts {
  leadOrganisationId?: string;
}

/**
 * The notification an event calls for, if any. A clarification request and a decision go to the
 * proposal's lead organisation (the applicant answers for the network); an assignment goes to the
 * reviewer. A proposal the notifier never saw drafted has no known lead: nothing is queued.
 */
export function notificationFor(event: NotifierEvent, proposal: ProposalFacts): NotificationIntent | undefined {
  const proposalId = String(event.data.proposalId ?? '');
  switch (event.type) {
    case 'ReviewerAssigned':
      return {
        kind: 'reviewer-assigned',
        dedupKey: `reviewer-assigned:${event.eventId}`,
        recipient: { kind: 'reviewer', id: String(event.data.reviewerId) },
        record: { kind: 'proposal', id: proposalId },
      };
    case 'ClarificationRequested':
    case 'FundingDecisionRecorded':
      if (!proposal.leadOrganisationId) return undefined;
      return {
        kind: event.type === 'ClarificationRequested' ? 'clarification-requested' : 'decision-recorded',
        dedupKey: `${event.type === 'ClarificationRequested' ? 'clarification-requested' : 'decision-recorded'}:${event.eventId}`,
        recipient: { kind: 'organisation', id: proposal.leadOrganisationId },
        record: { kind: 'proposal', id: proposalId },
      };
    default:
      return undefined;
  }
}

/** A report the grantee owes, as the notifier keeps it. */
export interface OwedReport {
  grantId: string;
  reportId: string;
  /** The grantee: reminders go to its contact. */
  organisationId: string;
  /** `YYYY-MM-DD`, inclusive. */
  dueDate: string;
  /** Scheduled or sent back for revision, on a grant still running: a reminder may go out. */
  open: boolean;
}

/**
 * The programme team's copy of a reminder: an overdue report is the grant manager's business too
 * (the portfolio lists it first). Due-soon reminders are the grantee's alone.
 */
export function programmeCopyOf(intent: NotificationIntent | undefined): NotificationIntent | undefined {
  if (intent?.kind !== 'report-overdue') return undefined;
  return { ...intent, dedupKey: `${intent.dedupKey}:programme`, recipient: { kind: 'programme', id: 'team' } };
}

/** `YYYY-MM-DD` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/**
 * The reminder due for a report on `today` (`YYYY-MM-DD` by the programme's clock), if any: overdue
 * from the day after its due date (as `GET /grants?overdue=true` counts it), else "due soon" from
 * `leadDays` days before it. One of each per due date at most (the dedup key names the date), and a
 * report already overdue when first seen gets the overdue notice only.
 */
export function reminderDue(report: OwedReport, today: string, leadDays: number): NotificationIntent | undefined {
  if (!report.open) return undefined;
  const kind: NotificationKind | undefined = today > report.dueDate ? 'report-overdue' : today >= addDays(report.dueDate, -leadDays) ? 'report-due' : undefined;
  if (!kind) return undefined;
  return {
    kind,
    dedupKey: `${kind}:${report.grantId}:${report.reportId}:${report.dueDate}`,
    recipient: { kind: 'organisation', id: report.organisationId },
    record: { kind: 'grant', id: report.grantId },
  };
}
