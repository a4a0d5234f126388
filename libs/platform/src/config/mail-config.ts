/**
 * E-mail notifications (SMTP_*, NOTIFY_*), part of the configuration schema (app-config.ts). No
 * SMTP_HOST: mail is off, and the worker says so at start-up. The password is a secret: never logged.
 */
import { nonEmpty } from './environment';

/** Every kind of notification; each can be turned off with NOTIFY_DISABLED_KINDS. */
export const NOTIFICATION_KINDS = ['reviewer-assigned', 'clarification-requested', 'decision-recorded', 'report-due', 'report-overdue'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** The languages a notification can be written in (the console's). */
export const MAIL_LANGUAGES = ['en', 'fr', 'ar'] as const;
export type MailLanguage = (typeof MAIL_LANGUAGES)[number];

export interface MailConfig {
  /** Unset: no e-mail is sent (notifications are recorded as skipped). */
  smtpHost?: string;
  smtpPort: number;
  /**
   * `tls`: TLS from the first byte (port 465); `starttls`: plain connection upgraded with STARTTLS,
   * refused if the server does not offer it; `none`: no TLS at all (a local relay, tests).
   */
  smtpTls: 'tls' | 'starttls' | 'none';
  smtpUser?: string;
  /** A secret: never logged. */
  smtpPassword?: string;
  /** The From address of every notification. */
  from: string;
  /**
   * The programme team's shared mailbox (NOTIFY_PROGRAMME_ADDRESS), told of every overdue report
   * besides the grantee. A role address, not a person's: grant managers, like reviewers, are known
   * to the ledger only by their identity provider's `sub`. Unset: the grantee alone is told.
   */
  programmeAddress?: string;
  disabledKinds: NotificationKind[];
  /**
   * The languages every notification is written in, in this order (NOTIFY_LANGUAGES, default `en`):
   * one mail carrying each, the subjects joined. The ledger keeps no language per person or
   * organisation, and a programme's recipients often read different ones (Arabic and French).
   */
  languages: MailLanguage[];
  /** A report-due reminder goes out this many days before the report's due date. */
  reportDueDays: number;
  /** Events recorded longer ago than this when the notifier reads them are not mailed (first start on an old log). */
  maxEventAgeHours: number;
  /** Backoff before attempt n+1: random in [0, min(retryMaxMs, retryBaseMs * 2^(n-1))]. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** After this many failed attempts a notification is dead. */
  maxAttempts: number;
  /** One SMTP attempt gives up after this long. */
  timeoutMs: number;
  /** How often the sender looks for due notifications and report reminders. */
  pollMs: number;
}

type Fail = (variable: string, problem: string) => void;

export function mailConfigFromEnv(env: NodeJS.ProcessEnv, production: boolean, fail: Fail): MailConfig {
  const int = (variable: string, fallback: number, min = 0): number => {
    const value = nonEmpty(env[variable]);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) {
      fail(variable, `must be a whole number >= ${min}, got "${value}"`);
      return fallback;
    }
    return parsed;
  };
  const smtpHost = nonEmpty(env.SMTP_HOST);
  const smtpTls = (nonEmpty(env.SMTP_TLS) ?? 'starttls') as MailConfig['smtpTls'];
  if (!['tls', 'starttls', 'none'].includes(smtpTls)) fail('SMTP_TLS', `must be tls, starttls or none, got "${String(smtpTls)}"`);
  if (production && smtpHost && smtpTls === 'none') fail('SMTP_TLS', 'must be tls or starttls in production: mail carries links to personal records');
  const smtpUser = nonEmpty(env.SMTP_USER);
  const smtpPassword = nonEmpty(env.SMTP_PASSWORD);
  if (smtpUser && !smtpPassword) fail('SMTP_PASSWORD', 'must be set when SMTP_USER is');
  const from = nonEmpty(env.MAIL_FROM) ?? 'Grant Ledger <no-reply@grant-ledger.invalid>';
  if (smtpHost && !nonEmpty(env.MAIL_FROM) && production) fail('MAIL_FROM', 'must be set in production when SMTP_HOST is');
  const programmeAddress = nonEmpty(env.NOTIFY_PROGRAMME_ADDRESS);
  if (programmeAddress && !/^[^\s@]+@[^\s@]+$/.test(programmeAddress)) fail('NOTIFY_PROGRAMME_ADDRESS', 'must be an e-mail address');
  const disabledKinds = (env.NOTIFY_DISABLED_KINDS ?? '')
    .split(',')
    .map((kind) => kind.trim())
    .filter(Boolean);
  const unknown = disabledKinds.filter((kind) => !(NOTIFICATION_KINDS as readonly string[]).includes(kind));
  if (unknown.length) fail('NOTIFY_DISABLED_KINDS', `names unknown kinds (${unknown.join(', ')}); known: ${NOTIFICATION_KINDS.join(', ')}`);
  const languages = (nonEmpty(env.NOTIFY_LANGUAGES) ?? 'en').split(',').map((language) => language.trim()).filter(Boolean);
  const unknownLanguages = languages.filter((language) => !(MAIL_LANGUAGES as readonly string[]).includes(language));
  if (unknownLanguages.length) fail('NOTIFY_LANGUAGES', `names languages the notifications are not written in (${unknownLanguages.join(', ')}); known: ${MAIL_LANGUAGES.join(', ')}`);
  if (new Set(languages).size !== languages.length) fail('NOTIFY_LANGUAGES', `names a language twice (${languages.join(', ')})`);
  if (languages.length === 0) fail('NOTIFY_LANGUAGES', `names no language; known: ${MAIL_LANGUAGES.join(', ')}`);
  return {
    smtpHost,
    smtpPort: int('SMTP_PORT', smtpTls === 'tls' ? 465 : 587, 1),
    smtpTls,
    smtpUser,
    smtpPassword,
    from,
    programmeAddress,
    disabledKinds: disabledKinds.filter((kind): kind is NotificationKind => (NOTIFICATION_KINDS as readonly string[]).includes(kind)),
    languages: languages.filter((language): language is MailLanguage => (MAIL_LANGUAGES as readonly string[]).includes(language)),
    reportDueDays: int('NOTIFY_REPORT_DUE_DAYS', 7),
    maxEventAgeHours: int('NOTIFY_MAX_EVENT_AGE_HOURS', 72, 1),
    retryBaseMs: int('NOTIFY_RETRY_BASE_MS', 30_000),
    retryMaxMs: int('NOTIFY_RETRY_MAX_MS', 3_600_000),
    maxAttempts: int('NOTIFY_MAX_ATTEMPTS', 8, 1),
    timeoutMs: int('SMTP_TIMEOUT_MS', 20_000, 1),
    pollMs: int('NOTIFY_POLL_MS', 5_000, 1),
  };
}
