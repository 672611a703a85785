import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AdminRole } from '../admin-users/admin-user.entity.js';
import {
  ACCEPT_MFA_STEP_SQL,
  CONSUME_RECOVERY_CODE_SQL,
  CONSUME_SETUP_TOKEN_SQL,
  DELETE_RECOVERY_CODES_SQL,
  ENABLE_MFA_SQL,
  FIND_OPERATOR_BY_EMAIL_SQL,
  FIND_OPERATOR_BY_ID_SQL,
  FIND_OPERATOR_FOR_UPDATE_SQL,
  FIND_SECRETS_BY_EMAIL_SQL,
  FIND_SECRETS_BY_ID_SQL,
  INSERT_INVITED_OPERATOR_SQL,
  INSERT_RECOVERY_CODES_SQL,
  LIST_OPERATORS_SQL,
  LOCKED_OPERATORS_SQL,
  LOCK_ACTIVE_SUPER_ADMINS_SQL,
  RECORD_LOGIN_SQL,
  REGISTER_LOGIN_FAILURE_SQL,
  RESET_MFA_SQL,
  SET_PASSWORD_SQL,
  SET_PENDING_MFA_SECRET_SQL,
  UNLOCK_OPERATOR_SQL,
  UPDATE_OPERATOR_SQL,
} from './sql/operators.sql.js';

/** What sign-in and operator management read of an admin user (secrets only where named). */
export interface OperatorRow {
  id: string;
  email: string;
  full_name: string;
  role: AdminRole;
  is_active: boolean;
  mfa_enabled: boolean;
  last_login_at: Date | null;
  locked_until: Date | null;
  failed_login_count: number;
  created_at: Date;
}

export interface OperatorSecrets extends OperatorRow {
  password_hash: string | null;
  mfa_secret: string | null;
}

export interface FailureOutcome {
  lockedUntil: Date | null;
  /** This failure is the one that locked the account. */
  newlyLocked: boolean;
}

export interface LockoutPolicy {
  maxFailures: number;
  baseSeconds: number;
  maxSeconds: number;
}

/**
 * Sign-in state kept on `admin_users` (failure counts, lock, TOTP secret and last step, setup
 * link) and the recovery codes. In PostgreSQL, so a lock or a used code holds on every replica.
 */
