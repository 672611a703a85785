import { Injectable } from '@nestjs/common';
import { PreparedQueries, preparedStatement } from '../common/database/prepared-queries.js';
import type { AccountAttributes, AccountKey } from './accounts.repository.js';
import { CREDIT_CHECK_SQL } from './sql/credit-check.sql.js';

const CHECK_AND_RECORD = preparedStatement('billing_credit_check', CREDIT_CHECK_SQL);

export interface CreditCheckRequest {
  attributes: AccountAttributes;
  /** For an account created by this check. */
  currency: string;
  freeUses: number;
  dailyFreeUses: number;
  /** UTC day the daily free uses are counted for. */
  today: string;
  /** The clock's now: holds past their expiry reserve nothing. */
  now: Date;
  apiKeyId: string | null;
  context: Record<string, unknown>;
}

/** The account as the check saw it, and the decision recorded in the audit row. */
export interface CreditCheckOutcome {
  status: 'active' | 'suspended' | 'closed';
  planName: string;
  balanceMinor: number;
  freeUsesRemaining: number;
  dailyFreeUsesLimit: number;
  /** Today's remaining daily free uses (the full limit on a day not yet used). */
  dailyFreeUsesRemaining: number;
  totalUses: number;
  hasCredit: boolean;
  reason: string | null;
  /** What the account's active holds reserve: balance, one-time free uses, today's daily free uses. */
  heldMinor: number;
  heldFreeUses: number;
  heldDailyFreeUses: number;
}

interface CreditCheckRow {
  status: CreditCheckOutcome['status'];
  plan_name: string;
  balance_minor: string;
  free_uses_remaining: number;
  daily_free_uses_limit: number;
  daily_left: number;
  total_uses: string;
  has_credit: boolean;
  reason: string | null;
  hold_minor: string;
  hold_free: number;
  hold_daily: number;
}

@Injectable()
export class CreditChecksRepository {
  constructor(private readonly prepared: PreparedQueries) {}

  /**
   * One autocommitted statement: find or create the account, refresh its attributes, decide and
   * record the audit row (so the audit never depends on another write committing).
   */
  async checkAndRecord(key: AccountKey, req: CreditCheckRequest): Promise<CreditCheckOutcome> {
    const a = req.attributes;
    const values = [
      key.environment,
      key.oauthProvider,
      key.externalId,
      a.waId ?? null,
      a.tenantId ?? null,
      a.customerEmail ?? null,
      a.displayName ?? null,
      a.userRole ?? null,
      a.agentId ?? null,
      req.currency,
      req.freeUses,
      req.dailyFreeUses,
      req.today,
      req.apiKeyId,
      JSON.stringify(req.context),
      req.now.toISOString(),
    ];
    let rows = await this.prepared.rows<CreditCheckRow>(CHECK_AND_RECORD, values);
    // Empty only when a concurrent check created the account after this statement's snapshot.
    if (rows.length === 0) rows = await this.prepared.rows<CreditCheckRow>(CHECK_AND_RECORD, values);
    const row = rows[0];
    return {
      status: row.status,
      planName: row.plan_name,
      balanceMinor: Number(row.balance_minor),
      freeUsesRemaining: row.free_uses_remaining,
      dailyFreeUsesLimit: row.daily_free_uses_limit,
      dailyFreeUsesRemaining: row.daily_left,
      totalUses: Number(row.total_uses),
      hasCredit: row.has_credit,
      reason: row.reason,
      heldMinor: Number(row.hold_minor),
      heldFreeUses: row.hold_free,
      heldDailyFreeUses: row.hold_daily,
    };
  }
}
