import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { AuthenticationFailures } from '@app/platform';
import { APP_CONFIG, type AppConfig, type ThrottleConfig } from '@app/platform/config/app-config';
import { clientAddress } from './client-address';
import { tooManyRequests } from './too-many-requests';

const THROTTLER_NAME = 'auth-failures';
/** Past this many blocked addresses, expired blocks are swept on the next new block. */
const SWEEP_ABOVE = 10_000;

/**
 * Failed authentications per client address (missing, malformed, forged, expired tokens): past
 * `authFailuresLimit` within `authFailuresWindowMs`, the address is blocked for
 * `authFailuresBlockMs` and every protected route answers it 429 with Retry-After, a valid token
 * included — a token-guessing run learns nothing more. Public routes (/health, /docs) stay open.
 * The failures are counted in @nestjs/throttler's storage; the blocks are remembered here so that
 * checking one counts nothing.
 */
@Injectable()
export class AuthenticationFailureThrottle implements AuthenticationFailures {
  private readonly limits: ThrottleConfig;
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
  ) {
    this.limits = config.throttle;
  }

  assertNotBlocked(request: IncomingMessage): void {
    if (this.limits.authFailuresLimit === 0 || this.blockedUntil.size === 0) return;
    const address = clientAddress(request);
    const until = this.blockedUntil.get(address);
    if (until === undefined) return;
    const left = until - Date.now();
    if (left <= 0) {
      this.blockedUntil.delete(address);
      return;
    }
    throw this.refusal(left);
  }

  async recordFailure(request: IncomingMessage): Promise<void> {
    if (this.limits.authFailuresLimit === 0) return;
    const address = clientAddress(request);
    const { authFailuresLimit, authFailuresWindowMs, authFailuresBlockMs } = this.limits;
    const record = await this.storage.increment(`${THROTTLER_NAME}:${address}`, authFailuresWindowMs, authFailuresLimit, authFailuresBlockMs, THROTTLER_NAME);
    if (!record.isBlocked) return;
    if (this.blockedUntil.size > SWEEP_ABOVE) this.sweep();
    const left = record.timeToBlockExpire * 1000;
    this.blockedUntil.set(address, Date.now() + left);
    throw this.refusal(left);
  }

  private refusal(leftMs: number) {
    return tooManyRequests(leftMs / 1000, 'Too many failed authentications from this address; try again later');
  }

  private sweep(): void {
    const now = Date.now();
    for (const [address, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(address);
  }
}
