import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PostgresPersonalDataKeyStore } from '@app/personal-data/personal-data-key-store';
import { PersonalDataKeyring } from '@app/personal-data/personal-data-keyring';
import { sealEnvelope } from '@app/personal-data/personal-data-envelope';
import { SealedPersonalData } from '@app/personal-data/sealed-personal-field';
import { ManualClock } from '@app/platform/clock';
import { loadConfig } from '@app/platform/config/app-config';
import type { MailConfig } from '@app/platform/config/mail-config';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/database';
import { SmtpInbox } from '../../../../test/support/smtp-inbox';
import { databaseOptions } from '../database-options';
import { PersonalDataPolicy } from '../personal-data/personal-data.policy';
import { NotificationAddresses } from './notification-addresses';
import { queueNotification } from './notification-fan-out';
import { readNotificationLog, resendNotification } from './notification-log';
import { NotificationSender } from './notification-sender';
import { ReviewerContacts } from './reviewer-contacts';
import { smtpTransport } from './smtp-transport';

/** How long the slow server below waits before each answer, per step of the SMTP exchange (ms). */
interface Slowness {
  connect?: number;
  mailFrom?: number;
  rcptTo?: number;
  data?: number;
}

/** A real SMTP server (`smtp-server`) that accepts everything, but answers slowly, each step below the client's timeout. */
async function slowSmtpServer(slowness: Slowness): Promise<{ port: number; received: string[]; stop(): Promise<void> }> {
  const received: string[] = [];
  const after = (ms: number | undefined, callback: () => void) => (ms ? setTimeout(callback, ms) : callback());
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect: (_session, callback) => after(slowness.connect, () => callback()),
    onMailFrom: (_address, _session, callback) => after(slowness.mailFrom, () => callback()),
    onRcptTo: (_address, _session, callback) => after(slowness.rcptTo, () => callback()),
    onData: (stream, session, callback) => {
      stream.on('data', () => undefined);
      stream.on('end', () =>
        after(slowness.data, () => {
          // Accepted when the answer goes out: what the sender would take as delivered.
          received.push(...session.envelope.rcptTo.map((rcpt) => rcpt.address));
          callback();
        }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const until = async (done: () => Promise<boolean> | boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
};

describe('notification senders, leases and a slow SMTP server (PostgreSQL, SMTP)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let keyring: PersonalDataKeyring;
  let reviewers: ReviewerContacts;
  let addresses: NotificationAddresses;
  const errors: unknown[] = [];
  const logger = { log: () => undefined, error: (message: string, fields?: object) => errors.push({ message, ...fields }) };
  const clock = () => new ManualClock(new Date('2027-01-10T09:00:00Z'));

  beforeAll(async () => {
    db = await createTestDatabase('notifier_leases');
    dataSource = await new DataSource(databaseOptions(db.url, { size: 6 })).initialize();
    keyring = new PersonalDataKeyring(new PostgresPersonalDataKeyStore(db.url), randomBytes(32));
    reviewers = new ReviewerContacts(dataSource, keyring);
    addresses = new NotificationAddresses(dataSource, new SealedPersonalData(keyring), new PersonalDataPolicy(), reviewers);
  });

  beforeEach(() => {
    errors.length = 0;
  });

  afterAll(async () => {
    await keyring?.close();
    await dataSource?.destroy();
    await db?.drop();
  });

  async function queueReviewers(prefix: string, count: number, mail: MailConfig): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}-${randomUUID().slice(0, 6)}`);
    for (const id of ids) {
      await reviewers.register(id, `${id}@reviewers.example.org`);
      await queueNotification(dataSource.manager, { kind: 'reviewer-assigned', dedupKey: `reviewer-assigned:${id}`, recipient: { kind: 'reviewer', id }, record: { kind: 'proposal', id: randomUUID() } }, mail, {});
    }
    return ids;
  }

  const attemptsOf = async (ids: string[]) =>
    (await dataSource.query(
      `SELECT n.dedup_key, n.status, n.attempts, (SELECT count(*)::int FROM notification_attempts a WHERE a.notification_id = n.id) AS logged
         FROM notifications n WHERE n.dedup_key = ANY($1) ORDER BY n.dedup_key`,
      [ids.map((id) => `reviewer-assigned:${id}`)],
    )) as { dedup_key: string; status: string; attempts: number; logged: number }[];

  /**
   * Two senders with a 1 s lease drain the outbox through `smtp`; once every row is sent, a while
   * more (a lease running out then would show as a second mail). Each address got its mail once,
   * each row was sent in one attempt, logged once, and nothing was logged as an error.
   */
  async function expectEachSentOnce(smtp: { received: string[]; stop(): Promise<void> }, mail: MailConfig, ids: string[], wait: { sentWithinMs: number; thenWaitMs: number }): Promise<void> {
    const senders = [0, 1].map(() => new NotificationSender(dataSource, mail, smtpTransport(mail), addresses, clock(), 'https://ledger.example.org', logger, Math.random, { leaseMs: 1_000 }));
    senders.forEach((sender) => sender.start());
    try {
      await until(async () => (await attemptsOf(ids)).every((row) => row.status === 'sent'), wait.sentWithinMs);
      await new Promise((resolve) => setTimeout(resolve, wait.thenWaitMs));
    } finally {
      await Promise.all(senders.map((sender) => sender.stop()));
      await smtp.stop();
    }
    expect([...smtp.received].sort()).toEqual(ids.map((id) => `${id}@reviewers.example.org`).sort());
    expect((await attemptsOf(ids)).map(({ status, attempts, logged }) => ({ status, attempts, logged }))).toEqual(ids.map(() => ({ status: 'sent', attempts: 1, logged: 1 })));
    expect(errors).toEqual([]);
  }

  // A batch claimed at once outlasted its lease behind a slow server; the other sender took its last rows and sent them too.
  it('sends each notification once when two senders share the outbox and the server answers DATA slowly (no crash)', async () => {
    const smtp = await slowSmtpServer({ data: 250 });
    // A 1 s lease (the real one: SMTP timeout + 30 s), the server's 250 ms per mail below the 1 s timeout:
    // ten rows sent one after the other take 2.5 s, far beyond a lease taken for all of them at once.
    const mail: MailConfig = { ...loadConfig({ LOG_LEVEL: 'silent' }).mail, smtpHost: '127.0.0.1', smtpPort: smtp.port, smtpTls: 'none', pollMs: 50, timeoutMs: 1_000 };
    await expectEachSentOnce(smtp, mail, await queueReviewers('slow-data', 23, mail), { sentWithinMs: 20_000, thenWaitMs: 1_500 });
  });

  it('holds the lease while one SMTP exchange, slow at every step but never timing out, outlasts it', async () => {
    // Each answer 400 ms, below the 1 s timeout (nodemailer's timeouts are per step, by inactivity):
    // greeting, MAIL, RCPT and DATA make one attempt of 1.6 s, beyond the 1 s lease it was claimed with.
    const smtp = await slowSmtpServer({ connect: 400, mailFrom: 400, rcptTo: 400, data: 400 });
    const mail: MailConfig = { ...loadConfig({ LOG_LEVEL: 'silent' }).mail, smtpHost: '127.0.0.1', smtpPort: smtp.port, smtpTls: 'none', pollMs: 50, timeoutMs: 1_000 };
    // One notification, so that the other sender is idle and would claim it as soon as its lease ran out.
    await expectEachSentOnce(smtp, mail, await queueReviewers('slow-steps', 1, mail), { sentWithinMs: 15_000, thenWaitMs: 2_000 });
  });

  // Resent, then skipped as erased, the row showed attempts 0 next to the last failure's error code.
  it('clears the last error of a notification resent and then skipped (erased organisation)', async () => {
    // The first attempt fails: nothing listens on the server's port.
    const gone = await new SmtpInbox().start(0);
    await gone.stop();
    const mail: MailConfig = { ...loadConfig({ LOG_LEVEL: 'silent' }).mail, smtpHost: '127.0.0.1', smtpPort: gone.port, smtpTls: 'none', pollMs: 50, timeoutMs: 1_000, retryBaseMs: 3_600_000, retryMaxMs: 3_600_000 };
    const organisationId = randomUUID();
    const subject = `organisation-${organisationId}`;
    const binding = { subject, eventId: randomUUID(), path: 'contactPerson' };
    const sealed = { ...sealEnvelope({ name: 'Erased Contact', email: 'erased@network.example.org' }, binding, await keyring.encryptionKey(subject)), eventId: binding.eventId, path: binding.path };
    await dataSource.query(
      `INSERT INTO organisations (id, name, country, legal_status, focus_groups, contact_person, member_user_ids, personal_data_erased, registered_at, updated_at, version)
       VALUES ($1, 'Erased network', 'LB', 'unregistered-group', '{}', $2, '{}', false, now(), now(), 0)`,
      [organisationId, JSON.stringify(sealed)],
    );
    const proposalId = randomUUID();
    await queueNotification(dataSource.manager, { kind: 'decision-recorded', dedupKey: `decision-recorded:${proposalId}`, recipient: { kind: 'organisation', id: organisationId }, record: { kind: 'proposal', id: proposalId } }, mail, {});
    const entry = async () => (await readNotificationLog(dataSource, { recordId: proposalId, limit: 1, offset: 0 }))[0];

    const failing = new NotificationSender(dataSource, mail, smtpTransport(mail), addresses, clock(), 'https://ledger.example.org', logger);
    failing.start();
    try {
      await until(async () => (await entry()).status === 'failed', 10_000);
    } finally {
      await failing.stop();
    }
    const failed = await entry();
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.lastError).toMatch(/^E[A-Z]+/);

    // The organisation is erased (the projection has applied it), and an admin resends the notification.
    await dataSource.query('UPDATE organisations SET contact_person = NULL, personal_data_erased = true WHERE id = $1', [organisationId]);
    await resendNotification(dataSource, failed.id);
    const sender = new NotificationSender(dataSource, mail, smtpTransport(mail), addresses, clock(), 'https://ledger.example.org', logger);
    sender.start();
    try {
      await until(async () => (await entry()).status === 'skipped', 10_000);
    } finally {
      await sender.stop();
    }
    expect(await entry()).toMatchObject({ status: 'skipped', skippedReason: 'erased', attempts: 0, lastError: null, nextAttemptAt: null });
    const attempts: { n: number }[] = await dataSource.query('SELECT count(*)::int AS n FROM notification_attempts WHERE notification_id = $1', [failed.id]);
    expect(attempts[0].n).toBe(1); // the failed attempt stays in the delivery log
  });
});
