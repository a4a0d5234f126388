import type { Projector } from '@app/log-consumers';
import type { MailConfig } from '@app/platform/config/mail-config';
import type { EntityManager } from 'typeorm';
import { type NotificationIntent, NOTIFIER_EVENT_TYPES, notificationFor } from './notification-rules';

export const NOTIFICATION_FAN_OUT = 'notification-fan-out';

/**
 * Fills the notification outbox from the log: a projector of the log-consumer runtime with a
 * checkpoint of its own (a projection rebuild never re-runs it, so nothing is mailed twice). In
 * the batch's transaction it records whom to tell later (a proposal's lead, a grantee's owed
 * reports: the scheduler reads those) and queues one row per notification, unique by its fact.
 *
 * A kind turned off, or mail off altogether, is queued as `skipped` so the delivery log says why
 * nothing went out; so is an event recorded more than `maxEventAgeHours` ago (a first start on an
 * old log mails no history). Reads events `sealed`: it needs no personal data.
 */
export function notificationFanOut(mail: MailConfig): Projector & { onQueued(listener: () => void): () => void } {
  const listeners = new Set<() => void>();
  let queuedInBatch = 0;
  /**
   * Reports owed anew or due on another day: the sender scans for reminders when woken, not only once
   * a minute (until 2026-12-06 a report due within the reminder window waited up to that minute).
   */
  let remindersChanged = 0;
  return {
    kind: 'projector',
    name: NOTIFICATION_FAN_OUT,
    filter: { eventTypes: [...NOTIFIER_EVENT_TYPES] },
    input: 'sealed',
    async apply(events, tx): Promise<void> {
      queuedInBatch = 0;
      remindersChanged = 0;
      for (const event of events) {
        const data = event.data as Record<string, unknown>;
        switch (event.type) {
          case 'ProposalDrafted':
            await tx.query('INSERT INTO notification_proposals (proposal_id, lead_organisation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [data.proposalId, data.leadOrganisationId]);
            continue;
          case 'GrantAwarded':
            await tx.query('INSERT INTO notification_grants (grant_id, organisation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [data.grantId, data.granteeOrganisationId]);
            continue;
          case 'ReportScheduled':
            remindersChanged += changedRows(
              await tx.query(
                `WITH changed AS (
                   INSERT INTO notification_reports (grant_id, report_id, organisation_id, due_date, open)
                   SELECT g.grant_id, $2, g.organisation_id, $3, true FROM notification_grants g WHERE g.grant_id = $1
                   ON CONFLICT (grant_id, report_id) DO UPDATE SET due_date = EXCLUDED.due_date, open = true
                   WHERE notification_reports.due_date IS DISTINCT FROM EXCLUDED.due_date OR NOT notification_reports.open
                   RETURNING 1)
                 SELECT count(*)::int AS n FROM changed`,
                [data.grantId, data.reportId, data.dueDate],
              ),
            );
            continue;
          case 'ReportSubmitted':
          case 'ReportAccepted':
          case 'ReportWaived':
            await tx.query('UPDATE notification_reports SET open = false WHERE grant_id = $1 AND report_id = $2', [data.grantId, data.reportId]);
            continue;
          case 'ReportRevisionRequested':
            // Owed again; a reminder already sent for this due date is not sent twice (dedup key).
            remindersChanged += changedRows(
              await tx.query('WITH changed AS (UPDATE notification_reports SET open = true WHERE grant_id = $1 AND report_id = $2 AND NOT open RETURNING 1) SELECT count(*)::int AS n FROM changed', [
                data.grantId,
                data.reportId,
              ]),
            );
            continue;
          case 'GrantTerminated':
          case 'GrantClosed':
            await tx.query('UPDATE notification_reports SET open = false WHERE grant_id = $1', [data.grantId]);
            continue;
          default:
            break;
        }
        const lead: { lead_organisation_id: string }[] = data.proposalId
          ? await tx.query('SELECT lead_organisation_id FROM notification_proposals WHERE proposal_id = $1', [data.proposalId])
          : [];
        const intent = notificationFor({ eventId: event.eventId, type: event.type, data }, { leadOrganisationId: lead[0]?.lead_organisation_id });
        if (intent) queuedInBatch += await queueNotification(tx, intent, mail, { eventId: event.eventId, recordedAt: event.recordedAt });
      }
    },
    committed(): void {
      if (queuedInBatch > 0 || remindersChanged > 0) for (const listener of listeners) listener();
    },
    onQueued(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Why a notification is not sent, decided when it is queued (the sender checks the kind again). */
export function skipReasonAtQueue(mail: MailConfig, kind: NotificationIntent['kind']): string | null {
  if (!mail.smtpHost) return 'mail-disabled';
  if (mail.disabledKinds.includes(kind)) return 'kind-disabled';
  return null;
}

/**
 * Queues one notification unless its fact was queued before; 1 if a row is now pending. `source`
 * is the event it follows (its age is judged by the database clock, as recorded times are).
 */
export async function queueNotification(
  db: Pick<EntityManager, 'query'>,
  intent: NotificationIntent,
  mail: MailConfig,
  source: { eventId?: string; recordedAt?: string | Date; dueDate?: string },
): Promise<number> {
  const reason = skipReasonAtQueue(mail, intent.kind);
  const rows: { status: string }[] = await db.query(
    `INSERT INTO notifications (dedup_key, kind, recipient_kind, recipient_id, record_kind, record_id, due_date, event_id, status, skipped_reason, next_attempt_at)
     SELECT $1, $2, $3, $4, $5, $6, $7::date, $8, s.status, s.reason, CASE WHEN s.status = 'pending' THEN now() END
       FROM (SELECT CASE WHEN $9::text IS NOT NULL THEN $9::text
                         WHEN $10::timestamptz IS NOT NULL AND $10::timestamptz < now() - make_interval(hours => $11) THEN 'stale'
                    END AS reason) r,
            LATERAL (SELECT CASE WHEN r.reason IS NULL THEN 'pending' ELSE 'skipped' END AS status, r.reason) s
     ON CONFLICT (dedup_key) DO NOTHING
     RETURNING status`,
    [
      intent.dedupKey,
      intent.kind,
      intent.recipient.kind,
      intent.recipient.id,
      intent.record.kind,
      intent.record.id,
      source.dueDate ?? null,
      source.eventId ?? null,
      reason,
      source.recordedAt === undefined ? null : new Date(source.recordedAt).toISOString(),
      mail.maxEventAgeHours,
    ],
  );
  return rows.filter((row) => row.status === 'pending').length;
}

/** The count of a `WITH changed AS (… RETURNING 1) SELECT count(*)::int AS n FROM changed` query. */
function changedRows(rows: { n: number }[]): number {
  return rows[0]?.n ?? 0;
}
