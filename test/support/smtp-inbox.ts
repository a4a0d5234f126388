/**
 * A real SMTP server in the test process (the `smtp-server` package): accepts every message on
 * 127.0.0.1 without TLS or authentication and keeps what arrived. `stop()` then `start()` on the
 * same port plays an outage.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Decoded (RFC 2047 encoded words, as nodemailer writes a subject that is not ASCII). */
  subject: string;
  /** The text part, decoded from its transfer encoding and charset. */
  text: string;
  raw: string;
}

export class SmtpInbox {
  readonly messages: ReceivedMail[] = [];
  /** Recipients refused at RCPT TO with this SMTP reply code (a bounce, e.g. 550: no such mailbox). */
  readonly refused = new Map<string, number>();
  private server?: SMTPServer;
  port = 0;

  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const code = this.refused.get(address.address);
        if (code === undefined) return callback();
        callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: code }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const bytes = Buffer.concat(chunks);
          // mailparser decodes what nodemailer encodes: RFC 2047 subjects, quoted-printable or base64 bodies, charsets.
          simpleParser(bytes).then(
            (parsed) => {
              this.messages.push({
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
                subject: parsed.subject ?? '',
                text: parsed.text ?? '',
                raw: bytes.toString('utf8'),
              });
              callback();
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  to(address: string): ReceivedMail[] {
    return this.messages.filter((message) => message.to.includes(address));
  }
}

