import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The notification outbox and its delivery log, and what the notifier keeps from the log to know
 * whom to tell and when (a proposal's lead, the reports a grantee owes). No address anywhere: rows
 * name the recipient by subject (organisation id, reviewer `sub`); the address is opened only when
 * a mail is sent. Reviewers' addresses, which the log never holds, are kept sealed per reviewer in
 * `reviewer_contacts`.
 */
export class Notifications1764001400000 implements MigrationInterface {
  name = 'Notifications1764001400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dedup_key text NOT NULL UNIQUE,
        kind text NOT NULL,
        recipient_kind text NOT NULL CHECK (recipient_kind IN ('organisation', 'reviewer')),
        recipient_id text NOT NULL,
        record_kind text NOT NULL CHECK (record_kind IN ('proposal', 'grant')),
        record_id uuid NOT NULL,
        due_date date,
        event_id text,
        status text NOT NULL CHECK (status IN ('pending', 'failed', 'sent', 'dead', 'skipped')),
        skipped_reason text,
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        last_error text,
        sent_at timestamptz,
        lease_until timestamptz,
        lease_owner text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE INDEX notifications_queue_idx ON notifications (next_attempt_at) WHERE status IN ('pending', 'failed')`);
    await runner.query('CREATE INDEX notifications_log_idx ON notifications (created_at DESC, id)');
    await runner.query(`
      CREATE TABLE notification_attempts (
        id bigserial PRIMARY KEY,
        notification_id uuid NOT NULL REFERENCES notifications (id),
        attempted_at timestamptz NOT NULL DEFAULT now(),
        outcome text NOT NULL CHECK (outcome IN ('sent', 'failed')),
        smtp_code int,
        error text,
        duration_ms int NOT NULL
      )`);
    await runner.query('CREATE INDEX notification_attempts_notification_idx ON notification_attempts (notification_id, id)');
    await runner.query(`
      CREATE TABLE notification_proposals (
        proposal_id uuid PRIMARY KEY,
        lead_organisation_id uuid NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE notification_grants (
        grant_id uuid PRIMARY KEY,
        organisation_id uuid NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE notification_reports (
        grant_id uuid NOT NULL,
        report_id text NOT NULL,
        organisation_id uuid NOT NULL,
        due_date date NOT NULL,
        open boolean NOT NULL,
        PRIMARY KEY (grant_id, report_id)
      )`);
    await runner.query('CREATE INDEX notification_reports_open_idx ON notification_reports (due_date) WHERE open');
    // Reviewers' addresses, recorded by admins: the envelope only (see reviewer-contacts.ts).
    await runner.query(`
      CREATE TABLE reviewer_contacts (
        reviewer_id text PRIMARY KEY,
        email jsonb NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE reviewer_contacts');
    await runner.query('DROP TABLE notification_reports');
    await runner.query('DROP TABLE notification_grants');
    await runner.query('DROP TABLE notification_proposals');
    await runner.query('DROP TABLE notification_attempts');
    await runner.query('DROP TABLE notifications');
  }
}
