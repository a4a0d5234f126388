import { refusalFor, type Resolver, SsrfGuard, WebhookUrlRefused } from './ssrf-guard';

const resolvingTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));

describe('SSRF guard: webhook URLs never reach internal addresses', () => {
  it.each([
    '127.0.0.1', '127.1.2.3', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1',
    '::1', '::', 'fd00::1', 'fc12::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1',
  ])('refuses %s', (address) => {
    expect(refusalFor(address)).toBeDefined();
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111'])('accepts the public address %s', (address) => {
    expect(refusalFor(address)).toBeUndefined();
  });

  it('refuses a host name that resolves to an internal address, even mixed with a public one', async () => {
    const guard = new SsrfGuard([], resolvingTo('93.184.216.34', '10.0.0.5'));
    await expect(guard.check('https://partner.example.org/hook')).rejects.toThrow(WebhookUrlRefused);
  });

  it('returns the checked address, which is the one connected to (no second DNS answer)', async () => {
    const guard = new SsrfGuard([], resolvingTo('93.184.216.34'));
    await expect(guard.check('https://partner.example.org/hook')).resolves.toMatchObject({ address: { address: '93.184.216.34', family: 4 } });
  });

  it('refuses IP literals of loopback and metadata, and non-http schemes and credentials', async () => {
    const guard = new SsrfGuard([], resolvingTo('93.184.216.34'));
    await expect(guard.check('http://127.0.0.1:8080/x')).rejects.toThrow(WebhookUrlRefused);
    await expect(guard.check('http://[::1]/x')).rejects.toThrow(WebhookUrlRefused);
    await expect(guard.check('http://169.254.169.254/latest/meta-data')).rejects.toThrow(WebhookUrlRefused);
    await expect(guard.check('ftp://partner.example.org/x')).rejects.toThrow(WebhookUrlRefused);
    await expect(guard.check('file:///etc/passwd')).rejects.toThrow(WebhookUrlRefused);
    await expect(guard.check('https://user:pw@partner.example.org/x')).rejects.toThrow(WebhookUrlRefused);
    await expect(guard.check('not a url')).rejects.toThrow(WebhookUrlRefused);
  });

  it('allows internal hosts only when listed in WEBHOOK_ALLOWED_HOSTS, by the name as written', async () => {
    const guard = new SsrfGuard(['127.0.0.1', 'localhost'], resolvingTo('127.0.0.1'));
    await expect(guard.check('http://127.0.0.1:9999/hook')).resolves.toBeDefined();
    await expect(guard.check('http://localhost:9999/hook')).resolves.toBeDefined();
    await expect(guard.check('http://rebound.example.org/hook')).rejects.toThrow(WebhookUrlRefused);
  });

  it('refuses a host name that does not resolve', async () => {
    const guard = new SsrfGuard([], async () => {
      throw new Error('ENOTFOUND');
    });
    await expect(guard.check('https://nowhere.invalid/hook')).rejects.toThrow(WebhookUrlRefused);
  });
});
