import { Injectable } from '@nestjs/common';
import { AccountAdminService } from '../account-admin/account-admin.service.js';
import { AdminAuthService } from '../admin-auth/admin-auth.service.js';
import { actorOf, type AdminContext } from '../admin-auth/admin-auth.types.js';
import type { Account } from '../billing/account.entity.js';
import { decodeCursor, pageOf } from '../common/pagination/cursor.js';
import { Clock, utcDay } from '../common/time/clock.js';
import { Env } from '../config/env.js';
import { ConfirmationMismatchError } from './admin-console.errors.js';
import type {
  AccountDetailResponse,
  ActiveHold,
  AccountListResponse,
  AccountStatusChangeResponse,
  AccountSummary,
  AdjustmentResponse,
  CreditChecksResponse,
  LedgerResponse,
} from './contract.js';
import type {
  AccountStatusChangeDto,
  AdjustmentDto,
  CloseAccountDto,
  LedgerQueryDto,
  ListAccountsQueryDto,
} from './dto/accounts.dto.js';
import type { PageQueryDto } from './dto/common.dto.js';
import { iso } from './presenters.js';

const DAY_MS = 86_400_000;
/** How many of an account's active holds its page lists. */
const ACTIVE_HOLDS_SHOWN = 20;

export function accountSummary(a: Account): AccountSummary {
  return {
    id: a.id,
    environment: a.environment,
    oauth_provider: a.oauthProvider,
    external_id: a.externalId,
    customer_email: a.customerEmail,
    display_name: a.displayName,
    status: a.status,
    status_reason: a.statusReason,
    balance_minor: a.balanceMinor,
    currency: a.currency,
    total_uses: a.totalUses,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
  };
}

/** The console's account pages and actions, through the same AccountAdminService as the billing:admin routes. */
@Injectable()
export class ConsoleAccountsService {
  constructor(
    private readonly accounts: AccountAdminService,
    private readonly auth: AdminAuthService,
    private readonly clock: Clock,
    private readonly env: Env,
  ) {}

  async search(query: ListAccountsQueryDto): Promise<AccountListResponse> {
    const rows = await this.accounts.search({
      environment: query.environment,
      q: query.q || undefined,
      status: query.status,
      provider: query.provider,
      after: decodeCursor(query.cursor),
      limit: query.limit,
    });
    return pageOf(rows, query.limit, accountSummary, (r) => r.position);
  }

  async detail(accountId: string): Promise<AccountDetailResponse> {
    const now = this.clock.now();
    const today = utcDay(now);
    const { account, held } = await this.accounts.findWithHoldsById(accountId, today, now);
    const firstDay = utcDay(new Date(Date.parse(`${today}T00:00:00Z`) - 29 * DAY_MS));
    const [purchases, daily, holds] = await Promise.all([
      this.accounts.recentPurchases(accountId, 10),
      this.accounts.dailyUses(accountId, firstDay),
      this.accounts.activeHolds(accountId, ACTIVE_HOLDS_SHOWN, now),
    ]);
    const byDay = new Map(daily.map((d) => [d.day, d]));
    const usage = Array.from({ length: 30 }, (_, i) => {
      const date = utcDay(new Date(Date.parse(`${firstDay}T00:00:00Z`) + i * DAY_MS));
      const d = byDay.get(date);
      return {
        date,
        uses: Number(d?.uses ?? 0),
        paid_uses: Number(d?.paid_uses ?? 0),
        free_uses: Number(d?.free_uses ?? 0),
      };
    });
    return {
      account: {
        ...accountSummary(account),
        wa_id: account.waId,
        tenant_id: account.tenantId,
        user_role: account.userRole,
        agent_id: account.agentId,
        plan_name: account.planName,
        free_uses_remaining: account.freeUsesRemaining,
        daily_free_uses_limit: account.dailyFreeUsesLimit,
        // The daily allowance resets at 00:00 UTC; the row is only rewritten on the next use.
        daily_free_uses_remaining:
          account.dailyFreeUsesDay === today ? account.dailyFreeUsesRemaining : account.dailyFreeUsesLimit,
        held_minor: held.minor,
        free_uses_held: held.freeUses,
        daily_free_uses_held: held.dailyFreeUses,
        available_minor: account.balanceMinor - held.minor,
        active_holds: holds.map((h) => ({
          id: h.id,
          amount_minor: Number(h.amount_minor),
          currency: h.currency,
          funded_by: h.funded_by as ActiveHold['funded_by'],
          description: h.description,
          metadata: h.metadata,
          created_at: iso(h.created_at),
          expires_at: iso(h.expires_at),
        })),
        active_holds_total: Number(holds[0]?.total ?? 0),
        usage_30d: usage,
        recent_purchases: purchases.map((p) => ({
          id: p.id,
          payment_id: p.payment_id,
          amount_minor: Number(p.amount_minor),
          currency: p.currency,
          uses_purchased: Number(p.uses_purchased),
          status: p.status,
          created_at: iso(p.created_at),
        })),
      },
    };
  }

