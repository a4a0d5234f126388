/**
 * Refuses webhook targets inside our own network (SSRF): loopback, private, link-local (cloud
 * metadata at 169.254.169.254), carrier-grade NAT, unique-local and other non-public ranges, and
 * the server's own interface addresses — unless the host is listed in WEBHOOK_ALLOWED_HOSTS.
 * Checked at subscription time and again at every delivery on the freshly resolved address, which
 * is then the one connected to (no second lookup an attacker's DNS could answer differently).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export class WebhookUrlRefused extends Error {
  constructor(readonly reason: string) {
    super(`webhook URL refused: ${reason}`);
    this.name = new.target.name;
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })) as ResolvedAddress[];

function blockedRanges(): BlockList {
  const list = new BlockList();
  const v4: [string, number][] = [
    ['0.0.0.0', 8], // "this network", unspecified
    ['10.0.0.0', 8],
    ['100.64.0.0', 10], // carrier-grade NAT
    ['127.0.0.0', 8],
    ['169.254.0.0', 16], // link-local, cloud metadata
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved, broadcast
  ];
  for (const [net, prefix] of v4) list.addSubnet(net, prefix, 'ipv4');
  const v6: [string, number][] = [
    ['::', 128], // unspecified
    ['::1', 128],
    ['64:ff9b::', 96], // NAT64 can reach IPv4 internals
    ['100::', 64],
    ['2001:db8::', 32],
    ['fc00::', 7], // unique local
    ['fe80::', 10], // link-local
    ['fec0::', 10],
    ['ff00::', 8], // multicast
  ];
  for (const [net, prefix] of v6) list.addSubnet(net, prefix, 'ipv6');
  return list;
}

const BLOCKED = blockedRanges();

/** `::ffff:10.0.0.1` and friends are IPv4 addresses in disguise. */
function embeddedIpv4(address: string): string | undefined {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1];
}

function ownAddresses(): Set<string> {
  const own = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) for (const entry of entries ?? []) own.add(entry.address.toLowerCase());
  return own;
}

/** Why this address may not be a webhook target, or undefined if it may. */
export function refusalFor(address: string): string | undefined {
  const v4 = embeddedIpv4(address);
  if (v4) return refusalFor(v4);
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6')) return 'the host resolves to an internal or non-public address';
  if (ownAddresses().has(address.toLowerCase())) return "the host resolves to one of the server's own addresses";
  return undefined;
}

export class SsrfGuard {
  private readonly allowed: Set<string>;

  constructor(
    allowedHosts: readonly string[],
    private readonly resolve: Resolver = systemResolver,
  ) {
    this.allowed = new Set(allowedHosts.map((host) => host.toLowerCase()));
  }

  /** Parses and checks the URL's form (scheme, no credentials); no DNS. */
  parse(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookUrlRefused('not an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookUrlRefused('only http and https URLs are allowed');
    if (url.username || url.password) throw new WebhookUrlRefused('credentials in the URL are not allowed');
    return url;
  }

  /**
   * Resolves the URL's host and returns the address to connect to, or throws WebhookUrlRefused.
   * Every resolved address must be acceptable: an attacker may mix a public and an internal one.
   */
  async check(raw: string): Promise<{ url: URL; address: ResolvedAddress }> {
    const url = this.parse(raw);
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const allowed = this.allowed.has(hostname);
    let addresses: ResolvedAddress[];
    const literal = isIP(hostname);
    if (literal) {
      addresses = [{ address: hostname, family: literal as 4 | 6 }];
    } else {
      try {
        addresses = await this.resolve(hostname);
      } catch {
        throw new WebhookUrlRefused('the host name does not resolve');
      }
      if (addresses.length === 0) throw new WebhookUrlRefused('the host name does not resolve');
    }
    if (!allowed) {
      for (const { address } of addresses) {
        const reason = refusalFor(address);
        if (reason) throw new WebhookUrlRefused(reason);
      }
    }
    return { url, address: addresses[0] };
  }
}
