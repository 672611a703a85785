/** $1 key ids, $2 hours, $3 outcomes, $4 counts (parallel arrays). */
export const ADD_USAGE_SQL = `INSERT INTO api_key_usage_hourly (api_key_id, hour, outcome, count)
       SELECT u.id, u.hour, u.outcome, u.count
         FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::bigint[]) AS u(id, hour, outcome, count)
         JOIN api_keys k ON k.id = u.id
       ON CONFLICT (api_key_id, hour, outcome) DO UPDATE SET count = api_key_usage_hourly.count + EXCLUDED.count`;

/** $1 hours, $2 reasons, $3 key prefixes, $4 client IPs, $5 counts (parallel arrays). */
export const ADD_AUTH_FAILURES_SQL = `INSERT INTO api_key_auth_failures_hourly (hour, reason, key_prefix, client_ip, count)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::bigint[])
       ON CONFLICT (hour, reason, key_prefix, client_ip)
       DO UPDATE SET count = api_key_auth_failures_hourly.count + EXCLUDED.count`;

/** $1 key ids, $2 since. */
export const TOTALS_BY_KEY_SQL = `SELECT api_key_id, sum(count) AS total FROM api_key_usage_hourly
        WHERE api_key_id = ANY($1::uuid[]) AND hour >= $2 GROUP BY api_key_id`;

/** $1 key id, [$2, $3) hours, $4 unit, $5 key prefix. */
export const KEY_BUCKETS_SQL = `SELECT date_trunc($4, hour, 'UTC') AS bucket, outcome, sum(count) AS count FROM (
         SELECT hour, outcome, count FROM api_key_usage_hourly WHERE api_key_id = $1 AND hour >= $2 AND hour < $3
         UNION ALL
         SELECT hour, 'unauthorized', count FROM api_key_auth_failures_hourly
          WHERE key_prefix = $5 AND reason IN ('api_key_revoked', 'api_key_expired') AND hour >= $2 AND hour < $3
       ) u GROUP BY 1, 2 ORDER BY 1`;

/** $1 environment, [$2, $3) hours, $4 unit. */
export const ENVIRONMENT_BUCKETS_SQL = `SELECT date_trunc($4, u.hour, 'UTC') AS bucket, u.outcome, sum(u.count) AS count
         FROM api_key_usage_hourly u JOIN api_keys k ON k.id = u.api_key_id
        WHERE k.environment = $1 AND u.hour >= $2 AND u.hour < $3
        GROUP BY 1, 2 ORDER BY 1`;

/** [$1, $2) hours, $3 unit. */
export const FAILURE_BUCKETS_SQL = `SELECT date_trunc($3, hour, 'UTC') AS bucket, reason, sum(count) AS count FROM api_key_auth_failures_hourly
        WHERE hour >= $1 AND hour < $2 GROUP BY 1, 2 ORDER BY 1`;

/** The most frequent values of `column` among auth failures: [$1, $2) hours, $3 limit. */
export const topFailuresSql = (column: 'key_prefix' | 'client_ip'): string =>
  `SELECT ${column} AS value, sum(count) AS count FROM api_key_auth_failures_hourly
        WHERE hour >= $1 AND hour < $2 AND ${column} <> '' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $3`;

/** $1 since. */
export const FAILURE_TOTAL_SQL = `SELECT sum(count) AS total FROM api_key_auth_failures_hourly WHERE hour >= $1`;

/** [$1, $2) hours, $3 limit. */
export const RATE_LIMITED_BY_KEY_SQL = `SELECT k.id AS key_id, k.name, k.key_prefix, sum(u.count) AS count
         FROM api_key_usage_hourly u JOIN api_keys k ON k.id = u.api_key_id
        WHERE u.outcome = 'rate_limited' AND u.hour >= $1 AND u.hour < $2
        GROUP BY k.id, k.name, k.key_prefix ORDER BY 4 DESC, 1 LIMIT $3`;
