// What each operator role may do (ADMIN_CONSOLE.md §2). The server enforces this matrix; the console
// uses it only to hide buttons a role cannot use.
import type { AdminRole } from '../../../src/admin-console/contract.js';

export type { AdminRole };

const RANK: Record<AdminRole, number> = { viewer: 0, admin: 1, super_admin: 2 };

export type Capability =
  'keys:write' | 'accounts:write' | 'analytics:export' | 'accounts:close' | 'keys:never_expire' | 'admin_users:manage';

const NEEDS: Record<Capability, AdminRole> = {
  'keys:write': 'admin',
  'accounts:write': 'admin',
  'analytics:export': 'admin',
  'accounts:close': 'super_admin',
  'keys:never_expire': 'super_admin',
  'admin_users:manage': 'super_admin',
};

export function can(role: AdminRole | undefined, capability: Capability): boolean {
  return role !== undefined && RANK[role] >= RANK[NEEDS[capability]];
}
