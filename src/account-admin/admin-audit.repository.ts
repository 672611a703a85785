import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { AdminAction } from './admin-actions.js';
import { ADMIN_AUDIT_COUNT_SQL, ADMIN_AUDIT_PAGE_SQL } from './sql/admin-audit.sql.js';

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
    const params = [filter.environment, filter.accountId ?? null, filter.action ?? null];
    const [rows, count] = await Promise.all([
      this.db.query(ADMIN_AUDIT_PAGE_SQL, [...params, filter.limit, filter.offset]) as Promise<AuditRow[]>,
      this.db.query(ADMIN_AUDIT_COUNT_SQL, params) as Promise<Array<{ total: number }>>,
    ]);
    return { rows, total: count[0].total };
  }
}
