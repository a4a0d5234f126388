import {
  ForbiddenException,
  Inject,
  Injectable,
  Optional,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IS_PUBLIC_KEY, ROLES_KEY, type AuthenticatedRequest } from './auth.decorators';
import { AUTHENTICATION_FAILURES, type AuthenticationFailures } from './authentication-failures';
import type { Role } from './roles';
import { InvalidTokenError, TokenVerifier } from './token-verifier';

const REALM = 'grant-ledger';
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Global guard: every route needs a valid bearer token unless marked @Public();
 * @Roles(...) narrows who may call it. Auditors read only, so they are refused on any
 * route that does not list them explicitly.
 * Failed authentications are reported to AUTHENTICATION_FAILURES when a module provides it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Optional() @Inject(AUTHENTICATION_FAILURES) private readonly failures?: AuthenticationFailures,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest & IncomingMessage>();
    const response = http.getResponse<ServerResponse>();
    await this.failures?.assertNotBlocked(request);

    const token = bearerToken(request.headers.authorization);
    if (!token) {
      await this.failures?.recordFailure(request);
      response.setHeader('WWW-Authenticate', `Bearer realm="${REALM}"`);
      throw new UnauthorizedException('A bearer token is required');
    }
    try {
      request.actor = await this.verifier.verify(token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      await this.failures?.recordFailure(request);
      response.setHeader(
        'WWW-Authenticate',
        `Bearer realm="${REALM}", error="invalid_token", error_description="${error.message}"`,
      );
      throw new UnauthorizedException(error.message);
    }

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    const role = request.actor.role;
    // Without an explicit list: auditors write nothing, and partner systems reach only the routes made for them.
    if (allowed ? !allowed.includes(role) : role === 'auditor' || role === 'partner') {
      throw new ForbiddenException(`The role ${role} may not use this route`);
    }
    return true;
  }
}

function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header)?.[1];
}
