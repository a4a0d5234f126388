/**
 * A real SMTP server in the test process (the `smtp-server` package): accepts every message on
 * 127.0.0.1 without TLS or authentication and keeps what arrived. `stop()` then `start()` on the
 * same port plays an outage.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  /** The text part, quoted-printable soft breaks undone. */
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
          const raw = Buffer.concat(chunks).toString('utf8');
          const [head, ...body] = raw.split(/\r?\n\r?\n/);
          const header = (name: string) => new RegExp(`^${name}: (.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head)?.[1].replace(/\r?\n[ \t]/g, ' ') ?? '';
          this.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            subject: header('Subject'),
            text: body.join('\n\n').replace(/=\r?\n/g, '').replace(/=3D/g, '='),
            raw,
          });
          callback();
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
