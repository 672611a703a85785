import { CURSOR_TIME_SQL } from '../../common/pagination/sql/cursor.sql.js';

/** One audit row: the parameters are those `auditParams` returns. */
export const INSERT_SQL = `
INSERT INTO admin_audit_log (actor_type, actor_id, actor_label, action, resource_type, resource_id, environment,
                             account_id, api_key_id, api_key_name, before, after, reason, outcome, ip, user_agent, request_id)
VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8::uuid, $9::uuid, $10, $11::jsonb, $12::jsonb, $13, $14, $15, $16, $17)
RETURNING id`;

/** The actor columns, for statements that write their audit row in a CTE beside the change. */
export const ACTOR_COLUMNS = 'actor_type, actor_id, actor_label, api_key_id, api_key_name, request_id, ip, user_agent';

/** Unsuccessful rows: $1 actions (text[]), [$2, $3) time range, $4 `date_trunc` unit. */
export const COUNT_FAILURES_BY_BUCKET_SQL = `SELECT date_trunc($4, created_at, 'UTC') AS bucket, count(*) AS count FROM admin_audit_log
        WHERE action = ANY($1) AND outcome <> 'success' AND created_at >= $2 AND created_at < $3 GROUP BY 1 ORDER BY 1`;

/** `$n, $n+1::uuid, …` placeholders for {@link ACTOR_COLUMNS}, starting at parameter `first`. */
export function actorPlaceholders(first: number): string {
  const casts = ['', '::uuid', '', '::uuid', '', '', '', ''];
  return casts.map((cast, i) => `$${first + i}${cast}`).join(', ');
}

/** What the audit trail can be filtered by (AuditRepository's query). */
export interface AuditPageFilter {
  actorType?: string;
  actorId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: string;
  environment?: string;
  accountId?: string;
  since?: string;
  until?: string;
  after?: { createdAt: string; id: string } | null;
  limit: number;
}

/** Newest first, `limit + 1` rows; only the filters given become conditions. */
export function auditPageQuery(query: AuditPageFilter): { text: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown): void => {
    if (value === undefined || value === null) return;
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  add((p) => `l.actor_type = ${p}`, query.actorType);
  add((p) => `l.actor_id = ${p}::uuid`, query.actorId);
  add((p) => `l.action = ${p}`, query.action);
  add((p) => `l.resource_type = ${p}`, query.resourceType);
  add((p) => `l.resource_id = ${p}`, query.resourceId);
  add((p) => `l.outcome = ${p}`, query.outcome);
  add((p) => `l.environment = ${p}`, query.environment);
  add((p) => `l.account_id = ${p}::uuid`, query.accountId);
  add((p) => `l.created_at >= ${p}::timestamptz`, query.since);
  add((p) => `l.created_at < ${p}::timestamptz`, query.until);
  if (query.after) {
    params.push(query.after.createdAt, query.after.id);
    where.push(`(l.created_at, l.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(query.limit + 1);
  return {
    text: `SELECT l.id, l.actor_type, l.actor_id, l.actor_label, l.action, l.resource_type, l.resource_id, l.environment,
              l.account_id, l.api_key_id, l.api_key_name, l.before, l.after, l.reason, l.outcome, l.ip, l.user_agent,
              l.request_id, l.created_at, ${CURSOR_TIME_SQL('l.created_at')} AS position
         FROM admin_audit_log l
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY l.created_at DESC, l.id DESC
        LIMIT $${params.length}`,
    params,
  };
}
