import type { AuditActor } from '../audit/audit-actor.js';
import type { SessionWithUser } from './admin-sessions.repository.js';

/** Where a console request came from: written into audit rows and sessions. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

/** The authenticated operator of a console request (set by the guard). */
export interface AdminContext {
  session: SessionWithUser;
  /** The cookie's token: the CSRF token derives from it. Never logged, never stored. */
  token: string;
  origin: RequestOrigin;
}

export function operatorActor(user: { id: string | null; email: string }, origin: RequestOrigin): AuditActor {
  return {
    type: 'admin_user',
    id: user.id,
    label: user.email,
    requestId: origin.requestId,
    ip: origin.ip,
    userAgent: origin.userAgent,
  };
}

/** The audit actor of an authenticated console request. */
export function actorOf(ctx: AdminContext): AuditActor {
  return operatorActor({ id: ctx.session.admin_user_id, email: ctx.session.email }, ctx.origin);
}
