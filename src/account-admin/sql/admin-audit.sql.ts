/** $1 environment, $2 account id (null: all), $3 action (null: all). */
const WHERE = `l.environment = $1 AND ($2::uuid IS NULL OR l.account_id = $2::uuid) AND ($3::text IS NULL OR l.action = $3::text)`;

/** A page of the admin audit trail, newest first: the {@link WHERE} parameters, then $4 limit, $5 offset. */
export const ADMIN_AUDIT_PAGE_SQL = `SELECT l.id, l.environment, l.account_id, a.oauth_provider, a.external_id, l.action, l.actor_type, l.actor_label,
                l.api_key_id, l.api_key_name, l.before, l.after, l.reason, l.request_id, l.created_at
           FROM admin_audit_log l JOIN accounts a ON a.id = l.account_id
          WHERE ${WHERE}
          ORDER BY l.created_at DESC, l.id DESC
          LIMIT $4 OFFSET $5`;

/** How many rows match: the {@link WHERE} parameters. */
export const ADMIN_AUDIT_COUNT_SQL = `SELECT count(*)::int AS total FROM admin_audit_log l WHERE ${WHERE}`;
