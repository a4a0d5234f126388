import type { DataSource } from 'typeorm';

export const NOTIFICATION_STATUSES = ['pending', 'failed', 'sent', 'dead', 'skipped'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** One row of the delivery log as operators read it: subjects and codes, never an address. */
export interface NotificationLogEntry {
  id: string;
  kind: string;
  recipient: { kind: string; id: string };
  record: { kind: string; id: string };
  dueDate: string | null;
  eventId: string | null;
  status: NotificationStatus;
  skippedReason: string | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  sentAt: string | null;
  createdAt: string;
}

interface Row {
  id: string;
  kind: string;
  recipient_kind: string;
  recipient_id: string;
  record_kind: string;
  record_id: string;
  due_date: string | null;
  event_id: string | null;
  status: NotificationStatus;
  skipped_reason: string | null;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  sent_at: Date | null;
  created_at: Date;
}

const iso = (value: Date | null) => (value ? value.toISOString() : null);

const COLUMNS = `id, kind, recipient_kind, recipient_id, record_kind, record_id, to_char(due_date, 'YYYY-MM-DD') AS due_date, event_id, status,
            skipped_reason, attempts, last_error, next_attempt_at, last_attempt_at, sent_at, created_at`;

/** The notification delivery log, newest first, filtered by status, kind and record. */
export async function readNotificationLog(
  dataSource: DataSource,
  filter: { status?: string; kind?: string; recordId?: string; limit: number; offset: number },
): Promise<NotificationLogEntry[]> {
  const rows: Row[] = await dataSource.query(
    `SELECT ${COLUMNS}
       FROM notifications
      WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::uuid IS NULL OR record_id = $3)
      ORDER BY created_at DESC, id
      LIMIT $4 OFFSET $5`,
    [filter.status ?? null, filter.kind ?? null, filter.recordId ?? null, filter.limit, filter.offset],
  );
  return rows.map(entryOf);
}

/**
 * Queues a notification again with a fresh attempt budget, whatever became of it (dead after an
 * SMTP misconfiguration, skipped while mail was off, or sent and lost). Safe for personal data: the
 * sender decides again at sending time, so an erased contact or a kind turned off is skipped again.
 * `undefined` when there is no such notification. Its attempts stay in the delivery log.
 */
export async function resendNotification(dataSource: DataSource, id: string): Promise<NotificationLogEntry | undefined> {
  // TypeORM answers an UPDATE … RETURNING on Postgres with [rows, affected count].
  const [rows]: [Row[], number] = await dataSource.query(
    `UPDATE notifications
        SET status = 'pending', skipped_reason = NULL, attempts = 0, next_attempt_at = now(), lease_until = NULL, lease_owner = NULL
      WHERE id = $1
      RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ? entryOf(rows[0]) : undefined;
}

function entryOf(row: Row): NotificationLogEntry {
  return {
    id: row.id,
    kind: row.kind,
    recipient: { kind: row.recipient_kind, id: row.recipient_id },
    record: { kind: row.record_kind, id: row.record_id },
    dueDate: row.due_date,
    eventId: row.event_id,
    status: row.status,
    skippedReason: row.skipped_reason,
    attempts: row.attempts,
    lastError: row.last_error,
    nextAttemptAt: iso(row.next_attempt_at),
    lastAttemptAt: iso(row.last_attempt_at),
    sentAt: iso(row.sent_at),
    createdAt: row.created_at.toISOString(),
  };
}
