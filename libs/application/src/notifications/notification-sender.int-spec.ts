import { randomBytes, randomUUID } from 'node:crypto';
import { PostgresPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { sealEnvelope } from '@app/personal-data/personal-data-envelope';
import { SealedPersonalData } from '@app/personal-data/sealed-personal-field';
import { ManualClock } from '@app/platform/clock';
import { loadConfig } from '@app/platform/config/app-config';
import type { MailConfig } from '@app/platform/config/mail-config';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { failingTransactions } from '../../../../test/support/failing-transactions';
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

  it("mails in the programme's languages (NOTIFY_LANGUAGES=ar,fr): Arabic and French arrive intact over SMTP", async () => {
    const mail: MailConfig = { ...loadConfig({ LOG_LEVEL: 'silent', NOTIFY_LANGUAGES: 'ar,fr' }).mail, smtpHost: '127.0.0.1', smtpPort: inbox.port, smtpTls: 'none', pollMs: 50, timeoutMs: 2_000 };
    const reviewers = new ReviewerContacts(dataSource, keyring);
    const id = `multilingual-${randomUUID().slice(0, 6)}`;
    await reviewers.register(id, `${id}@reviewers.example.org`);
    await queueNotification(dataSource.manager, { kind: 'reviewer-assigned', dedupKey: `reviewer-assigned:${id}`, recipient: { kind: 'reviewer', id }, record: { kind: 'proposal', id: randomUUID() } }, mail, {});
    const addresses = new NotificationAddresses(dataSource, new SealedPersonalData(keyring), new PersonalDataPolicy(), reviewers);
    const sender = new NotificationSender(dataSource, mail, smtpTransport(mail), addresses, new ManualClock(new Date('2027-01-10T09:00:00Z')), 'https://ledger.example.org', { log: () => undefined, error: () => undefined });
    sender.start();
    try {
      const deadline = Date.now() + 10_000;
      while (inbox.to(`${id}@reviewers.example.org`).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      await sender.stop();
    }
    const [received] = inbox.to(`${id}@reviewers.example.org`);
    expect(received.subject).toMatch(/^أُسند إليك مقترح لمراجعته \([0-9a-f]{8}\) \/ Une proposition vous a été confiée pour évaluation \([0-9a-f]{8}\)$/);
    expect(received.text).toContain('قائمة مراجعاتك: https://ledger.example.org/console/#/reviews');
    expect(received.text).toContain('Votre file d’évaluation : https://ledger.example.org/console/#/reviews');
    expect(received.raw).toMatch(/charset=utf-8/i);
  });

  it('hands a failed round back to the outbox at once, not at its leases\' expiry', async () => {
    // Leases of 60 s + 30 s margin: left to run out, the round's other mails would wait a minute and a half.
    const mail: MailConfig = { ...loadConfig({ LOG_LEVEL: 'silent' }).mail, smtpHost: '127.0.0.1', smtpPort: inbox.port, smtpTls: 'none', pollMs: 50, timeoutMs: 60_000 };
    const reviewers = new ReviewerContacts(dataSource, keyring);
    const ids = Array.from({ length: 3 }, (_, i) => `flaky-${i}-${randomUUID().slice(0, 6)}`);
    for (const id of ids) {
      await reviewers.register(id, `${id}@reviewers.example.org`);
      await queueNotification(dataSource.manager, { kind: 'reviewer-assigned', dedupKey: `reviewer-assigned:${id}`, recipient: { kind: 'reviewer', id }, record: { kind: 'proposal', id: randomUUID() } }, mail, {});
    }
    // The first mail is sent, but recording its attempt fails (as when the database restarts meanwhile).
    const flaky = failingTransactions(dataSource, 1);
    const addresses = new NotificationAddresses(dataSource, new SealedPersonalData(keyring), new PersonalDataPolicy(), reviewers);
    const sender = new NotificationSender(flaky, mail, smtpTransport(mail), addresses, new ManualClock(new Date('2027-01-10T09:00:00Z')), 'https://ledger.example.org', { log: () => undefined, error: () => undefined });
    const addressesOf = new Set(ids.map((id) => `${id}@reviewers.example.org`));
    const before = inbox.messages.filter((message) => addressesOf.has(message.to[0])).length;
    expect(before).toBe(0);
    sender.start();
    try {
      const deadline = Date.now() + 10_000;
      const sent = async () => ((await dataSource.query(`SELECT count(*)::int AS n FROM notifications WHERE dedup_key = ANY($1) AND status = 'sent'`, [ids.map((id) => `reviewer-assigned:${id}`)])) as { n: number }[])[0].n;
      while ((await sent()) < ids.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(await sent()).toBe(ids.length);
      // At least once: the mail whose attempt was not recorded went out twice, every other once.
      const received = inbox.messages.filter((message) => addressesOf.has(message.to[0])).map((message) => message.to[0]);
      expect(received).toHaveLength(ids.length + 1);
      expect(new Set(received)).toEqual(addressesOf);
    } finally {
      await sender.stop();
    }
  });

  it('retries, rather than gives up, a recipient the organisations read model has not projected yet', async () => {
    const mail: MailConfig = { ...loadConfig({ LOG_LEVEL: 'silent' }).mail, smtpHost: '127.0.0.1', smtpPort: inbox.port, smtpTls: 'none', pollMs: 50, retryBaseMs: 50, retryMaxMs: 100, timeoutMs: 2_000 };
    const organisationId = randomUUID();
    const proposalId = randomUUID();
    await queueNotification(dataSource.manager, { kind: 'decision-recorded', dedupKey: `decision-recorded:${proposalId}`, recipient: { kind: 'organisation', id: organisationId }, record: { kind: 'proposal', id: proposalId } }, mail, {});
    const reviewers = new ReviewerContacts(dataSource, keyring);
    const addresses = new NotificationAddresses(dataSource, new SealedPersonalData(keyring), new PersonalDataPolicy(), reviewers);
    const sender = new NotificationSender(dataSource, mail, smtpTransport(mail), addresses, new ManualClock(new Date('2027-01-10T09:00:00Z')), 'https://ledger.example.org', { log: () => undefined, error: () => undefined });
    sender.start();
    const status = async () => ((await dataSource.query('SELECT status, last_error FROM notifications WHERE record_id = $1', [proposalId])) as { status: string; last_error: string | null }[])[0];
    try {
      const deadline = Date.now() + 10_000;
      while ((await status()).status !== 'failed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(await status()).toEqual({ status: 'failed', last_error: 'RECIPIENT_NOT_PROJECTED' });

      // The projection catches up: the row with its contact sealed as the log holds it.
      const subject = `organisation-${organisationId}`;
      const binding = { subject, eventId: randomUUID(), path: 'contactPerson' };
      const sealed = { ...sealEnvelope({ name: 'Late Contact', email: 'late@network.example.org' }, binding, await keyring.encryptionKey(subject)), eventId: binding.eventId, path: binding.path };
      await dataSource.query(
        `INSERT INTO organisations (id, name, country, legal_status, focus_groups, contact_person, member_user_ids, personal_data_erased, registered_at, updated_at, version)
         VALUES ($1, 'Late network', 'LB', 'unregistered-group', '{}', $2, '{}', false, now(), now(), 0)`,
        [organisationId, JSON.stringify(sealed)],
      );
      while ((await status()).status !== 'sent' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      expect((await status()).status).toBe('sent');
      expect(inbox.to('late@network.example.org')).toHaveLength(1);
    } finally {
      await sender.stop();
    }
  });
});
