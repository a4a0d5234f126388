import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Actor, Role } from './roles';

export const IS_PUBLIC_KEY = 'grant-ledger:auth:public';
export const ROLES_KEY = 'grant-ledger:auth:roles';

/** The route (or every route of the controller) needs no bearer token, e.g. /health. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * Only these roles may call the route. A handler's list replaces its controller's.
 * Without any list every authenticated role except auditor may call it.
 */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);

/** The request as the AuthGuard leaves it. */
export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  actor?: Actor;
}

/** Injects the verified Actor into a handler parameter. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  // Only reachable on a @Public() route, where asking for the actor is a programming error.
  if (!actor) throw new Error('@CurrentActor() used on a route without an authenticated actor');
  return actor;
});
