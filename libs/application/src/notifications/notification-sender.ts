import { randomUUID } from 'node:crypto';
import type { Clock } from '@app/platform/clock';
import type { MailConfig, NotificationKind } from '@app/platform/config/mail-config';
import type { StructuredLogger } from '@app/platform/logging/structured-logger';
import type { Transporter } from 'nodemailer';
import type { DataSource } from 'typeorm';
import { backoffDelayMs } from '../webhooks/backoff';
import type { NotificationAddresses } from './notification-addresses';
import { queueNotification } from './notification-fan-out';
import { addDays, type NotificationRecipient, programmeCopyOf, reminderDue } from './notification-rules';
import { renderNotification } from './notification-templates';
import { OutageLog } from '@app/platform/logging/outage-log';

interface ClaimedNotification {
  id: string;
  kind: NotificationKind;
  recipient_kind: 'organisation' | 'reviewer' | 'programme';
  recipient_id: string;
  record_kind: 'proposal' | 'grant';
  record_id: string;
  due_date: string | null;
  attempts: number;
}

/** What an SMTP attempt came to. `error` holds codes only: servers echo addresses in their messages. */
interface SmtpOutcome {
  sent: boolean;
  smtpCode?: number;
  error?: string;
  /** A 5xx answer: the server refuses for good, retrying cannot help. */
  permanent?: boolean;
}

/** How long a claimed notification stays ours beyond the SMTP timeout before another process may retry it. */
const LEASE_MARGIN_MS = 30_000;
/** Reminders go by the day: scanning the owed reports when the day changes, something was queued, or once a minute is enough. */
const REMINDER_SCAN_MS = 60_000;

export interface NotificationSenderOptions {
  /** How long a claim, and each renewal of it, holds a row: by default the SMTP timeout + 30 s. Tests shorten it. */
  leaseMs?: number;
}

/**
 * Sends queued notifications by e-mail, at least once, and queues report reminders as they fall
 * due. Each round (every `pollMs`, or at once when the fan-out queued something): first, when the
 * day changed, something was queued or a minute passed, the scheduler — reports owed with a due
 * date within `reportDueDays` of today (by the programme's clock), each judged by `reminderDue`
 * and queued under a dedup key naming the due date, so several workers and every later round
 * queue it once; then the due rows, one at a time, each claimed with a lease (`FOR UPDATE SKIP
 * LOCKED`) when its turn comes and held while it is sent, so two workers never send the same row
 * (but a sender killed between the SMTP answer and its write: at least once). The recipient's
 * address is opened only now; none (erased, or never recorded) records the row as skipped.
 * Failures are retried with exponential backoff and full jitter, a 5xx answer or the last attempt
 * makes the row dead. Every attempt is written to the delivery log with the SMTP code, never the
 * server's text.
 */
