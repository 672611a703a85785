import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { Public } from '../auth/decorators.js';
import type { AdminRole } from '../admin-users/admin-user.entity.js';
import { ADMIN_ACCESS, AUTH_THROTTLED, type AdminAccess } from './admin-access.js';
import type { AdminContext } from './admin-auth.types.js';
import { AdminSessionGuard } from './admin-session.guard.js';

/**
 * A console route. API keys never reach it (the API-key guard steps aside and the session guard
 * refuses an `X-API-Key`); the session guard authenticates the cookie, checks CSRF and Origin on
 * non-GETs, the role, and step-up.
 */
function adminRoute(access: AdminAccess): MethodDecorator & ClassDecorator {
  return applyDecorators(Public(), ADMIN_ACCESS(access), UseGuards(AdminSessionGuard));
}

/** Needs a session of at least `role`; `stepUp`: and a TOTP code within the step-up window. */
export const AdminRoleRequired = (
  role: AdminRole,
  options: { stepUp?: boolean } = {},
): MethodDecorator & ClassDecorator => adminRoute({ kind: 'session', role, stepUp: options.stepUp ?? false });

/** Between password and second factor (the pending-login cookie). */
export const AdminPendingLogin = (): MethodDecorator & ClassDecorator => adminRoute({ kind: 'pending' });

/** No session needed (sign-in, setup link). */
export const AdminPublic = (): MethodDecorator & ClassDecorator => adminRoute({ kind: 'public' });

/** Counts against the per-IP throttle of the sign-in routes. */
export const AuthThrottled = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_THROTTLED, true);

/** The authenticated operator (routes with a session or a pending login). */
export const CurrentAdmin = createParamDecorator((_: unknown, ctx: ExecutionContext): AdminContext => {
  return ctx.switchToHttp().getRequest<Request & { adminContext: AdminContext }>().adminContext;
});
