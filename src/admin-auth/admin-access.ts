import { Reflector } from '@nestjs/core';
import type { AdminRole } from '../admin-users/admin-user.entity.js';

/** Who may call a console route: anyone (sign-in), a pending login (second factor), or a role. */
export type AdminAccess =
  { kind: 'public' } | { kind: 'pending' } | { kind: 'session'; role: AdminRole; stepUp: boolean };

export const ADMIN_ACCESS = Reflector.createDecorator<AdminAccess>();
export const AUTH_THROTTLED = 'admin:authThrottled';

export const ROLE_RANK: Record<AdminRole, number> = { viewer: 0, admin: 1, super_admin: 2 };

export function hasRole(role: AdminRole, required: AdminRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[required];
}
