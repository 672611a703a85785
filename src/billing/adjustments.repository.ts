import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuditActor } from '../audit/audit-actor.js';
import { actorParams } from '../audit/audit.repository.js';
import { Clock, utcDay } from '../common/time/clock.js';
import type { AccountKey } from './accounts.repository.js';
import type { ExistingCreditRow } from './credits.repository.js';
import { LOCK_AVAILABLE_BY_KEY_SQL } from './sql/holds.sql.js';
import { ADJUST_SQL } from './sql/adjustments.sql.js';

/** Who asked for an adjustment (operator, API key, CLI) and in which request: written into its audit row. */
export type AdjustmentAuthor = AuditActor;

export interface AdjustmentRequest {
  /** Signed, non-zero. */
  amountMinor: number;
  /** null: the account's currency. */
  currency: string | null;
  reason: string;
  idempotencyKey: string;
  /** Why, in one word (correction, goodwill, …): kept in the audit row. */
  kind?: string | null;
}

export interface AdjustmentRow {
  id: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  balance_before: number;
  balance_after: number;
  description: string;
  idempotency_key: string;
  created_at: string;
  audit_id: string;
}

export interface AdjustmentOutcome {
  adjustment: AdjustmentRow | null;
  existing: ExistingCreditRow | null;
  /** `held_minor`: what active holds reserve, which a negative adjustment cannot take. */
  account: { id: string; status: string; currency: string; balance_minor: number; held_minor: number } | null;
}

/** Manual balance adjustments (billing:admin): the only way an operator moves a balance. */
@Injectable()
export class AdjustmentsRepository {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  async adjustBalance(key: AccountKey, req: AdjustmentRequest, author: AdjustmentAuthor): Promise<AdjustmentOutcome> {
    if (req.amountMinor < 0) {
      // Holds past their expiry reserve nothing: record them first, so `held_minor` is what active
      // holds reserve (one that expires in between only makes the adjustment more careful).
      const now = this.clock.now();
      await this.db.query(LOCK_AVAILABLE_BY_KEY_SQL, [
        key.environment,
        key.oauthProvider,
        key.externalId,
        utcDay(now),
        now.toISOString(),
      ]);
    }
    const rows: AdjustmentOutcome[] = await this.db.query(ADJUST_SQL, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      req.amountMinor,
      req.currency,
      req.idempotencyKey,
      req.reason,
      ...actorParams(author),
      req.kind ?? null,
    ]);
    return rows[0];
  }
}