@Injectable()
export class OperatorsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private q(manager?: EntityManager): EntityManager {
    return manager ?? this.db.manager;
  }

  async findSecretsByEmail(email: string): Promise<OperatorSecrets | null> {
    const rows: OperatorSecrets[] = await this.db.query(FIND_SECRETS_BY_EMAIL_SQL, [email]);
    return rows[0] ?? null;
  }

  async findSecretsById(id: string, manager?: EntityManager): Promise<OperatorSecrets | null> {
    const rows: OperatorSecrets[] = await this.q(manager).query(FIND_SECRETS_BY_ID_SQL, [id]);
    return rows[0] ?? null;
  }

  /** Locks the row for the rest of the transaction. */
  async findForUpdate(id: string, manager: EntityManager): Promise<OperatorRow | null> {
    const rows: OperatorRow[] = await manager.query(FIND_OPERATOR_FOR_UPDATE_SQL, [id]);
    return rows[0] ?? null;
  }

  async findById(id: string, manager?: EntityManager): Promise<OperatorRow | null> {
    const rows: OperatorRow[] = await this.q(manager).query(FIND_OPERATOR_BY_ID_SQL, [id]);
    return rows[0] ?? null;
  }

  async findByEmail(email: string): Promise<OperatorRow | null> {
    const rows: OperatorRow[] = await this.db.query(FIND_OPERATOR_BY_EMAIL_SQL, [email]);
    return rows[0] ?? null;
  }

  /** Operators in creation order, newest first, keyset-paged. */
  list(
    after: { createdAt: string; id: string } | null,
    limit: number,
  ): Promise<Array<OperatorRow & { position: string }>> {
    return this.db.query(LIST_OPERATORS_SQL, [after?.createdAt ?? null, after?.id ?? null, limit + 1]);
  }

  /**
   * One more consecutive failure; the `maxFailures`-th locks the account for `baseSeconds`,
   * doubled for every earlier lock since the last successful sign-in, at most `maxSeconds`.
   */
  async registerFailure(id: string, now: Date, policy: LockoutPolicy): Promise<FailureOutcome> {
    const rows: Array<{ locked_until: Date | null; newly_locked: boolean }> = await this.db.query(
      REGISTER_LOGIN_FAILURE_SQL,
      [id, now, policy.maxFailures, policy.baseSeconds, policy.maxSeconds],
    );
    const row = rows[0];
    return { lockedUntil: row?.locked_until ?? null, newlyLocked: row?.newly_locked ?? false };
  }

  /** A completed sign-in: failures and lock history cleared, `last_login_at` set. */
  async recordLogin(id: string, now: Date, manager?: EntityManager): Promise<void> {
    await this.q(manager).query(RECORD_LOGIN_SQL, [id, now]);
  }

  async unlock(id: string, manager: EntityManager): Promise<void> {
    await manager.query(UNLOCK_OPERATOR_SQL, [id]);
  }

  /** A new, not yet confirmed TOTP secret (sealed); MFA stays off until confirmed. */
  async setPendingMfaSecret(id: string, sealedSecret: string): Promise<void> {
    await this.db.query(SET_PENDING_MFA_SECRET_SQL, [id, sealedSecret]);
  }

  async enableMfa(id: string, step: number, now: Date, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(ENABLE_MFA_SQL, [id, step, now]);
    return rows.length > 0;
  }

  /** Accepts a TOTP time step only if it is newer than the last one accepted (no replay). */
  async acceptStep(id: string, step: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query(ACCEPT_MFA_STEP_SQL, [id, step]);
    return rows.length > 0;
  }

  async resetMfa(id: string, manager: EntityManager): Promise<void> {
    await manager.query(RESET_MFA_SQL, [id]);
    await manager.query(DELETE_RECOVERY_CODES_SQL, [id]);
  }

  async replaceRecoveryCodes(id: string, hashes: string[], manager: EntityManager): Promise<void> {
    await manager.query(DELETE_RECOVERY_CODES_SQL, [id]);
    await manager.query(INSERT_RECOVERY_CODES_SQL, [id, hashes]);
  }

  /** Marks an unused recovery code used; false when there is none (wrong or already used). */
  async consumeRecoveryCode(id: string, hash: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.db.query(CONSUME_RECOVERY_CODE_SQL, [id, hash, now]);
    return rows.length > 0;
  }

  async setPassword(id: string, passwordHash: string, now: Date, manager: EntityManager): Promise<void> {
    await manager.query(SET_PASSWORD_SQL, [id, passwordHash, now]);
  }

  /** An invited operator: no password until the setup link is used. */
  async insertInvited(
    input: { email: string; fullName: string; role: AdminRole; setupTokenHash: string; setupExpiresAt: Date },
    manager: EntityManager,
  ): Promise<OperatorRow> {
    const rows: OperatorRow[] = await manager.query(INSERT_INVITED_OPERATOR_SQL, [
      input.email,
      input.fullName,
      input.role,
      input.setupTokenHash,
      input.setupExpiresAt,
    ]);
    return rows[0];
  }

  /** Uses a setup link once: sets the password and clears the link, MFA to be enrolled next. */
  async consumeSetupToken(
    tokenHash: string,
    passwordHash: string,
    now: Date,
    manager: EntityManager,
  ): Promise<OperatorRow | null> {
    const rows: OperatorRow[] = await manager.query(CONSUME_SETUP_TOKEN_SQL, [tokenHash, passwordHash, now]);
    return rows[0] ?? null;
  }

  /** Locks every active super_admin row (so two demotions cannot both pass the "not the last" check). */
  async lockActiveSuperAdmins(manager: EntityManager): Promise<string[]> {
    const rows: Array<{ id: string }> = await manager.query(LOCK_ACTIVE_SUPER_ADMINS_SQL);
    return rows.map((r) => r.id);
  }

  async update(
    id: string,
    changes: { role?: AdminRole; isActive?: boolean; fullName?: string },
    manager: EntityManager,
  ): Promise<OperatorRow> {
    const rows: OperatorRow[] = await manager.query(UPDATE_OPERATOR_SQL, [
      id,
      changes.role ?? null,
      changes.isActive ?? null,
      changes.fullName ?? null,
    ]);
    return rows[0];
  }

  async lockedOperators(now: Date): Promise<Array<{ id: string; email: string; locked_until: Date }>> {
    return this.db.query(LOCKED_OPERATORS_SQL, [now]);
  }
}
