import type { MailConfig } from '@app/platform/config/mail-config';
import { createTransport, type Transporter } from 'nodemailer';

/** The SMTP connection of the sender, from configuration (nodemailer's own logging stays off: it would log addresses). */
export function smtpTransport(mail: MailConfig): Transporter {
  return createTransport({
    host: mail.smtpHost,
    port: mail.smtpPort,
    secure: mail.smtpTls === 'tls',
    requireTLS: mail.smtpTls === 'starttls',
    ignoreTLS: mail.smtpTls === 'none',
    auth: mail.smtpUser ? { user: mail.smtpUser, pass: mail.smtpPassword } : undefined,
    connectionTimeout: mail.timeoutMs,
    greetingTimeout: mail.timeoutMs,
    socketTimeout: mail.timeoutMs,
    logger: false,
    debug: false,
  });
}
