import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { AdminAction } from './admin-actions.js';

export interface AuditRow {
  id: string;
  environment: KeyEnvironment;
  account_id: string;
  oauth_provider: string;
  external_id: string;
  action: AdminAction;
  actor_type: string;
  actor_label: string;
  api_key_id: string | null;
  api_key_name: string | null;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  reason: string;
  request_id: string;
  created_at: Date;
}

export interface AuditFilter {
  environment: KeyEnvironment;
  accountId?: string;
  action?: AdminAction;
  limit: number;
  offset: number;
}

/**
 * Reads of the admin audit trail, newest first. Rows are written by the statements that make the
 * change (AccountStatusRepository here, billing's AdjustmentsRepository), so a change and its audit row commit together.
 */
@Injectable()
export class AdminAuditRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async page(filter: AuditFilter): Promise<{ rows: AuditRow[]; total: number }> {
    const where = `l.environment = $1 AND ($2::uuid IS NULL OR l.account_id = $2::uuid) AND ($3::text IS NULL OR l.action = $3::text)`;
    const params = [filter.environment, filter.accountId ?? null, filter.action ?? null];
    const [rows, count] = await Promise.all([
      this.db.query(
        `SELECT l.id, l.environment, l.account_id, a.oauth_provider, a.external_id, l.action, l.actor_type, l.actor_label,
                l.api_key_id, l.api_key_name, l.before, l.after, l.reason, l.request_id, l.created_at
           FROM admin_audit_log l JOIN accounts a ON a.id = l.account_id
          WHERE ${where}
          ORDER BY l.created_at DESC, l.id DESC
          LIMIT $4 OFFSET $5`,
        [...params, filter.limit, filter.offset],
      ) as Promise<AuditRow[]>,
      this.db.query(`SELECT count(*)::int AS total FROM admin_audit_log l WHERE ${where}`, params) as Promise<
        Array<{ total: number }>
      >,
    ]);
    return { rows, total: count[0].total };
  }
}
