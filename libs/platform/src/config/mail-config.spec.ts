import { ConfigurationError } from './environment';
import { mailConfigFromEnv } from './mail-config';

function read(env: NodeJS.ProcessEnv, production = false) {
  const problems: { variable: string; problem: string }[] = [];
  const mail = mailConfigFromEnv(env, production, (variable, problem) => problems.push({ variable, problem }));
  return { mail, problems };
}

describe('mail configuration', () => {
  it('is off without SMTP_HOST, with the documented defaults', () => {
    const { mail, problems } = read({});
    expect(problems).toEqual([]);
    expect(mail).toMatchObject({ smtpHost: undefined, smtpPort: 587, smtpTls: 'starttls', disabledKinds: [], reportDueDays: 7, maxAttempts: 8, languages: ['en'] });
  });

  it('writes notifications in the languages of NOTIFY_LANGUAGES, in their order; refuses one it cannot write, a repeat, or none', () => {
    expect(read({ NOTIFY_LANGUAGES: 'ar, fr' })).toEqual({ mail: expect.objectContaining({ languages: ['ar', 'fr'] }), problems: [] });
    for (const value of ['ar,de', 'fr,fr', ',', 'AR']) expect([value, read({ NOTIFY_LANGUAGES: value }).problems.map((p) => p.variable)]).toEqual([value, ['NOTIFY_LANGUAGES']]);
  });

  it('reads host, port, TLS, sender and the kinds turned off', () => {
    const { mail, problems } = read({
      SMTP_HOST: 'smtp.example.org', SMTP_TLS: 'tls', MAIL_FROM: 'Programme <grants@example.org>', NOTIFY_DISABLED_KINDS: 'report-due, reviewer-assigned', NOTIFY_PROGRAMME_ADDRESS: 'grants-team@example.org',
    });
    expect(problems).toEqual([]);
    expect(mail).toMatchObject({
      smtpHost: 'smtp.example.org', smtpPort: 465, smtpTls: 'tls', from: 'Programme <grants@example.org>', disabledKinds: ['report-due', 'reviewer-assigned'], programmeAddress: 'grants-team@example.org',
    });
    expect(read({ NOTIFY_PROGRAMME_ADDRESS: 'grants team' }).problems.map((p) => p.variable)).toEqual(['NOTIFY_PROGRAMME_ADDRESS']);
  });

  it('refuses an unknown kind, a TLS mode it does not know and a user without a password, naming each variable', () => {
    const { problems } = read({ SMTP_HOST: 'smtp.example.org', NOTIFY_DISABLED_KINDS: 'report-due,newsletter', SMTP_TLS: 'maybe', SMTP_USER: 'grants' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['NOTIFY_DISABLED_KINDS', 'SMTP_PASSWORD', 'SMTP_TLS']);
    expect(problems.find((p) => p.variable === 'NOTIFY_DISABLED_KINDS')?.problem).toContain('newsletter');
  });

  it('in production, refuses mail without TLS and without a sender of its own', () => {
    const { problems } = read({ SMTP_HOST: 'smtp.example.org', SMTP_TLS: 'none' }, true);
    expect(problems.map((p) => p.variable).sort()).toEqual(['MAIL_FROM', 'SMTP_TLS']);
    expect(new ConfigurationError(problems).message).not.toContain('smtp.example.org');
  });
});