  async ledger(accountId: string, query: LedgerQueryDto): Promise<LedgerResponse> {
    const rows = await this.accounts.ledger(accountId, {
      type: query.type,
      transactionType: query.transaction_type,
      after: decodeCursor(query.cursor),
      limit: query.limit,
    });
    return pageOf(
      rows,
      query.limit,
      (r) => ({
        id: r.id,
        type: r.type,
        transaction_type: r.transaction_type,
        amount_minor: Number(r.amount_minor),
        balance_change_minor: Number(r.balance_change_minor),
        currency: r.currency,
        description: r.description,
        balance_after: Number(r.balance_after),
        idempotency_key: r.idempotency_key,
        funding_source: r.funding_source,
        api_key_id: r.api_key_id,
        created_at: iso(r.created_at),
      }),
      (r) => r.position,
    );
  }

  async creditChecks(accountId: string, query: PageQueryDto): Promise<CreditChecksResponse> {
    const rows = await this.accounts.creditChecks(accountId, decodeCursor(query.cursor), query.limit);
    return pageOf(
      rows,
      query.limit,
      (r) => ({
        id: r.id,
        has_credit: r.has_credit,
        reason: r.reason,
        context: r.context,
        api_key_id: r.api_key_id,
        created_at: iso(r.created_at),
      }),
      (r) => r.position,
    );
  }

  suspend(ctx: AdminContext, accountId: string, dto: AccountStatusChangeDto): Promise<AccountStatusChangeResponse> {
    return this.changeStatus(ctx, accountId, 'suspend', dto.reason);
  }

  reactivate(ctx: AdminContext, accountId: string, dto: AccountStatusChangeDto): Promise<AccountStatusChangeResponse> {
    return this.changeStatus(ctx, accountId, 'reactivate', dto.reason);
  }

  async close(ctx: AdminContext, accountId: string, dto: CloseAccountDto): Promise<AccountStatusChangeResponse> {
    const account = await this.accounts.findById(accountId);
    if (dto.confirm_external_id !== account.externalId) throw new ConfirmationMismatchError();
    return this.changeStatus(ctx, accountId, 'close', dto.reason);
  }

  /** Step-up when |amount| is above ADMIN_ADJUSTMENT_STEP_UP_THRESHOLD_MINOR. */
  async adjust(ctx: AdminContext, accountId: string, dto: AdjustmentDto): Promise<AdjustmentResponse> {
    if (Math.abs(dto.amount_minor) > this.env.ADMIN_ADJUSTMENT_STEP_UP_THRESHOLD_MINOR) {
      await this.auth.requireStepUp(ctx, 'adjust_balance');
    }
    const account = await this.accounts.findById(accountId);
    const result = await this.accounts.adjustAccount(
      { environment: account.environment, oauthProvider: account.oauthProvider, externalId: account.externalId },
      {
        amountMinor: dto.amount_minor,
        currency: null,
        reason: dto.reason,
        idempotencyKey: dto.idempotency_key,
        kind: dto.kind,
      },
      actorOf(ctx),
    );
    return {
      adjustment_id: result.id,
      account_id: result.account_id,
      amount_minor: Number(result.amount_minor),
      kind: dto.kind,
      currency: result.currency,
      balance_before: Number(result.balance_before),
      balance_after: Number(result.balance_after),
      reason: result.description,
      idempotency_key: result.idempotency_key,
      created_at: iso(result.created_at),
      audit_id: result.audit_id,
    };
  }

  private async changeStatus(
    ctx: AdminContext,
    accountId: string,
    action: 'suspend' | 'reactivate' | 'close',
    reason: string,
  ): Promise<AccountStatusChangeResponse> {
    const account = await this.accounts.findById(accountId);
    const result = await this.accounts.applyStatusChange(
      { environment: account.environment, oauthProvider: account.oauthProvider, externalId: account.externalId },
      action,
      reason,
      actorOf(ctx),
    );
    const changed = await this.accounts.findById(accountId);
    return { account: accountSummary(changed), previous_status: result.previousStatus, audit_id: result.auditId };
  }
}
