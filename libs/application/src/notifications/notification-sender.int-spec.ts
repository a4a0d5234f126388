import { randomBytes, randomUUID } from 'node:crypto';
import { PostgresPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { SealedPersonalData } from '@app/personal-data/sealed-personal-field';
import { ManualClock } from '@app/platform/clock';
import { loadConfig } from '@app/platform/config/app-config';
import type { MailConfig } from '@app/platform/config/mail-config';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { SmtpInbox } from '../../../../test/support/smtp-inbox';
import { databaseOptions } from '../database-options';
import { PersonalDataPolicy } from '../personal-data/personal-data.policy';
import { NotificationAddresses } from './notification-addresses';
import { queueNotification } from './notification-fan-out';
import { NotificationSender } from './notification-sender';
import { ReviewerContacts } from './reviewer-contacts';
import { smtpTransport } from './smtp-transport';

/** Two workers' senders on one outbox, mailing a real SMTP server: every notification arrives exactly once. */
describe('notification senders sharing the outbox (PostgreSQL, SMTP)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let keyring: PersonalDataKeyring;
  let inbox: SmtpInbox;
  const errors: unknown[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('notifier');
    dataSource = await new DataSource(databaseOptions(db.url, { size: 4 })).initialize();
    keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(db.url), randomBytes(32));
    inbox = await new SmtpInbox().start(0);
  });

  afterAll(async () => {
    await inbox?.stop();
    await keyring?.close();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('lease each notification to one sender: 24 reviewers, two senders, 24 mails, each once', async () => {
    const mail: MailConfig = { ...loadConfig({ LOG_LEVEL: 'silent' }).mail, smtpHost: '127.0.0.1', smtpPort: inbox.port, smtpTls: 'none', pollMs: 50, timeoutMs: 2_000 };
    const reviewers = new ReviewerContacts(dataSource, keyring);
    const ids = Array.from({ length: 24 }, (_, i) => `sub-${i}-${randomUUID().slice(0, 6)}`);
    for (const id of ids) {
      await reviewers.register(id, `${id}@reviewers.example.org`);
      const queued = await queueNotification(dataSource.manager, { kind: 'reviewer-assigned', dedupKey: `reviewer-assigned:${id}`, recipient: { kind: 'reviewer', id }, record: { kind: 'proposal', id: randomUUID() } }, mail, {});
      expect(queued).toBe(1);
    }
    const addresses = new NotificationAddresses(dataSource, new SealedPersonalData(keyring), new PersonalDataPolicy(), reviewers);
    const logger = { log: () => undefined, error: (message: string, fields?: object) => errors.push({ message, ...fields }) };
    const senders = [0, 1].map(() => new NotificationSender(dataSource, mail, smtpTransport(mail), addresses, new ManualClock(new Date('2027-01-10T09:00:00Z')), 'https://ledger.example.org', logger));
    senders.forEach((sender) => sender.start());
    const deadline = Date.now() + 15_000;
    while (inbox.messages.length < ids.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 300)); // any duplicate would arrive by now
    await Promise.all(senders.map((sender) => sender.stop()));

    expect(inbox.messages.map((message) => message.to[0]).sort()).toEqual(ids.map((id) => `${id}@reviewers.example.org`).sort());
    const rows: { status: string; attempts: number; n: number }[] = await dataSource.query('SELECT status, attempts, count(*)::int AS n FROM notifications GROUP BY status, attempts');
    expect(rows).toEqual([{ status: 'sent', attempts: 1, n: ids.length }]);
    expect(errors).toEqual([]);
  });
});
