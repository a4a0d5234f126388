import {
  ForbiddenException,
  Inject,
  Injectable,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { decodeJwt } from 'jose';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IS_PUBLIC_KEY, ROLES_KEY, type AuthenticatedRequest } from './auth.decorators';
import { AUTHENTICATION_FAILURES, type AuthenticationFailures } from './authentication-failures';
import type { Actor, Role } from './roles';
import { InvalidTokenError, KeySetUnavailableError, TokenVerifier } from './token-verifier';

const REALM = 'grant-ledger';
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Global guard: every route needs a valid bearer token unless marked @Public();
 * @Roles(...) narrows who may call it. Auditors read only, so they are refused on any
 * route that does not list them explicitly.
 * Failed authentications are reported to AUTHENTICATION_FAILURES when a module provides it.
 *
 * A token that verified is remembered (VerifiedTokens) until it expires, at most a minute: a client
 * sends the same token with every request, and checking its signature again cost about a tenth of
 * a read's CPU (WebCrypto HMAC on the thread pool, measured at ~150 µs a token).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly verified = new VerifiedTokens();

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
    @Optional() @Inject(AUTHENTICATION_FAILURES) private readonly failures?: AuthenticationFailures,
  ) {}

  /**
   * Synchronous when the token was verified before (every request of a client but its first): a
   * guard's promise and awaits cost every request (issue 11). The route's @Public() and @Roles() are
   * read once per handler.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const rules = this.rulesOf(context);
    if (rules.isPublic) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest & IncomingMessage>();
    const response = http.getResponse<ServerResponse>();
    this.failures?.assertNotBlocked(request);

    const token = bearerToken(request.headers.authorization);
    if (!token) return this.refuse(request, response, `Bearer realm="${REALM}"`, 'A bearer token is required');
    const actor = this.verified.get(token);
    if (actor) return this.admit(request, actor, rules.allowed);
    return this.verifier.verify(token).then(
      (verified) => this.admit(request, this.verified.remember(token, verified), rules.allowed),
      (error: unknown) => {
        // No key set, no verdict on the token: 503 with Retry-After, not counted as a failed sign-in.
        if (error instanceof KeySetUnavailableError) throw new ServiceUnavailableException('The identity provider\'s key set is unavailable', { cause: error });
        if (!(error instanceof InvalidTokenError)) throw error;
        return this.refuse(request, response, `Bearer realm="${REALM}", error="invalid_token", error_description="${error.message}"`, error.message);
      },
    );
  }

  private admit(request: AuthenticatedRequest, actor: Actor, allowed: Role[] | undefined): boolean {
    request.actor = actor;
    const role = actor.role;
    // Without an explicit list: auditors write nothing, and partner systems reach only the routes made for them.
    if (allowed ? !allowed.includes(role) : role === 'auditor' || role === 'partner') {
      throw new ForbiddenException(`The role ${role} may not use this route`);
    }
    return true;
  }

  private async refuse(request: IncomingMessage, response: ServerResponse, challenge: string, message: string): Promise<never> {
    await this.failures?.recordFailure(request);
    response.setHeader('WWW-Authenticate', challenge);
    throw new UnauthorizedException(message);
  }

  /** Per controller class, per handler (a method may be inherited by classes with other rules). */
  private readonly rulesByClass = new WeakMap<object, WeakMap<object, RouteRules>>();

  private rulesOf(context: ExecutionContext): RouteRules {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.rulesByClass.get(controller);
    if (!byHandler) this.rulesByClass.set(controller, (byHandler = new WeakMap()));
    let rules = byHandler.get(handler);
    if (!rules) {
      const targets = [handler, controller];
      rules = {
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true,
        allowed: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets),
      };
      byHandler.set(handler, rules);
    }
    return rules;
  }
}

interface RouteRules {
  isPublic: boolean;
  allowed: Role[] | undefined;
}

/**
 * Tokens that verified, with their actors. Only a success is remembered, and only while it would
 * verify again: every time-dependent check but `exp` can only get easier as time passes (`nbf`,
 * `iat` in the future, the lifetime left), so an entry is dropped at `exp` (refused from then on,
 * as jose refuses `exp <= now`) and after MAX_AGE_MS whatever `exp` says, so that a key withdrawn
 * from a JWKS stops being honoured within a minute. Bounded: the oldest entry goes first.
 * Each request gets its own copy of the actor.
 */
class VerifiedTokens {
  static readonly MAX_ENTRIES = 10_000;
  static readonly MAX_AGE_MS = 60_000;
  private readonly entries = new Map<string, { actor: Actor; expiresAtMs: number }>();

  get(token: string): Actor | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (Date.now() >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return { ...entry.actor };
  }

  remember(token: string, actor: Actor): Actor {
    const { exp } = decodeJwt(token); // verified just now: exp is present and a number
    const expiresAtMs = Math.min(Number(exp) * 1000, Date.now() + VerifiedTokens.MAX_AGE_MS);
    if (this.entries.size >= VerifiedTokens.MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { actor: { ...actor }, expiresAtMs });
    return actor;
  }
}

function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header)?.[1];
}
