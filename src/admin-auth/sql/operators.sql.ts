// The operator (admin user) statements: sign-in, lockout, MFA, recovery codes, invitations.
// OperatorsRepository documents each use.

const COLUMNS = `id, email, full_name, role, is_active, mfa_enabled, last_login_at, locked_until, failed_login_count, created_at`;

export const FIND_SECRETS_BY_EMAIL_SQL = `SELECT ${COLUMNS}, password_hash, mfa_secret FROM admin_users WHERE lower(email) = lower($1)`;

export const FIND_SECRETS_BY_ID_SQL = `SELECT ${COLUMNS}, password_hash, mfa_secret FROM admin_users WHERE id = $1`;

export const FIND_OPERATOR_FOR_UPDATE_SQL = `SELECT ${COLUMNS} FROM admin_users WHERE id = $1 FOR UPDATE`;

export const FIND_OPERATOR_BY_ID_SQL = `SELECT ${COLUMNS} FROM admin_users WHERE id = $1`;

export const FIND_OPERATOR_BY_EMAIL_SQL = `SELECT ${COLUMNS} FROM admin_users WHERE lower(email) = lower($1)`;

export const LIST_OPERATORS_SQL = `SELECT ${COLUMNS}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position
         FROM admin_users
        WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1::timestamptz, $2::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $3`;

export const REGISTER_LOGIN_FAILURE_SQL = `WITH changed AS (
       UPDATE admin_users u SET
          failed_login_count = CASE WHEN u.failed_login_count + 1 >= $3 THEN 0 ELSE u.failed_login_count + 1 END,
          lockout_count = CASE WHEN u.failed_login_count + 1 >= $3 THEN u.lockout_count + 1 ELSE u.lockout_count END,
          locked_until = CASE WHEN u.failed_login_count + 1 >= $3
                              THEN $2::timestamptz + make_interval(secs => LEAST($5::float8, $4::float8 * power(2, LEAST(u.lockout_count, 20))))
                              ELSE u.locked_until END
        WHERE u.id = $1
       RETURNING u.locked_until, (u.failed_login_count = 0 AND u.locked_until > $2) AS newly_locked
     )
     SELECT * FROM changed`;

export const RECORD_LOGIN_SQL = `UPDATE admin_users SET failed_login_count = 0, lockout_count = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1`;

export const UNLOCK_OPERATOR_SQL = `UPDATE admin_users SET failed_login_count = 0, lockout_count = 0, locked_until = NULL WHERE id = $1`;

export const SET_PENDING_MFA_SECRET_SQL = `UPDATE admin_users SET mfa_secret = $2 WHERE id = $1 AND NOT mfa_enabled`;

export const ENABLE_MFA_SQL = `WITH changed AS (
       UPDATE admin_users SET mfa_enabled = true, mfa_enrolled_at = $3, mfa_last_step = $2
        WHERE id = $1 AND NOT mfa_enabled AND mfa_secret IS NOT NULL RETURNING id
     )
     SELECT * FROM changed`;

export const ACCEPT_MFA_STEP_SQL = `WITH changed AS (
       UPDATE admin_users SET mfa_last_step = $2
        WHERE id = $1 AND (mfa_last_step IS NULL OR mfa_last_step < $2) RETURNING id
     )
     SELECT * FROM changed`;

export const RESET_MFA_SQL = `UPDATE admin_users SET mfa_enabled = false, mfa_secret = NULL, mfa_last_step = NULL, mfa_enrolled_at = NULL WHERE id = $1`;

export const DELETE_RECOVERY_CODES_SQL = `DELETE FROM admin_recovery_codes WHERE admin_user_id = $1`;

export const INSERT_RECOVERY_CODES_SQL = `INSERT INTO admin_recovery_codes (admin_user_id, code_hash) SELECT $1, h FROM unnest($2::text[]) AS h`;

export const CONSUME_RECOVERY_CODE_SQL = `WITH changed AS (
       UPDATE admin_recovery_codes SET used_at = $3
        WHERE admin_user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id
     )
     SELECT * FROM changed`;

export const SET_PASSWORD_SQL = `UPDATE admin_users SET password_hash = $2, password_changed_at = $3 WHERE id = $1`;

export const INSERT_INVITED_OPERATOR_SQL = `INSERT INTO admin_users (email, password_hash, full_name, role, is_active, mfa_enabled, setup_token_hash, setup_token_expires_at)
       VALUES ($1, NULL, $2, $3, true, false, $4, $5) RETURNING ${COLUMNS}`;

export const CONSUME_SETUP_TOKEN_SQL = `WITH changed AS (
       UPDATE admin_users SET password_hash = $2, password_changed_at = $3, setup_token_hash = NULL,
              setup_token_expires_at = NULL, mfa_enabled = false, mfa_secret = NULL, mfa_last_step = NULL
        WHERE setup_token_hash = $1 AND setup_token_expires_at > $3 AND is_active
       RETURNING ${COLUMNS}
     )
     SELECT * FROM changed`;

export const LOCK_ACTIVE_SUPER_ADMINS_SQL = `SELECT id FROM admin_users WHERE role = 'super_admin' AND is_active ORDER BY id FOR UPDATE`;

export const UPDATE_OPERATOR_SQL = `WITH changed AS (
       UPDATE admin_users SET role = COALESCE($2, role), is_active = COALESCE($3, is_active), full_name = COALESCE($4, full_name)
        WHERE id = $1 RETURNING ${COLUMNS}
     )
     SELECT * FROM changed`;

export const LOCKED_OPERATORS_SQL = `SELECT id, email, locked_until FROM admin_users WHERE locked_until > $1 ORDER BY locked_until DESC`;
