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
    // NAT64: the well-known prefix 64:ff9b::/96 is judged by the IPv4 address it carries (see
    // refusalFor); the rest — local-use 64:ff9b:1::/48 (RFC 8215), which translates into the
    // operator's own IPv4 network with a layout of its choosing, and the unassigned remainder — is refused.
    ['64:ff9b::', 32],
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

/** The 16 bytes of an IPv6 address already validated by isIP (hex groups, `::`, a dotted IPv4 tail). */
function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number);
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    const value = parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

const allZero = (bytes: Uint8Array, from: number, to: number): boolean => bytes.subarray(from, to).every((byte) => byte === 0);
const dotted = (bytes: ArrayLike<number>): string => Array.from(bytes).join('.');
const isNat64WellKnown = (bytes: Uint8Array): boolean => bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && allZero(bytes, 4, 12);

/**
 * The IPv4 addresses an IPv6 address carries or is translated to — `::ffff:10.0.0.1` and friends are
 * IPv4 addresses in disguise, in hex (`::ffff:a00:1`) as in dotted form:
 * - IPv4-mapped `::ffff:0:0/96` and IPv4-translated `::ffff:0:0:0/96` (SIIT);
 * - IPv4-compatible `::/96` (deprecated; `::` and `::1` included, caught as 0.0.0.0/8 anyway);
 * - NAT64 well-known prefix `64:ff9b::/96` (RFC 6052): the last 32 bits;
 * - 6to4 `2002::/16`: bits 16–47;
 * - Teredo `2001::/32`: the server is bits 32–63, the client the last 32 bits XOR 0xffffffff;
 * - ISATAP interface ids `…:0:5efe:a.b.c.d` and `…:200:5efe:a.b.c.d` (any prefix).
 */
function embeddedIpv4s(bytes: Uint8Array): string[] {
  const last32 = bytes.subarray(12, 16);
  const carried: string[] = [];
  if (allZero(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) carried.push(dotted(last32));
  if (allZero(bytes, 0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && allZero(bytes, 10, 12)) carried.push(dotted(last32));
  if (allZero(bytes, 0, 12)) carried.push(dotted(last32));
  if (isNat64WellKnown(bytes)) carried.push(dotted(last32));
  if (bytes[0] === 0x20 && bytes[1] === 0x02) carried.push(dotted(bytes.subarray(2, 6)));
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] === 0x00 && bytes[3] === 0x00) {
    carried.push(dotted(bytes.subarray(4, 8)), dotted(last32.map((byte) => byte ^ 0xff)));
  }
  if ((bytes[8] & 0xfd) === 0x00 && bytes[9] === 0x00 && bytes[10] === 0x5e && bytes[11] === 0xfe) carried.push(dotted(last32));
  return carried;
}

function ownAddresses(): Set<string> {
  const own = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) for (const entry of entries ?? []) own.add(entry.address.toLowerCase());
  return own;
}

/** Why this address may not be a webhook target, or undefined if it may. */
export function refusalFor(address: string): string | undefined {
  // A zone index (`fe80::1%eth0`) names an interface, not another address.
  const bare = address.replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  let translatedToPublicIpv4 = false;
  if (family === 6) {
    const bytes = ipv6Bytes(bare);
    for (const ipv4 of embeddedIpv4s(bytes)) {
      const refusal = refusalFor(ipv4);
      if (refusal) return refusal;
    }
    translatedToPublicIpv4 = isNat64WellKnown(bytes);
  }
  if (!translatedToPublicIpv4 && BLOCKED.check(bare, family === 4 ? 'ipv4' : 'ipv6')) return 'the host resolves to an internal or non-public address';
  if (ownAddresses().has(bare.toLowerCase())) return "the host resolves to one of the server's own addresses";
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
