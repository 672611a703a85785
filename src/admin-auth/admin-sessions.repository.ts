import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AdminRole } from '../admin-users/admin-user.entity.js';
import type { AdminSessionKind } from './admin-session.entity.js';

export interface SessionRow {
  id: string;
  admin_user_id: string;
  kind: AdminSessionKind;
  created_at: Date;
  last_seen_at: Date;
  absolute_expires_at: Date;
  mfa_at: Date | null;
  step_up_at: Date | null;
  ip: string | null;
  user_agent: string | null;
}

/** A live session with the operator it belongs to, as the guard sees it. */
export interface SessionWithUser extends SessionRow {
  email: string;
  full_name: string;
  role: AdminRole;
  mfa_enabled: boolean;
  last_login_at: Date | null;
}

export interface NewSession {
  userId: string;
  tokenHash: string;
  kind: AdminSessionKind;
  now: Date;
  absoluteExpiresAt: Date;
  mfaAt: Date | null;
  ip: string | null;
  userAgent: string | null;
}

const COLUMNS = `id, admin_user_id, kind, created_at, last_seen_at, absolute_expires_at, mfa_at, step_up_at, ip, user_agent`;

/**
 * Sessions live in PostgreSQL and every admin request reads its own row, so a revocation (logout,
 * password change, role change, deactivation, MFA reset) holds on every replica at once.
 */
@Injectable()
export class AdminSessionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(session: NewSession, manager?: EntityManager): Promise<SessionRow> {
    const rows: SessionRow[] = await (manager ?? this.db.manager).query(
      `INSERT INTO admin_sessions (admin_user_id, token_hash, kind, created_at, last_seen_at, absolute_expires_at,
                                   mfa_at, step_up_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, $4, $5, $6, $6, $7, $8)
       RETURNING ${COLUMNS}`,
      [
        session.userId,
        session.tokenHash,
        session.kind,
        session.now,
        session.absoluteExpiresAt,
        session.mfaAt,
        session.ip?.slice(0, 64) ?? null,
        session.userAgent?.slice(0, 512) ?? null,
      ],
    );
    return rows[0];
  }

  /**
   * The live session a token names — not revoked, within its absolute and idle limits, its
   * operator active — moving `last_seen_at` on in the same statement. Null otherwise.
   */
  async touch(
    tokenHash: string,
    kind: AdminSessionKind,
    now: Date,
    idleSeconds: number,
  ): Promise<SessionWithUser | null> {
    const rows: SessionWithUser[] = await this.db.query(
      `WITH changed AS (
       UPDATE admin_sessions s SET last_seen_at = $3
         FROM admin_users u
        WHERE s.token_hash = $1 AND s.kind = $2 AND s.revoked_at IS NULL
          AND u.id = s.admin_user_id AND u.is_active
          AND s.absolute_expires_at > $3
          AND s.last_seen_at + make_interval(secs => $4) > $3
       RETURNING s.id, s.admin_user_id, s.kind, s.created_at, s.last_seen_at, s.absolute_expires_at, s.mfa_at,
                 s.step_up_at, s.ip, s.user_agent, u.email, u.full_name, u.role, u.mfa_enabled, u.last_login_at
     )
     SELECT * FROM changed`,
      [tokenHash, kind, now, idleSeconds],
    );
    return rows[0] ?? null;
  }

  async markStepUp(sessionId: string, now: Date, manager?: EntityManager): Promise<void> {
    await (manager ?? this.db.manager).query(`UPDATE admin_sessions SET step_up_at = $2 WHERE id = $1`, [
      sessionId,
      now,
    ]);
  }

  /** Revokes one session of `userId`; false when there is no such live session. */
  async revoke(
    userId: string,
    sessionId: string,
    reason: string,
    now: Date,
    manager?: EntityManager,
  ): Promise<boolean> {
    const rows: unknown[] = await (manager ?? this.db.manager).query(
      `WITH changed AS (
       UPDATE admin_sessions SET revoked_at = $3, revoked_reason = $4
        WHERE id = $1 AND admin_user_id = $2 AND revoked_at IS NULL RETURNING id
     )
     SELECT * FROM changed`,
      [sessionId, userId, now, reason],
    );
    return rows.length > 0;
  }

  /** Revokes every live session of `userId` (but `exceptId`); answers how many. */
  async revokeAll(
    userId: string,
    reason: string,
    now: Date,
    manager?: EntityManager,
    exceptId: string | null = null,
  ): Promise<number> {
    const rows: unknown[] = await (manager ?? this.db.manager).query(
      `WITH changed AS (
       UPDATE admin_sessions SET revoked_at = $2, revoked_reason = $3
        WHERE admin_user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid) RETURNING id
     )
     SELECT * FROM changed`,
      [userId, now, reason, exceptId],
    );
    return rows.length;
  }

  /** Full sessions of `userId` still usable at `now`, newest first. */
  listLive(userId: string, now: Date, idleSeconds: number): Promise<SessionRow[]> {
    return this.db.query(
      `SELECT ${COLUMNS} FROM admin_sessions
        WHERE admin_user_id = $1 AND kind = 'full' AND revoked_at IS NULL
          AND absolute_expires_at > $2 AND last_seen_at + make_interval(secs => $3) > $2
        ORDER BY created_at DESC, id DESC
        LIMIT 100`,
      [userId, now, idleSeconds],
    );
  }

  /** Live full sessions per operator. */
  async countLive(now: Date, idleSeconds: number): Promise<Map<string, number>> {
    const rows: Array<{ admin_user_id: string; n: number }> = await this.db.query(
      `SELECT admin_user_id, count(*)::int AS n FROM admin_sessions
        WHERE kind = 'full' AND revoked_at IS NULL AND absolute_expires_at > $1
          AND last_seen_at + make_interval(secs => $2) > $1
        GROUP BY admin_user_id`,
      [now, idleSeconds],
    );
    return new Map(rows.map((r) => [r.admin_user_id, r.n]));
  }
}
