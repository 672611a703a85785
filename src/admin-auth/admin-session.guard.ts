import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { RouteNotPermittedError } from '../auth/auth.errors.js';
import { requestIdOf } from '../common/request-id/request-id.js';
import { Env } from '../config/env.js';
import { ADMIN_ACCESS, AUTH_THROTTLED, hasRole } from './admin-access.js';
import {
  AdminForbiddenError,
  AdminUnauthenticatedError,
  ConsoleDisabledError,
  CsrfFailedError,
  ReauthRequiredError,
} from './admin-auth.errors.js';
import { AdminAuthService } from './admin-auth.service.js';
import type { AdminContext, RequestOrigin } from './admin-auth.types.js';
import { AuthThrottle } from './auth-throttle.js';
import { csrfTokenFor, PENDING_COOKIE, safeEqual, SESSION_COOKIE } from './session-tokens.js';

type AdminRequest = Request & { adminContext?: AdminContext; cookies?: Record<string, unknown> };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function requestOrigin(req: Request): RequestOrigin {
  const agent = req.headers['user-agent'];
  return { ip: req.ip ?? null, userAgent: typeof agent === 'string' ? agent : null, requestId: requestIdOf(req) };
}

/**
 * Every console route: refuses API keys, checks Origin / Sec-Fetch-Site on non-GETs, throttles the
 * sign-in routes per IP, authenticates the session cookie against PostgreSQL (so a revocation is
 * seen at once on every replica), then CSRF token, role and step-up. Refusals by CSRF, role or
 * step-up are audited.
 */
@Injectable()
export class AdminSessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AdminAuthService,
    private readonly throttle: AuthThrottle,
    private readonly env: Env,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.env.ADMIN_CONSOLE_ENABLED) throw new ConsoleDisabledError();
    const targets = [context.getHandler(), context.getClass()];
    const access = this.reflector.getAllAndOverride(ADMIN_ACCESS, targets);
    if (!access) throw new RouteNotPermittedError();
    const req = context.switchToHttp().getRequest<AdminRequest>();
    const origin = requestOrigin(req);

    if (req.headers['x-api-key'] !== undefined) {
      throw new AdminUnauthenticatedError('API keys are not accepted on the admin API: sign in to the console');
    }
    const unsafe = !SAFE_METHODS.has(req.method);
    const crossSite = unsafe ? this.crossSiteReason(req) : null;
    const refuseCrossSite = async (ctx: AdminContext | null): Promise<never> => {
      await this.auth.auditDenied(ctx, origin, 'access.csrf_failed', {
        path: req.path,
        method: req.method,
        cause: crossSite,
      });
      throw new CsrfFailedError(`Cross-site request refused (${crossSite})`);
    };
    // Sign-in routes have no session to name in the audit row: refused before anything else.
    if (crossSite && access.kind !== 'session') await refuseCrossSite(null);
    if (this.reflector.getAllAndOverride<boolean>(AUTH_THROTTLED, targets))
      await this.throttle.consume(origin.ip ?? '');
    if (access.kind === 'public') return true;

    const cookieName = access.kind === 'pending' ? PENDING_COOKIE : SESSION_COOKIE;
    const token: unknown = req.cookies?.[cookieName];
    const session =
      typeof token === 'string' && token.length > 0 && token.length <= 128
        ? await this.auth.authenticate(token, access.kind === 'pending' ? 'pending' : 'full')
        : null;
    if (!session) {
      throw new AdminUnauthenticatedError(
        access.kind === 'pending' ? 'No sign-in in progress, or it expired: start again' : undefined,
      );
    }
    const ctx: AdminContext = { session, token: token as string, origin };
    req.adminContext = ctx;
    if (access.kind === 'pending') return true;

    // Refused only now, so the audit row names the operator whose session a foreign site tried to use.
    if (crossSite) await refuseCrossSite(ctx);
    const denied = (action: string, detail: Record<string, unknown>) =>
      this.auth.auditDenied(ctx, origin, action, { path: req.path, method: req.method, ...detail });
    if (unsafe) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !safeEqual(sent, csrfTokenFor(ctx.token))) {
        await denied('access.csrf_failed', { cause: 'csrf_token' });
        throw new CsrfFailedError('Missing or invalid X-CSRF-Token header (take it from GET /admin/api/auth/me)');
      }
    }
    if (!hasRole(session.role, access.role)) {
      await denied('access.forbidden', { required_role: access.role, role: session.role });
      throw new AdminForbiddenError(access.role);
    }
    if (access.stepUp && !this.auth.stepUpUntil(session)) {
      await denied('access.reauth_required', {});
      throw new ReauthRequiredError();
    }
    return true;
  }

  /** Why a non-GET looks cross-site, or null. Absent headers (curl, scripts) are not cross-site. */
  private crossSiteReason(req: Request): string | null {
    const site = req.headers['sec-fetch-site'];
    if (typeof site === 'string' && site !== 'same-origin') return `Sec-Fetch-Site: ${site}`;
    const originHeader = req.headers.origin;
    if (typeof originHeader !== 'string') return null;
    const allowed = this.env.ADMIN_CONSOLE_ORIGIN;
    if (allowed) return originHeader === allowed.replace(/\/$/, '') ? null : `Origin: ${originHeader.slice(0, 200)}`;
    // No configured origin: the Origin's host must be the host the request was sent to.
    let host: string;
    try {
      host = new URL(originHeader).host;
    } catch {
      return `Origin: ${originHeader.slice(0, 200)}`;
    }
    return host === req.headers.host ? null : `Origin: ${originHeader.slice(0, 200)}`;
  }
}
