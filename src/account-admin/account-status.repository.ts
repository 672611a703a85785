import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AccountKey } from '../billing/accounts.repository.js';
import type { AccountStatus } from '../billing/account.entity.js';
import type { AuditActor } from '../audit/audit-actor.js';
import { actorParams } from '../audit/audit.repository.js';
import type { AdminAction } from './admin-actions.js';
import { CHANGE_STATUS_SQL } from './sql/account-status.sql.js';

export interface StatusChangeRequest {
  action: AdminAction;
  to: AccountStatus;
  /** Statuses the change is allowed from; anything else leaves the account as it is. */
  from: AccountStatus[];
  reason: string;
}

export interface StatusChangeOutcome {
  /** The account as it was (locked), or null when it does not exist. */
  before: { id: string; status: AccountStatus; status_reason: string | null } | null;
  /** The account after the change, or null when the transition was not allowed. */
  account: {
    id: string;
    oauth_provider: string;
    external_id: string;
    status: AccountStatus;
    status_reason: string | null;
    balance_minor: number;
    updated_at: string;
  } | null;
  audit: { id: string; created_at: string } | null;
}

@Injectable()
export class AccountStatusRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async changeStatus(key: AccountKey, change: StatusChangeRequest, actor: AuditActor): Promise<StatusChangeOutcome> {
    const rows: StatusChangeOutcome[] = await this.db.query(CHANGE_STATUS_SQL, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      change.to,
      change.reason,
      change.from,
      change.action,
      ...actorParams(actor),
    ]);
    return rows[0];
  }
}
