import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import argon2 from 'argon2';
import { type DataSource, QueryFailedError } from 'typeorm';
import { CLI_ACTOR, type AuditActor } from '../audit/audit-actor.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { AdminUserExistsError, AdminUserNotFoundError } from './admin-users.errors.js';
import type { AdminRole, AdminUser } from './admin-user.entity.js';
import { AdminUsersRepository } from './admin-users.repository.js';

export interface CreateAdminInput {
  email: string;
  password: string;
  fullName: string;
  role?: AdminRole;
  /** Who is acting, for the audit trail (default: the CLI, where `create-admin` runs). */
  actor?: AuditActor;
}

export interface AdminUserView {
  id: string;
  email: string;
  fullName: string;
  role: AdminRole;
  isActive: boolean;
  createdAt: Date;
}

const toView = (u: AdminUser): AdminUserView => ({
  id: u.id,
  email: u.email,
  fullName: u.fullName,
  role: u.role,
  isActive: u.isActive,
  createdAt: u.createdAt,
});

@Injectable()
export class AdminUsersService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: AdminUsersRepository,
    private readonly audit: AuditRepository,
  ) {}

  /** A new operator (MFA enrolled at first sign-in), audited in the same transaction; never the password. */
  async createAdmin(input: CreateAdminInput): Promise<AdminUserView> {
    const email = input.email.trim();
    if (await this.users.findByEmail(email)) throw new AdminUserExistsError(email);
    const passwordHash = await argon2.hash(input.password, { type: argon2.argon2id });
    try {
      const user = await this.db.transaction(async (manager) => {
        const created = await this.users.insert(
          {
            email,
            passwordHash,
            fullName: input.fullName,
            role: input.role ?? 'admin',
            isActive: true,
            mfaEnabled: false,
          },
          manager,
        );
        await this.audit.record(
          input.actor ?? CLI_ACTOR,
          {
            action: 'admin.create',
            resourceType: 'admin_user',
            resourceId: created.id,
            after: {
              email: created.email,
              full_name: created.fullName,
              role: created.role,
              is_active: created.isActive,
              mfa_enabled: created.mfaEnabled,
            },
          },
          manager,
        );
        return created;
      });
      return toView(user);
    } catch (error) {
      // Two creations racing on one email: the unique index decides.
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
        throw new AdminUserExistsError(email);
      }
      throw error;
    }
  }

  /** Resolves an admin by id or email; throws when unknown. */
  async getByRef(ref: string): Promise<AdminUserView> {
    const user = await this.users.findByRef(ref);
    if (!user) throw new AdminUserNotFoundError(ref);
    return toView(user);
  }
}
