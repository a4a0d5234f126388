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

  describe('IPv6 forms that embed or translate an IPv4 address are judged by that address too', () => {
    it.each([
      ['IPv4-mapped ::ffff:0:0/96, dotted', '::ffff:10.0.0.1'],
      ['IPv4-mapped ::ffff:0:0/96, hex', '::ffff:a00:1'],
      ['IPv4-mapped, metadata, hex', '::ffff:a9fe:a9fe'],
      ['IPv4-mapped, written out', '0:0:0:0:0:ffff:7f00:1'],
      ['IPv4-translated ::ffff:0:0:0/96, dotted', '::ffff:0:10.0.0.1'],
      ['IPv4-translated ::ffff:0:0:0/96, hex', '::ffff:0:7f00:1'],
      ['IPv4-compatible ::/96, dotted', '::10.0.0.1'],
      ['IPv4-compatible ::/96, hex', '::7f00:1'],
      ['IPv4-compatible, metadata, dotted', '::169.254.169.254'],
      ['6to4 2002::/16, private', '2002:a00:1::1'],
      ['6to4 2002::/16, loopback', '2002:7f00:1::'],
      ['6to4 2002::/16, 192.168.1.1 with a dotted tail', '2002:c0a8:101::8.8.8.8'],
      ['Teredo 2001::/32, client 10.0.0.1 (XOR 0xffffffff)', '2001:0:4136:e378:8000:63bf:f5ff:fffe'],
      ['Teredo 2001::/32, client 127.0.0.1, dotted', '2001:0:4136:e378:8000:63bf:128.255.255.254'],
      ['Teredo 2001::/32, server 10.0.0.1, public client', '2001:0:a00:1:0:0:f7f7:f7f7'],
      ['NAT64 64:ff9b::/96, dotted', '64:ff9b::10.0.0.1'],
      ['NAT64 64:ff9b::/96, metadata, hex', '64:ff9b::a9fe:a9fe'],
      ['NAT64 local-use 64:ff9b:1::/48, dotted', '64:ff9b:1::10.0.0.1'],
      ['NAT64 local-use 64:ff9b:1::/48, hex', '64:ff9b:1:a00:1::'],
      ['NAT64 local-use 64:ff9b:1::/48, even to a public IPv4', '64:ff9b:1::808:808'],
      ['ISATAP interface id, dotted', '2600::200:5efe:10.0.0.1'],
      ['ISATAP interface id, hex', '2600::5efe:c0a8:101'],
    ])('refuses %s: %s', (_form, address) => {
      expect(refusalFor(address)).toBe('the host resolves to an internal or non-public address');
    });

    it.each([
      ['IPv4-mapped', '::ffff:8.8.8.8'],
      ['6to4', '2002:808:808::1'],
      ['Teredo, public server and client', '2001:0:4136:e378:8000:63bf:f7f7:f7f7'],
      ['NAT64 well-known prefix (DNS64 on an IPv6-only network)', '64:ff9b::8.8.8.8'],
      ['ISATAP', '2600::200:5efe:808:808'],
    ])('accepts %s carrying a public IPv4 address: %s', (_form, address) => {
      expect(refusalFor(address)).toBeUndefined();
    });

    it('refuses them in URLs too, which write IPv4-mapped addresses in hex', async () => {
      const guard = new SsrfGuard([], resolvingTo('93.184.216.34'));
      expect(new URL('http://[::ffff:127.0.0.1]/').hostname).toBe('[::ffff:7f00:1]');
      for (const url of ['http://[::ffff:127.0.0.1]/x', 'http://[::127.0.0.1]/x', 'http://[64:ff9b::169.254.169.254]/x', 'http://[2002:a9fe:a9fe::]/x']) {
        await expect(guard.check(url)).rejects.toThrow(WebhookUrlRefused);
      }
      await expect(new SsrfGuard([], resolvingTo('2002:a00:1::1')).check('https://partner.example.org/hook')).rejects.toThrow(WebhookUrlRefused);
    });

    it('ignores a zone index', () => {
      expect(refusalFor('fe80::1%eth0')).toBeDefined();
    });
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
