import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { QueryFailedError } from 'typeorm';
import type { AdminRole } from '../admin-users/admin-user.entity.js';
import { AdminUserExistsError, AdminUserNotFoundError } from '../admin-users/admin-users.errors.js';
import type { AuditActor } from '../audit/audit-actor.js';
import { AuditRepository } from '../audit/audit.repository.js';
import type { CursorPosition } from '../common/pagination/cursor.js';
import { Clock } from '../common/time/clock.js';
import { Env } from '../config/env.js';
import { LastSuperAdminError } from './admin-auth.errors.js';
import { AdminSessionsRepository } from './admin-sessions.repository.js';
import { OperatorsRepository, type OperatorRow } from './operators.repository.js';
import { hashToken, newOpaqueToken } from './session-tokens.js';

const SETUP_LINK_MS = 24 * 3_600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OperatorView extends OperatorRow {
  active_sessions: number;
}

export interface Invitation {
  user: OperatorView;
  setupToken: string;
  expiresAt: Date;
}

/** A snapshot for audit rows: what an operator change can change, never a secret. */
const snapshot = (u: OperatorRow): Record<string, unknown> => ({
  email: u.email,
  full_name: u.full_name,
  role: u.role,
  is_active: u.is_active,
  mfa_enabled: u.mfa_enabled,
  locked_until: u.locked_until ? new Date(u.locked_until).toISOString() : null,
});

/**
 * Managing operators (super_admin in the console, or the CLI): invite, change role, deactivate,
 * reset MFA, unlock. Role changes, deactivation and MFA resets end the operator's sessions in the
 * same transaction; the last active super_admin can be neither demoted nor deactivated.
 */
@Injectable()
export class OperatorsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly operators: OperatorsRepository,
    private readonly sessions: AdminSessionsRepository,
    private readonly audit: AuditRepository,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {}

  async list(after: CursorPosition | null, limit: number): Promise<Array<OperatorView & { position: string }>> {
    const [rows, counts] = await Promise.all([
      this.operators.list(after, limit),
      this.sessions.countLive(this.clock.now(), this.env.ADMIN_SESSION_IDLE_TIMEOUT_SECONDS),
    ]);
    return rows.map((r) => ({ ...r, active_sessions: counts.get(r.id) ?? 0 }));
  }

  async get(ref: string): Promise<OperatorView> {
    const user = await this.find(ref);
    return this.withSessions(user);
  }

  async invite(actor: AuditActor, input: { email: string; fullName: string; role: AdminRole }): Promise<Invitation> {
    const setupToken = newOpaqueToken();
    const expiresAt = new Date(this.clock.now().getTime() + SETUP_LINK_MS);
    const email = input.email.trim();
    if (await this.operators.findByEmail(email)) throw new AdminUserExistsError(email);
    try {
      const user = await this.db.transaction(async (manager) => {
        const created = await this.operators.insertInvited(
          {
            email,
            fullName: input.fullName,
            role: input.role,
            setupTokenHash: hashToken(setupToken),
            setupExpiresAt: expiresAt,
          },
          manager,
        );
        await this.audit.record(
          actor,
          {
            action: 'admin.invite',
            resourceType: 'admin_user',
            resourceId: created.id,
            after: { ...snapshot(created), setup_expires_at: expiresAt.toISOString() },
          },
          manager,
        );
        return created;
      });
      return { user: { ...user, active_sessions: 0 }, setupToken, expiresAt };
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505') {
        throw new AdminUserExistsError(email);
      }
      throw error;
    }
  }

  /** Role / active / name. A role change or deactivation ends every session of the operator. */
  async update(
    actor: AuditActor,
    ref: string,
    changes: { role?: AdminRole; isActive?: boolean; fullName?: string },
  ): Promise<OperatorView> {
    const target = await this.find(ref);
    const updated = await this.db.transaction(async (manager) => {
      const superAdmins = await this.operators.lockActiveSuperAdmins(manager);
      const before = await this.operators.findForUpdate(target.id, manager);
      if (!before) throw new AdminUserNotFoundError(ref);
      const losesSuperAdmin =
        before.role === 'super_admin' &&
        before.is_active &&
        ((changes.role !== undefined && changes.role !== 'super_admin') || changes.isActive === false);
      if (losesSuperAdmin && superAdmins.length <= 1) throw new LastSuperAdminError();
      const after = await this.operators.update(target.id, changes, manager);
      const endsSessions = after.role !== before.role || (before.is_active && !after.is_active);
      const revoked = endsSessions
        ? await this.sessions.revokeAll(
            target.id,
            after.is_active ? 'role_changed' : 'deactivated',
            this.clock.now(),
            manager,
          )
        : 0;
      await this.audit.record(
        actor,
        {
          action: 'admin.update',
          resourceType: 'admin_user',
          resourceId: target.id,
          before: snapshot(before),
          after: { ...snapshot(after), sessions_revoked: revoked },
        },
        manager,
      );
      return after;
    });
    return this.withSessions(updated);
  }

  /** The operator enrols again at next sign-in; sessions and recovery codes end now. */
  async resetMfa(actor: AuditActor, ref: string): Promise<OperatorView> {
    return this.change(actor, ref, 'admin.reset_mfa', async (user, manager) => {
      await this.operators.resetMfa(user.id, manager);
      return this.sessions.revokeAll(user.id, 'mfa_reset', this.clock.now(), manager);
    });
  }

  async unlock(actor: AuditActor, ref: string): Promise<OperatorView> {
    return this.change(actor, ref, 'admin.unlock', async (user, manager) => {
      await this.operators.unlock(user.id, manager);
      return 0;
    });
  }

  private async change(
    actor: AuditActor,
    ref: string,
    action: string,
    work: (user: OperatorRow, manager: EntityManager) => Promise<number>,
  ): Promise<OperatorView> {
    const target = await this.find(ref);
    const after = await this.db.transaction(async (manager) => {
      const before = await this.operators.findForUpdate(target.id, manager);
      if (!before) throw new AdminUserNotFoundError(ref);
      const revoked = await work(before, manager);
      const changed = (await this.operators.findById(target.id, manager))!;
      await this.audit.record(
        actor,
        {
          action,
          resourceType: 'admin_user',
          resourceId: target.id,
          before: snapshot(before),
          after: { ...snapshot(changed), sessions_revoked: revoked },
        },
        manager,
      );
      return changed;
    });
    return this.withSessions(after);
  }

  private async find(ref: string): Promise<OperatorRow> {
    const user = UUID.test(ref) ? await this.operators.findById(ref) : await this.operators.findByEmail(ref);
    if (!user) throw new AdminUserNotFoundError(ref);
    return user;
  }

  private async withSessions(user: OperatorRow): Promise<OperatorView> {
    const counts = await this.sessions.countLive(this.clock.now(), this.env.ADMIN_SESSION_IDLE_TIMEOUT_SECONDS);
    return { ...user, active_sessions: counts.get(user.id) ?? 0 };
  }

  /** Operators locked out right now. */
  lockedOperators(): Promise<Array<{ id: string; email: string; locked_until: Date }>> {
    return this.operators.lockedOperators(this.clock.now());
  }
}
