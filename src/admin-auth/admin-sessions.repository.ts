import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { AdminRole } from '../admin-users/admin-user.entity.js';
import type { AdminSessionKind } from './admin-session.entity.js';
import {
  COUNT_LIVE_SESSIONS_SQL,
  CREATE_SESSION_SQL,
  LIST_LIVE_SESSIONS_SQL,
  MARK_STEP_UP_SQL,
  REVOKE_ALL_SESSIONS_SQL,
  REVOKE_SESSION_SQL,
  TOUCH_SESSION_SQL,
} from './sql/admin-sessions.sql.js';

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

/**
 * Sessions live in PostgreSQL and every admin request reads its own row, so a revocation (logout,
 * password change, role change, deactivation, MFA reset) holds on every replica at once.
 */
@Injectable()
export class AdminSessionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(session: NewSession, manager?: EntityManager): Promise<SessionRow> {
    const rows: SessionRow[] = await (manager ?? this.db.manager).query(CREATE_SESSION_SQL, [
      session.userId,
      session.tokenHash,
      session.kind,
      session.now,
      session.absoluteExpiresAt,
      session.mfaAt,
      session.ip?.slice(0, 64) ?? null,
      session.userAgent?.slice(0, 512) ?? null,
    ]);
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
    const rows: SessionWithUser[] = await this.db.query(TOUCH_SESSION_SQL, [tokenHash, kind, now, idleSeconds]);
    return rows[0] ?? null;
  }

  async markStepUp(sessionId: string, now: Date, manager?: EntityManager): Promise<void> {
    await (manager ?? this.db.manager).query(MARK_STEP_UP_SQL, [sessionId, now]);
  }

  /** Revokes one session of `userId`; false when there is no such live session. */
  async revoke(
    userId: string,
    sessionId: string,
    reason: string,
    now: Date,
    manager?: EntityManager,
  ): Promise<boolean> {
    const rows: unknown[] = await (manager ?? this.db.manager).query(REVOKE_SESSION_SQL, [
      sessionId,
      userId,
      now,
      reason,
    ]);
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
    const rows: unknown[] = await (manager ?? this.db.manager).query(REVOKE_ALL_SESSIONS_SQL, [
      userId,
      now,
      reason,
      exceptId,
    ]);
    return rows.length;
  }

  /** Full sessions of `userId` still usable at `now`, newest first. */
  listLive(userId: string, now: Date, idleSeconds: number): Promise<SessionRow[]> {
    return this.db.query(LIST_LIVE_SESSIONS_SQL, [userId, now, idleSeconds]);
  }

  /** Live full sessions per operator. */
  async countLive(now: Date, idleSeconds: number): Promise<Map<string, number>> {
    const rows: Array<{ admin_user_id: string; n: number }> = await this.db.query(COUNT_LIVE_SESSIONS_SQL, [
      now,
      idleSeconds,
    ]);
    return new Map(rows.map((r) => [r.admin_user_id, r.n]));
  }
}
