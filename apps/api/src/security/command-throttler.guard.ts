import { type ExecutionContext, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { type AuthenticatedRequest, IS_PUBLIC_KEY } from '@app/platform';
import { clientAddress } from './client-address';
import { tooManyRequests } from './too-many-requests';

/** The methods that change something: what the commands limit counts. Reads are never throttled. */
export const COMMAND_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Limits commands per caller: the verified token's subject, else (a public route) the client
 * address. One budget per caller across every command route. It must run after the AuthGuard, which
 * sets the actor: SecurityModule is imported after AuthModule, and a command reaching this guard on
 * a protected route without an actor fails loudly rather than being counted under the address.
 */
@Injectable()
export class CommandThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>, context?: ExecutionContext): Promise<string> {
    const actor = (request as unknown as AuthenticatedRequest).actor;
    if (actor) return `subject:${actor.id}`;
    const isPublic = context && this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (!isPublic) {
      throw new Error('CommandThrottlerGuard ran before the AuthGuard: import SecurityModule after AuthModule, so commands are limited per token subject');
    }
    return `address:${clientAddress(request as unknown as IncomingMessage)}`;
  }

  /** One budget per caller for all command routes (the default key is per route). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw tooManyRequests(detail.timeToBlockExpire, `Too many commands from this caller: at most ${detail.limit} every ${detail.ttl / 1000} s`);
  }
}
