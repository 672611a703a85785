const LIST_COLUMNS = `k.id, k.name, k.description, k.environment, k.key_prefix, k.permissions, k.status, k.created_by,
  u.email AS created_by_email, k.created_at, k.expires_at, k.last_used_at, k.last_used_ip, k.grace_period_until,
  k.rotated_to, (SELECT p.id FROM api_keys p WHERE p.rotated_to = k.id LIMIT 1) AS rotated_from, k.revoked_at,
  k.rate_limit_per_minute, to_char(k.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position`;

/** Channel on which every replica hears that a key changed (revoked, rotated). */
export const API_KEY_CHANGED_CHANNEL = 'api_key_changed';

/** $1 key hash. */
export const FIND_AUTH_RECORD_BY_HASH_SQL = `SELECT id, name, environment, permissions, status, expires_at, grace_period_until, rate_limit_per_minute
         FROM api_keys WHERE key_hash = $1`;

/** The rotation chain through $1, oldest first. */
export const KEY_LINEAGE_SQL = `WITH RECURSIVE back AS (
         SELECT id, 0 AS depth FROM api_keys WHERE id = $1
         UNION ALL SELECT p.id, b.depth - 1 FROM api_keys p JOIN back b ON p.rotated_to = b.id WHERE b.depth > -1000
       ), fwd AS (
         SELECT id, rotated_to, 0 AS depth FROM api_keys WHERE id = $1
         UNION ALL SELECT n.id, n.rotated_to, f.depth + 1 FROM api_keys n JOIN fwd f ON n.id = f.rotated_to WHERE f.depth < 1000
       ), chain AS (SELECT id, depth FROM back UNION SELECT id, depth FROM fwd)
       SELECT ${LIST_COLUMNS} FROM chain c JOIN api_keys k ON k.id = c.id LEFT JOIN admin_users u ON u.id = k.created_by
        ORDER BY c.depth`;

/** $1 environment, $2 now, $3 expiring before. */
export const KEY_STATUS_COUNTS_SQL = `SELECT count(*) FILTER (WHERE status = 'active')::int AS active,
              count(*) FILTER (WHERE status = 'rotating' AND grace_period_until > $2)::int AS rotating,
              count(*) FILTER (WHERE status = 'revoked' OR (status = 'rotating' AND grace_period_until <= $2))::int AS revoked,
              count(*) FILTER (WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at > $2 AND expires_at <= $3)::int AS expiring
         FROM api_keys WHERE environment = $1`;

/** Keys that stop working in ($1, $2], per environment. */
export const COUNT_KEYS_STOPPING_BETWEEN_SQL = `SELECT environment, count(*)::int AS n
         FROM (SELECT environment,
                      CASE WHEN status = 'rotating'
                           THEN LEAST(grace_period_until, COALESCE(expires_at, grace_period_until))
                           ELSE expires_at END AS stops_at
                 FROM api_keys WHERE status IN ('active', 'rotating')) k
        WHERE stops_at > $1 AND stops_at <= $2
        GROUP BY environment`;

/** Tells every replica that a key changed: $1 channel, $2 key id. */
export const NOTIFY_KEY_CHANGED_SQL = `SELECT pg_notify($1, $2)`;

/** $1 key ids, $2 times, $3 IPs (parallel arrays). */
export const RECORD_LAST_USES_SQL = `UPDATE api_keys AS k
          SET last_used_at = GREATEST(COALESCE(k.last_used_at, u.at), u.at),
              last_used_ip = COALESCE(u.ip, k.last_used_ip)
         FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS u(id, at, ip)
        WHERE k.id = u.id`;

/** Subscribes the connection to {@link API_KEY_CHANGED_CHANNEL}. */
export const LISTEN_KEY_CHANGES_SQL = `LISTEN ${API_KEY_CHANGED_CHANNEL}`;

/** The console's key list filters, with the LIKE patterns already escaped and the day counts turned into times. */
export interface ApiKeyListFilter {
  environment?: string;
  status?: string;
  search?: { nameLike: string; prefixLike: string };
  expiresBy?: string;
  unusedSince?: string;
  after: { createdAt: string; id: string } | null;
  limit: number;
}

/** Newest first, keyset-paged, `limit + 1` rows; only the filters given become conditions. */
export function apiKeyListQuery(query: ApiKeyListFilter): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (sql: (p: string) => string, value: unknown): void => {
    if (value === undefined || value === null) return;
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  add((p) => `k.environment = ${p}`, query.environment);
  add((p) => `k.status = ${p}`, query.status);
  if (query.search) {
    params.push(query.search.nameLike, query.search.prefixLike);
    where.push(`(lower(k.name) LIKE $${params.length - 1} OR k.key_prefix LIKE $${params.length})`);
  }
  if (query.expiresBy !== undefined) {
    add((p) => `k.expires_at IS NOT NULL AND k.expires_at <= ${p}::timestamptz`, query.expiresBy);
  }
  if (query.unusedSince !== undefined) {
    add((p) => `COALESCE(k.last_used_at, k.created_at) <= ${p}::timestamptz`, query.unusedSince);
  }
  if (query.after) {
    params.push(query.after.createdAt, query.after.id);
    where.push(`(k.created_at, k.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(query.limit + 1);
  return {
    text: `SELECT ${LIST_COLUMNS} FROM api_keys k LEFT JOIN admin_users u ON u.id = k.created_by
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY k.created_at DESC, k.id DESC LIMIT $${params.length}`,
    params,
  };
}
