import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AdminRole } from '../admin-users/admin-user.entity.js';

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

const COLUMNS = `id, email, full_name, role, is_active, mfa_enabled, last_login_at, locked_until, failed_login_count, created_at`;

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
    const rows: OperatorSecrets[] = await this.db.query(
      `SELECT ${COLUMNS}, password_hash, mfa_secret FROM admin_users WHERE lower(email) = lower($1)`,
      [email],
    );
    return rows[0] ?? null;
  }

  async findSecretsById(id: string, manager?: EntityManager): Promise<OperatorSecrets | null> {
    const rows: OperatorSecrets[] = await this.q(manager).query(
      `SELECT ${COLUMNS}, password_hash, mfa_secret FROM admin_users WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Locks the row for the rest of the transaction. */
  async findForUpdate(id: string, manager: EntityManager): Promise<OperatorRow | null> {
    const rows: OperatorRow[] = await manager.query(`SELECT ${COLUMNS} FROM admin_users WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
    return rows[0] ?? null;
  }

  async findById(id: string, manager?: EntityManager): Promise<OperatorRow | null> {
    const rows: OperatorRow[] = await this.q(manager).query(`SELECT ${COLUMNS} FROM admin_users WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async findByEmail(email: string): Promise<OperatorRow | null> {
    const rows: OperatorRow[] = await this.db.query(
      `SELECT ${COLUMNS} FROM admin_users WHERE lower(email) = lower($1)`,
      [email],
    );
    return rows[0] ?? null;
  }

  /** Operators in creation order, newest first, keyset-paged. */
  list(
    after: { createdAt: string; id: string } | null,
    limit: number,
  ): Promise<Array<OperatorRow & { position: string }>> {
    return this.db.query(
      `SELECT ${COLUMNS}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
         FROM admin_users
        WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
  }

  /**
   * One more consecutive failure; the `maxFailures`-th locks the account for `baseSeconds`,
   * doubled for every earlier lock since the last successful sign-in, at most `maxSeconds`.
   */
  async registerFailure(id: string, now: Date, policy: LockoutPolicy): Promise<FailureOutcome> {
    const rows: Array<{ locked_until: Date | null; newly_locked: boolean }> = await this.db.query(
      `WITH changed AS (
       UPDATE admin_users u SET
          failed_login_count = CASE WHEN u.failed_login_count + 1 >= $3 THEN 0 ELSE u.failed_login_count + 1 END,
          lockout_count = CASE WHEN u.failed_login_count + 1 >= $3 THEN u.lockout_count + 1 ELSE u.lockout_count END,
          locked_until = CASE WHEN u.failed_login_count + 1 >= $3
                              THEN $2::timestamptz + make_interval(secs => LEAST($5::float8, $4::float8 * power(2, LEAST(u.lockout_count, 20))))
                              ELSE u.locked_until END
        WHERE u.id = $1
       RETURNING u.locked_until, (u.failed_login_count = 0 AND u.locked_until > $2) AS newly_locked
     )
     SELECT * FROM changed`,
      [id, now, policy.maxFailures, policy.baseSeconds, policy.maxSeconds],
    );
    const row = rows[0];
    return { lockedUntil: row?.locked_until ?? null, newlyLocked: row?.newly_locked ?? false };
  }

  /** A completed sign-in: failures and lock history cleared, `last_login_at` set. */
  async recordLogin(id: string, now: Date, manager?: EntityManager): Promise<void> {
    await this.q(manager).query(
      `UPDATE admin_users SET failed_login_count = 0, lockout_count = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1`,
      [id, now],
    );
  }

  async unlock(id: string, manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE admin_users SET failed_login_count = 0, lockout_count = 0, locked_until = NULL WHERE id = $1`,
      [id],
    );
  }

  /** A new, not yet confirmed TOTP secret (sealed); MFA stays off until confirmed. */
  async setPendingMfaSecret(id: string, sealedSecret: string): Promise<void> {
    await this.db.query(`UPDATE admin_users SET mfa_secret = $2 WHERE id = $1 AND NOT mfa_enabled`, [id, sealedSecret]);
  }

  async enableMfa(id: string, step: number, now: Date, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `WITH changed AS (
       UPDATE admin_users SET mfa_enabled = true, mfa_enrolled_at = $3, mfa_last_step = $2
        WHERE id = $1 AND NOT mfa_enabled AND mfa_secret IS NOT NULL RETURNING id
     )
     SELECT * FROM changed`,
      [id, step, now],
    );
    return rows.length > 0;
  }

  /** Accepts a TOTP time step only if it is newer than the last one accepted (no replay). */
  async acceptStep(id: string, step: number): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH changed AS (
       UPDATE admin_users SET mfa_last_step = $2
        WHERE id = $1 AND (mfa_last_step IS NULL OR mfa_last_step < $2) RETURNING id
     )
     SELECT * FROM changed`,
      [id, step],
    );
    return rows.length > 0;
  }

  async resetMfa(id: string, manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE admin_users SET mfa_enabled = false, mfa_secret = NULL, mfa_last_step = NULL, mfa_enrolled_at = NULL WHERE id = $1`,
      [id],
    );
    await manager.query(`DELETE FROM admin_recovery_codes WHERE admin_user_id = $1`, [id]);
  }

  async replaceRecoveryCodes(id: string, hashes: string[], manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM admin_recovery_codes WHERE admin_user_id = $1`, [id]);
    await manager.query(
      `INSERT INTO admin_recovery_codes (admin_user_id, code_hash) SELECT $1, h FROM unnest($2::text[]) AS h`,
      [id, hashes],
    );
  }

  /** Marks an unused recovery code used; false when there is none (wrong or already used). */
  async consumeRecoveryCode(id: string, hash: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH changed AS (
       UPDATE admin_recovery_codes SET used_at = $3
        WHERE admin_user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id
     )
     SELECT * FROM changed`,
      [id, hash, now],
    );
    return rows.length > 0;
  }

  async setPassword(id: string, passwordHash: string, now: Date, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE admin_users SET password_hash = $2, password_changed_at = $3 WHERE id = $1`, [
      id,
      passwordHash,
      now,
    ]);
  }

  /** An invited operator: no password until the setup link is used. */
  async insertInvited(
    input: { email: string; fullName: string; role: AdminRole; setupTokenHash: string; setupExpiresAt: Date },
    manager: EntityManager,
  ): Promise<OperatorRow> {
    const rows: OperatorRow[] = await manager.query(
      `INSERT INTO admin_users (email, password_hash, full_name, role, is_active, mfa_enabled, setup_token_hash, setup_token_expires_at)
       VALUES ($1, NULL, $2, $3, true, false, $4, $5) RETURNING ${COLUMNS}`,
      [input.email, input.fullName, input.role, input.setupTokenHash, input.setupExpiresAt],
    );
    return rows[0];
  }

  /** Uses a setup link once: sets the password and clears the link, MFA to be enrolled next. */
  async consumeSetupToken(
    tokenHash: string,
    passwordHash: string,
    now: Date,
    manager: EntityManager,
  ): Promise<OperatorRow | null> {
    const rows: OperatorRow[] = await manager.query(
      `WITH changed AS (
       UPDATE admin_users SET password_hash = $2, password_changed_at = $3, setup_token_hash = NULL,
              setup_token_expires_at = NULL, mfa_enabled = false, mfa_secret = NULL, mfa_last_step = NULL
        WHERE setup_token_hash = $1 AND setup_token_expires_at > $3 AND is_active
       RETURNING ${COLUMNS}
     )
     SELECT * FROM changed`,
      [tokenHash, passwordHash, now],
    );
    return rows[0] ?? null;
  }

  /** Locks every active super_admin row (so two demotions cannot both pass the "not the last" check). */
  async lockActiveSuperAdmins(manager: EntityManager): Promise<string[]> {
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM admin_users WHERE role = 'super_admin' AND is_active ORDER BY id FOR UPDATE`,
    );
    return rows.map((r) => r.id);
  }

  async update(
    id: string,
    changes: { role?: AdminRole; isActive?: boolean; fullName?: string },
    manager: EntityManager,
  ): Promise<OperatorRow> {
    const rows: OperatorRow[] = await manager.query(
      `WITH changed AS (
       UPDATE admin_users SET role = COALESCE($2, role), is_active = COALESCE($3, is_active), full_name = COALESCE($4, full_name)
        WHERE id = $1 RETURNING ${COLUMNS}
     )
     SELECT * FROM changed`,
      [id, changes.role ?? null, changes.isActive ?? null, changes.fullName ?? null],
    );
    return rows[0];
  }

  async lockedOperators(now: Date): Promise<Array<{ id: string; email: string; locked_until: Date }>> {
    return this.db.query(
      `SELECT id, email, locked_until FROM admin_users WHERE locked_until > $1 ORDER BY locked_until DESC`,
      [now],
    );
  }
}
