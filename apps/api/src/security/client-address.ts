import type { IncomingMessage } from 'node:http';
import { DEFAULT_IPV6_SUBNET_PREFIX, normalizeIp } from '@nestjs/throttler';

/**
 * The caller's address as limits see it: Express's `req.ip` (which believes X-Forwarded-For only
 * from the proxies TRUST_PROXY names), an IPv6 address widened to its /64 — one host usually holds a
 * whole /64, so counting single addresses would let it rotate out of any limit.
 */
export function clientAddress(request: IncomingMessage): string {
  const ip = (request as IncomingMessage & { ip?: string }).ip ?? request.socket.remoteAddress ?? 'unknown';
  return normalizeIp(ip, DEFAULT_IPV6_SUBNET_PREFIX);
}
