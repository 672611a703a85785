import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import type { Account } from './account.entity.js';
import { accountFromRow } from './account-row.js';

export interface AccountKey {
  environment: KeyEnvironment;
  oauthProvider: string;
  externalId: string;
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

@Injectable()
export class AccountsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findByKey(key: AccountKey): Promise<Account | null> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT * FROM accounts WHERE environment = $1 AND oauth_provider = $2 AND external_id = $3`,
      [key.environment, key.oauthProvider, key.externalId],
    );
    return rows[0] ? accountFromRow(rows[0]) : null;
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
    const rows: Record<string, unknown>[] = await this.db.query(
      `WITH created AS (
         INSERT INTO accounts (environment, oauth_provider, external_id, wa_id, tenant_id, customer_email,
                               display_name, user_role, agent_id, currency, plan_name, balance_minor,
                               free_uses_remaining, daily_free_uses_limit, daily_free_uses_remaining, daily_free_uses_day)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, COALESCE($11, 'free'), $12, $13, $14, $14, $15::date)
         ON CONFLICT (environment, oauth_provider, external_id) DO NOTHING
         RETURNING *
       ), grant_credit AS (
         INSERT INTO credits (account_id, environment, amount_minor, currency, transaction_type, description,
                              balance_after, api_key_id)
         SELECT id, environment, balance_minor, currency, 'grant', 'Initial balance', balance_minor, $16
           FROM created WHERE balance_minor > 0
       )
       SELECT * FROM created`,
      [
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
      ],
    );
    return rows[0] ? accountFromRow(rows[0]) : null;
  }
}
