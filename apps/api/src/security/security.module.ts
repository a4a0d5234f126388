import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { AUTHENTICATION_FAILURES } from '@app/platform';
import { APP_CONFIG, type AppConfig } from '@app/platform/config/app-config';
import { AuthenticationFailureThrottle } from './authentication-failure-throttle';
import { COMMAND_METHODS, CommandThrottlerGuard } from './command-throttler.guard';

/**
 * The commands limit: a sliding window per caller (blockDuration 0: a refused command does not
 * count, and Retry-After says when the oldest counted one leaves the window). Headers of its own
 * (X-RateLimit-*-commands) are off: a 429 carries the standard Retry-After.
 */
export function commandThrottlerOptions({ throttle }: Pick<AppConfig, 'throttle'>): ThrottlerModuleOptions {
  return {
    setHeaders: false,
    throttlers: [
      {
        name: 'commands',
        limit: throttle.commandsLimit,
        ttl: throttle.commandsWindowMs,
        blockDuration: 0,
        skipIf: (context) => throttle.commandsLimit === 0 || context.getType() !== 'http' || !COMMAND_METHODS.has(context.switchToHttp().getRequest<{ method: string }>().method),
      },
    ],
  };
}

/**
 * Throttling (limits from AppConfig.throttle, THROTTLE_* variables):
 * - commands (POST/PUT/PATCH/DELETE) per caller — the token's subject, else the client address;
 * - failed authentications per client address, through the AuthGuard's AUTHENTICATION_FAILURES port.
 * Both answer 429 problem+json with Retry-After. Import once, in the API's root module, AFTER
 * AuthModule (the commands guard needs the actor the AuthGuard sets). Global so that the AuthGuard,
 * in AuthModule, finds AUTHENTICATION_FAILURES.
 */
@Global()
@Module({
  imports: [ThrottlerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: commandThrottlerOptions })],
  providers: [
    { provide: APP_GUARD, useClass: CommandThrottlerGuard },
    { provide: AUTHENTICATION_FAILURES, useClass: AuthenticationFailureThrottle },
  ],
  exports: [AUTHENTICATION_FAILURES],
})
export class SecurityModule {}
