import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { Account } from './account.entity.js';
import { accountFromRow } from './account-row.js';
import { FIND_ACCOUNT_BY_KEY_SQL, FIND_ACCOUNT_WITH_HOLDS_BY_KEY_SQL, OPEN_ACCOUNT_SQL } from './sql/accounts.sql.js';

export interface AccountKey {
  environment: KeyEnvironment;
  oauthProvider: string;
  externalId: string;
}

/** The account a request names: its API key's environment and the identity in the request. */
export function accountKeyOf(
  principal: { environment: KeyEnvironment },
  id: { oauth_provider: string; external_id: string },
): AccountKey {
  return { environment: principal.environment, oauthProvider: id.oauth_provider, externalId: id.external_id };
}

/** Attributes that are filled in when first seen and updated when a credit check brings a new value. */
export interface AccountAttributes {
  waId?: string | null;
  tenantId?: string | null;
  customerEmail?: string | null;
  displayName?: string | null;
  userRole?: string | null;
  agentId?: string | null;
}

export interface NewAccountDefaults {
  currency: string;
  planName?: string;
  freeUses: number;
  dailyFreeUses: number;
  today: string;
  initialBalanceMinor?: number;
  apiKeyId?: string | null;
}

/** What an account's active, unexpired holds reserve at one instant (SPEC §11). */
export interface HeldNow {
  minor: number;
  freeUses: number;
  /** Of today's daily free uses. */
  dailyFreeUses: number;
}

export const NOTHING_HELD: HeldNow = { minor: 0, freeUses: 0, dailyFreeUses: 0 };

@Injectable()
export class AccountsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findByKey(key: AccountKey): Promise<Account | null> {
    const rows: Record<string, unknown>[] = await this.db.query(FIND_ACCOUNT_BY_KEY_SQL, [
      key.environment,
      key.oauthProvider,
      key.externalId,
    ]);
    return rows[0] ? accountFromRow(rows[0]) : null;
  }

  /**
   * The account and what its active holds reserve, expiry decided by the clock at `now` (a hold past
   * `expires_at` reserves nothing even before a statement records it as expired), in one snapshot.
   */
  async findWithHoldsByKey(
    key: AccountKey,
    today: string,
    now: Date,
  ): Promise<{ account: Account; held: HeldNow } | null> {
    const rows: Record<string, unknown>[] = await this.db.query(FIND_ACCOUNT_WITH_HOLDS_BY_KEY_SQL, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      today,
      now.toISOString(),
    ]);
    const row = rows[0];
    if (!row) return null;
    return {
      account: accountFromRow(row),
      held: { minor: Number(row.hold_minor), freeUses: Number(row.hold_free), dailyFreeUses: Number(row.hold_daily) },
    };
  }

  /**
   * Inserts the account unless it exists; an initial balance is recorded as a `grant` credit in the
   * same statement, so the balance equals its ledger from the first moment. Returns null when the
   * account already existed.
   */
  async insertIfAbsent(
    key: AccountKey,
    attrs: AccountAttributes,
    defaults: NewAccountDefaults,
  ): Promise<Account | null> {
    const initial = defaults.initialBalanceMinor ?? 0;
    const rows: Record<string, unknown>[] = await this.db.query(OPEN_ACCOUNT_SQL, [
      key.environment,
      key.oauthProvider,
      key.externalId,
      attrs.waId ?? null,
      attrs.tenantId ?? null,
      attrs.customerEmail ?? null,
      attrs.displayName ?? null,
      attrs.userRole ?? null,
      attrs.agentId ?? null,
      defaults.currency,
      defaults.planName ?? null,
      initial,
      defaults.freeUses,
      defaults.dailyFreeUses,
      defaults.today,
      defaults.apiKeyId ?? null,
    ]);
    return rows[0] ? accountFromRow(rows[0]) : null;
  }
}
