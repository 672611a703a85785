// The admin session statements (AdminSessionsRepository documents each use).

const COLUMNS = `id, admin_user_id, kind, created_at, last_seen_at, absolute_expires_at, mfa_at, step_up_at, ip, user_agent`;

export const CREATE_SESSION_SQL = `INSERT INTO admin_sessions (admin_user_id, token_hash, kind, created_at, last_seen_at, absolute_expires_at,
                                   mfa_at, step_up_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, $4, $5, $6, $6, $7, $8)
       RETURNING ${COLUMNS}`;

export const TOUCH_SESSION_SQL = `WITH changed AS (
       UPDATE admin_sessions s SET last_seen_at = $3
         FROM admin_users u
        WHERE s.token_hash = $1 AND s.kind = $2 AND s.revoked_at IS NULL
          AND u.id = s.admin_user_id AND u.is_active
          AND s.absolute_expires_at > $3
          AND s.last_seen_at + make_interval(secs => $4) > $3
       RETURNING s.id, s.admin_user_id, s.kind, s.created_at, s.last_seen_at, s.absolute_expires_at, s.mfa_at,
                 s.step_up_at, s.ip, s.user_agent, u.email, u.full_name, u.role, u.mfa_enabled, u.last_login_at
     )
     SELECT * FROM changed`;

export const MARK_STEP_UP_SQL = `UPDATE admin_sessions SET step_up_at = $2 WHERE id = $1`;

export const REVOKE_SESSION_SQL = `WITH changed AS (
       UPDATE admin_sessions SET revoked_at = $3, revoked_reason = $4
        WHERE id = $1 AND admin_user_id = $2 AND revoked_at IS NULL RETURNING id
     )
     SELECT * FROM changed`;

export const REVOKE_ALL_SESSIONS_SQL = `WITH changed AS (
       UPDATE admin_sessions SET revoked_at = $2, revoked_reason = $3
        WHERE admin_user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR id <> $4::uuid) RETURNING id
     )
     SELECT * FROM changed`;

export const LIST_LIVE_SESSIONS_SQL = `SELECT ${COLUMNS} FROM admin_sessions
        WHERE admin_user_id = $1 AND kind = 'full' AND revoked_at IS NULL
          AND absolute_expires_at > $2 AND last_seen_at + make_interval(secs => $3) > $2
        ORDER BY created_at DESC, id DESC
        LIMIT 100`;

export const COUNT_LIVE_SESSIONS_SQL = `SELECT admin_user_id, count(*)::int AS n FROM admin_sessions
        WHERE kind = 'full' AND revoked_at IS NULL AND absolute_expires_at > $1
          AND last_seen_at + make_interval(secs => $2) > $1
        GROUP BY admin_user_id`;
