import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Overdue reports are told to the programme team's shared mailbox too: a third kind of recipient. */
export class NotificationsProgrammeRecipient1764001410000 implements MigrationInterface {
  name = 'NotificationsProgrammeRecipient1764001410000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE notifications DROP CONSTRAINT notifications_recipient_kind_check');
    await runner.query(`ALTER TABLE notifications ADD CONSTRAINT notifications_recipient_kind_check CHECK (recipient_kind IN ('organisation', 'reviewer', 'programme'))`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DELETE FROM notification_attempts WHERE notification_id IN (SELECT id FROM notifications WHERE recipient_kind = 'programme')`);
    await runner.query(`DELETE FROM notifications WHERE recipient_kind = 'programme'`);
    await runner.query('ALTER TABLE notifications DROP CONSTRAINT notifications_recipient_kind_check');
    await runner.query(`ALTER TABLE notifications ADD CONSTRAINT notifications_recipient_kind_check CHECK (recipient_kind IN ('organisation', 'reviewer'))`);
  }
}