export class NotificationSender {
  private readonly owner = `notifier-${randomUUID()}`;
  /** Outages (the database restarting) are logged once every 5 s, not once a poll. */
  private readonly failures = new OutageLog();
  private loop?: Promise<void>;
  private stopping = false;
  private wakeUp?: () => void;
  private lastReminderScan?: { today: string; at: number };
  private readonly leaseMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly mail: MailConfig,
    private readonly transport: Pick<Transporter, 'sendMail'>,
    private readonly addresses: NotificationAddresses,
    private readonly clock: Clock,
    private readonly baseUrl: string,
    private readonly logger: StructuredLogger,
    private readonly random: () => number = Math.random,
    options: NotificationSenderOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? mail.timeoutMs + LEASE_MARGIN_MS;
  }

  start(): void {
    this.loop = this.run();
  }

  wake(): void {
    // The fan-out may have recorded a report to remind of.
    this.lastReminderScan = undefined;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    await this.dataSource.query('UPDATE notifications SET lease_until = NULL, lease_owner = NULL WHERE lease_owner = $1', [this.owner]).catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let backlog = false;
      try {
        const today = this.clock.now().toISOString().slice(0, 10);
        if (this.lastReminderScan?.today !== today || Date.now() - this.lastReminderScan.at >= REMINDER_SCAN_MS) {
          await this.queueReportReminders();
          this.lastReminderScan = { today, at: Date.now() };
        }
        const notification = await this.claimNext();
        if (notification) await this.deliver(notification);
        // One was due: more may be, so no pause before the next round.
        backlog = notification !== undefined;
      } catch (error) {
        if (this.stopping) break;
        if (this.failures.shouldLog(error)) {
          this.logger.error('notification sender round failed; its notifications go back to the outbox', { error: error instanceof Error ? error.message : String(error) });
        }
        await this.releaseLeases();
      }
      if (this.stopping) break;
      if (backlog) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wakeUp = undefined;
          resolve();
        }, this.mail.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          this.wakeUp = undefined;
          resolve();
        };
      });
    }
  }

  /**
   * After a failed round (an attempt that could not be recorded, the database restarting), hands the
   * round's notifications back to the outbox as soon as the database answers again, instead of at
   * their leases' expiry (timeout + 30 s): nothing of this sender is in flight between rounds. The one
   * being sent when the round failed may have gone out: it is sent again (at least once, as after a
   * crash). Tried until it works, the leases have run out anyway, or the sender stops.
   */
  private async releaseLeases(): Promise<void> {
    const until = Date.now() + this.leaseMs;
    for (let delay = 100; !this.stopping && Date.now() < until; delay = Math.min(delay * 2, 2_000)) {
      try {
        await this.dataSource.query('UPDATE notifications SET lease_until = NULL, lease_owner = NULL WHERE lease_owner = $1', [this.owner]);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** The scheduler: reminders for reports that fell due (or overdue) by today, queued once each (the dedup key). */
  async queueReportReminders(): Promise<number> {
    const today = this.clock.now().toISOString().slice(0, 10);
    const reports: { grant_id: string; report_id: string; organisation_id: string; due_date: string }[] = await this.dataSource.query(
      `SELECT grant_id, report_id, organisation_id, to_char(due_date, 'YYYY-MM-DD') AS due_date
         FROM notification_reports WHERE open AND due_date <= $1::date`,
      [addDays(today, this.mail.reportDueDays)],
    );
    let queued = 0;
    for (const report of reports) {
      const intent = reminderDue({ grantId: report.grant_id, reportId: report.report_id, organisationId: report.organisation_id, dueDate: report.due_date, open: true }, today, this.mail.reportDueDays);
      if (intent) queued += await queueNotification(this.dataSource.manager, intent, this.mail, { dueDate: report.due_date });
      const copy = this.mail.programmeAddress ? programmeCopyOf(intent) : undefined;
      if (copy) queued += await queueNotification(this.dataSource.manager, copy, this.mail, { dueDate: report.due_date });
    }
    return queued;
  }

  /**
   * Leases the next due notification to this sender, just before it is sent: one row at a time, not
   * a batch. A batch claimed at once and sent one after the other (ten rows, formerly) leased its
   * last rows for one attempt's length while they waited behind the others' attempts: with a slow
   * SMTP server their leases ran out, another sender claimed them, and both sent them. Leasing
   * each row only when its turn comes costs one query per row, as a renewal before each send would,
   * and leaves nothing claimed-but-waiting to go stale: its lease starts when its attempt does, and
   * the row read is the row as it is now (a resend meanwhile has reset its attempts). `FOR UPDATE
   * SKIP LOCKED` keeps two senders from claiming the same row at once; a lease run out is the only way
   * another sender gets it, and `holdLease` keeps it from running out while this sender is alive.
   */
  private async claimNext(): Promise<ClaimedNotification | undefined> {
    const [claimed]: [ClaimedNotification[], number] = await this.dataSource.query(
      `WITH due AS (
         SELECT id FROM notifications
          WHERE status IN ('pending', 'failed') AND next_attempt_at <= clock_timestamp()
            AND (lease_until IS NULL OR lease_until < clock_timestamp())
          ORDER BY next_attempt_at
          LIMIT 1
          FOR UPDATE SKIP LOCKED
       )
       UPDATE notifications n
          SET lease_until = clock_timestamp() + make_interval(secs => $1::double precision / 1000), lease_owner = $2
         FROM due WHERE n.id = due.id
       RETURNING n.id, n.kind, n.recipient_kind, n.recipient_id, n.record_kind, n.record_id, to_char(n.due_date, 'YYYY-MM-DD') AS due_date, n.attempts`,
      [this.leaseMs, this.owner],
    );
    return claimed[0];
  }

  /**
   * Keeps this sender's lease on a row alive while it works on it (address, SMTP, the write), renewing
   * it every third of its length. nodemailer's timeouts bound each step of an SMTP exchange (connect,
   * greeting, every reply) by inactivity, not the exchange as a whole: a server answering each
   * command just in time can take several timeouts, longer than the lease, and another sender would
   * claim the row and send it again while this one is still sending. Renewed, the lease runs out only
   * when this sender is gone (killed: then the row is sent again, at least once) or cannot reach the
   * database for the whole lease. A renewal names this sender (`lease_owner`): a lease already taken by
   * another sender, or released by a resend, is never taken back. Returns the function that stops it.
   */
  private holdLease(id: string): () => Promise<void> {
    let renewing: Promise<unknown> = Promise.resolve();
    const timer = setInterval(
      () => {
        renewing = renewing.then(() =>
          this.dataSource
            .query('UPDATE notifications SET lease_until = clock_timestamp() + make_interval(secs => $3::double precision / 1000) WHERE id = $1 AND lease_owner = $2', [
              id,
              this.owner,
              this.leaseMs,
            ])
            .catch(() => undefined),
        );
      },
      Math.max(10, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    return async () => {
      clearInterval(timer);
      await renewing;
    };
  }

  private async deliver(notification: ClaimedNotification): Promise<void> {
    const release = this.holdLease(notification.id);
    try {
      await this.attempt(notification);
    } finally {
      await release();
    }
  }

  private async attempt(notification: ClaimedNotification): Promise<void> {
    // Turned off since it was queued (another process's configuration, a restart): not sent.
    if (this.mail.disabledKinds.includes(notification.kind)) return this.skip(notification, 'kind-disabled');
    const lookup = await this.addresses.addressOf({ kind: notification.recipient_kind, id: notification.recipient_id } as NotificationRecipient);
    if ('skip' in lookup) return this.skip(notification, lookup.skip);
    const started = Date.now();
    let outcome: SmtpOutcome;
    if ('later' in lookup) {
      outcome = { sent: false, error: lookup.later };
    } else {
      const mail = renderNotification(notification.kind, {
        baseUrl: this.baseUrl,
        record: { kind: notification.record_kind, id: notification.record_id },
        dueDate: notification.due_date ?? undefined,
        toProgramme: notification.recipient_kind === 'programme',
      }, this.mail.languages);
      outcome = await this.send(lookup.address, mail.subject, mail.text);
    }
    const attempts = notification.attempts + 1;
    const [status, delayMs] = outcome.sent
      ? ['sent', null]
      : outcome.permanent || attempts >= this.mail.maxAttempts
        ? ['dead', null]
        : ['failed', backoffDelayMs(attempts, this.mail.retryBaseMs, this.mail.retryMaxMs, this.random)];
    await this.dataSource.transaction(async (tx) => {
      await tx.query('INSERT INTO notification_attempts (notification_id, outcome, smtp_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)', [
        notification.id,
        outcome.sent ? 'sent' : 'failed',
        outcome.smtpCode ?? null,
        outcome.error ?? null,
        Date.now() - started,
      ]);
      await tx.query(
        `UPDATE notifications
            SET status = $3, attempts = $4, last_attempt_at = now(), last_error = $5,
                sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE sent_at END,
                next_attempt_at = CASE WHEN $6::double precision IS NULL THEN NULL ELSE clock_timestamp() + make_interval(secs => $6::double precision / 1000) END,
                lease_until = NULL, lease_owner = NULL
          WHERE id = $1 AND lease_owner = $2`,
        [notification.id, this.owner, status, attempts, outcome.error ?? null, delayMs],
      );
    });
    if (status === 'dead') this.logger.error('notification is dead after its last attempt', { notificationId: notification.id, kind: notification.kind, attempts, smtpCode: outcome.smtpCode });
  }

  /** Skipped: no attempt made, so no error either; a stale one from before a resend is cleared. */
  private async skip(notification: ClaimedNotification, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE notifications SET status = 'skipped', skipped_reason = $3, last_error = NULL, next_attempt_at = NULL, lease_until = NULL, lease_owner = NULL
        WHERE id = $1 AND lease_owner = $2`,
      [notification.id, this.owner, reason],
    );
  }

  private async send(to: string, subject: string, text: string): Promise<SmtpOutcome> {
    try {
      // RFC 3834: an automatic message, so that mailboxes do not answer it with their own auto-replies.
      await this.transport.sendMail({ from: this.mail.from, to, subject, text, headers: { 'Auto-Submitted': 'auto-generated' } });
      return { sent: true };
    } catch (error) {
      const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
      const smtpCode = typeof responseCode === 'number' ? responseCode : undefined;
      return {
        sent: false,
        smtpCode,
        error: [typeof code === 'string' ? code : 'ERROR', smtpCode].filter((part) => part !== undefined).join(' '),
        permanent: smtpCode !== undefined && smtpCode >= 500 && smtpCode < 600,
      };
    }
  }
}
