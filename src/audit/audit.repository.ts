import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { CursorPosition } from '../common/pagination/cursor.js';
import type { AuditActor } from './audit-actor.js';
import type { AuditActorType, AuditOutcome, AuditResourceType } from './audit-entry.entity.js';
import { auditPageQuery, COUNT_FAILURES_BY_BUCKET_SQL, INSERT_SQL } from './sql/audit.sql.js';

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
    const { text, params } = auditPageQuery(query);
    return this.db.query(text, params);
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
    return this.db.query(COUNT_FAILURES_BY_BUCKET_SQL, [actions, start.toISOString(), end.toISOString(), unit]);
  }
}
