import { AdminUsersService } from '../../src/admin-users/admin-users.service.js';
import type { AdminRole } from '../../src/admin-users/admin-user.entity.js';
import type { TestApp } from './test-app.js';

export const OPERATOR_PASSWORD = 'a long operator passphrase';

/** A fresh operator as `create-admin` makes them: password set, MFA not yet enrolled. */
export async function newOperator(t: TestApp, role: AdminRole = 'admin'): Promise<{ id: string; email: string }> {
  const email = `op-${role}-${crypto.randomUUID()}@example.com`;
  const user = await t.app
    .get(AdminUsersService)
    .createAdmin({ email, password: OPERATOR_PASSWORD, fullName: `Op ${role}`, role });
  return { id: user.id, email };
}
