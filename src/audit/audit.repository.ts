import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { CURSOR_TIME_SQL, type CursorPosition } from '../common/pagination/cursor.js';
import type { AuditActor } from './audit-actor.js';
import type { AuditActorType, AuditOutcome, AuditResourceType } from './audit-entry.entity.js';

/** What happened, to what; the actor comes separately. */
export interface AuditRecord {
  action: string;
  resourceType: AuditResourceType | null;
  resourceId: string | null;
  environment?: KeyEnvironment | null;
  /** When the resource is an account. */
  accountId?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  reason?: string | null;
  outcome?: AuditOutcome;
}

export interface AuditRow {
  id: string;
  actor_type: AuditActorType;
  actor_id: string | null;
  actor_label: string;
  action: string;
  resource_type: AuditResourceType | null;
  resource_id: string | null;
  environment: KeyEnvironment | null;
  account_id: string | null;
  api_key_id: string | null;
  api_key_name: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: Date;
  position: string;
}

export interface AuditQuery {
  actorType?: AuditActorType;
  actorId?: string;
  action?: string;
  resourceType?: AuditResourceType;
  resourceId?: string;
  outcome?: AuditOutcome;
  environment?: KeyEnvironment;
  accountId?: string;
  since?: string;
  until?: string;
  after?: CursorPosition | null;
  limit: number;
}

const INSERT_SQL = `
INSERT INTO admin_audit_log (actor_type, actor_id, actor_label, action, resource_type, resource_id, environment,
                             account_id, api_key_id, api_key_name, before, after, reason, outcome, ip, user_agent, request_id)
VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8::uuid, $9::uuid, $10, $11::jsonb, $12::jsonb, $13, $14, $15, $16, $17)
RETURNING id`;

/** Truncated so a hostile header can never make the audit insert (and the change with it) fail. */
const clip = (value: string | null, max: number): string | null => (value === null ? null : value.slice(0, max));

/** The parameters of {@link INSERT_SQL}. */
export function auditParams(actor: AuditActor, record: AuditRecord): unknown[] {
  const isKey = actor.type === 'api_key';
  return [
    actor.type,
    actor.id,
    clip(actor.label, 320),
    record.action,
    record.resourceType,
    record.resourceId,
    record.environment ?? null,
    record.accountId ?? null,
    isKey ? actor.id : null,
    isKey ? clip(actor.label, 255) : null,
    record.before === undefined || record.before === null ? null : JSON.stringify(record.before),
    record.after === undefined || record.after === null ? null : JSON.stringify(record.after),
    record.reason ?? null,
    record.outcome ?? 'success',
    clip(actor.ip, 64),
    clip(actor.userAgent, 512),
    clip(actor.requestId, 128),
  ];
}

/** The actor columns, for statements that write their audit row in a CTE beside the change. */
export const ACTOR_COLUMNS = 'actor_type, actor_id, actor_label, api_key_id, api_key_name, request_id, ip, user_agent';

/** `$n, $n+1::uuid, …` placeholders for {@link ACTOR_COLUMNS}, starting at parameter `first`. */
export function actorPlaceholders(first: number): string {
  const casts = ['', '::uuid', '', '::uuid', '', '', '', ''];
  return casts.map((cast, i) => `$${first + i}${cast}`).join(', ');
}

/** The values for {@link actorPlaceholders}. */
export function actorParams(actor: AuditActor): unknown[] {
  const isKey = actor.type === 'api_key';
  return [
    actor.type,
    actor.id,
    clip(actor.label, 320),
    isKey ? actor.id : null,
    isKey ? clip(actor.label, 255) : null,
    clip(actor.requestId, 128),
    clip(actor.ip, 64),
    clip(actor.userAgent, 512),
  ];
}

/**
 * The one audit trail. Writers pass the transaction's manager so the row commits with the change
 * it describes; denied attempts and login failures are written on their own.
 */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(actor: AuditActor, record: AuditRecord, manager?: EntityManager): Promise<string> {
    const rows: Array<{ id: string }> = await (manager ?? this.db.manager).query(
      INSERT_SQL,
      auditParams(actor, record),
    );
    return rows[0].id;
  }

  /** Newest first, `limit + 1` rows (the extra one says there is another page). */
  async page(query: AuditQuery): Promise<AuditRow[]> {
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
    return this.db.query(
      `SELECT l.id, l.actor_type, l.actor_id, l.actor_label, l.action, l.resource_type, l.resource_id, l.environment,
              l.account_id, l.api_key_id, l.api_key_name, l.before, l.after, l.reason, l.outcome, l.ip, l.user_agent,
              l.request_id, l.created_at, ${CURSOR_TIME_SQL('l.created_at')} AS position
         FROM admin_audit_log l
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY l.created_at DESC, l.id DESC
        LIMIT $${params.length}`,
      params,
    );
  }

  /**
   * Unsuccessful rows (outcome `failure` or `denied`) of the given actions per bucket (`date_trunc`
   * unit), e.g. admin sign-in failures and refused step-ups per day.
   */
  countFailuresByBucket(
    actions: readonly string[],
    start: Date,
    end: Date,
    unit: string,
  ): Promise<Array<{ bucket: Date; count: string }>> {
    return this.db.query(
      `SELECT date_trunc($4, created_at, 'UTC') AS bucket, count(*) AS count FROM admin_audit_log
        WHERE action = ANY($1) AND outcome <> 'success' AND created_at >= $2 AND created_at < $3 GROUP BY 1 ORDER BY 1`,
      [actions, start.toISOString(), end.toISOString(), unit],
    );
  }
}
