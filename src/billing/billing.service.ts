import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { Clock, isoTimestamp, utcDay } from '../common/time/clock.js';
import type { Principal } from '../auth/principal.js';
import type { Account } from './account.entity.js';
import {
  accountKeyOf,
  AccountsRepository,
  NOTHING_HELD,
  type AccountAttributes,
  type AccountKey,
  type HeldNow,
} from './accounts.repository.js';
import {
  AccountClosedError,
  AccountNotFoundError,
  AccountSuspendedError,
  BalanceLimitExceededError,
  ChargeExistsError,
  CreditExistsError,
  CurrencyMismatchError,
  IdempotencyConflictError,
  InsufficientCreditsError,
} from './billing.errors.js';
import { ChargesRepository, type ExistingChargeRow } from './charges.repository.js';
import { CreditChecksRepository, type CreditCheckOutcome } from './credit-checks.repository.js';
import { CreditsRepository } from './credits.repository.js';
import type { AccountAttributesDto, AccountIdentityDto } from './dto/account-identity.dto.js';
import type { AccountResponse, CreateAccountDto } from './dto/create-account.dto.js';
import type { ChargeResponse, CreateChargeDto } from './dto/create-charge.dto.js';
import type { CreateCreditDto, CreditResponse } from './dto/create-credit.dto.js';
import type { CreditCheckDto, CreditCheckResponse } from './dto/credit-check.dto.js';
import type { ListTransactionsQueryDto, TransactionListResponse } from './dto/list-transactions.dto.js';
import { LedgerRepository } from './ledger.repository.js';
import { rethrowAsDuplicate, violatedConstraint } from './postgres-errors.js';

const attributesOf = (dto: AccountAttributesDto): AccountAttributes => ({
  waId: dto.wa_id,
  tenantId: dto.tenant_id,
  customerEmail: dto.customer_email,
  displayName: dto.display_name,
  userRole: dto.user_role,
  agentId: dto.agent_id,
});

/** Strips null/undefined so stored JSON carries only what the client sent. */
const compact = (obj: object | null | undefined): Record<string, unknown> =>
  Object.fromEntries(Object.entries(obj ?? {}).filter(([, v]) => v !== undefined && v !== null));

@Injectable()
export class BillingService {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly charges: ChargesRepository,
    private readonly credits: CreditsRepository,
    private readonly checks: CreditChecksRepository,
    private readonly ledger: LedgerRepository,
    private readonly env: Env,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  async getOrCreateAccount(principal: Principal, dto: CreateAccountDto): Promise<AccountResponse> {
    const key = accountKeyOf(principal, dto);
    const existing = await this.findWithHolds(key);
    if (existing) return existing;
    const created = await this.insertAccount(principal, key, dto);
    if (created) return this.toAccountResponse(created, NOTHING_HELD);
    // Created concurrently by another request: report it as it is now.
    const raced = await this.findWithHolds(key);
    if (!raced) throw new AccountNotFoundError();
    return raced;
  }

  /** The account, created first (with its initial grant, if any) when it does not exist yet. */
  async openAccount(principal: Principal, dto: CreateAccountDto): Promise<Account> {
    const key = accountKeyOf(principal, dto);
    const existing = await this.accounts.findByKey(key);
    if (existing) return existing;
    return (await this.insertAccount(principal, key, dto)) ?? (await this.mustFind(key));
  }

  private insertAccount(principal: Principal, key: AccountKey, dto: CreateAccountDto): Promise<Account | null> {
    return this.accounts.insertIfAbsent(key, attributesOf(dto), {
      ...this.newAccountDefaults(principal),
      currency: dto.currency ?? this.env.DEFAULT_CURRENCY,
      planName: dto.plan_name,
      initialBalanceMinor: dto.initial_balance_minor ?? 0,
    });
  }

  async getAccount(principal: Principal, id: AccountIdentityDto): Promise<AccountResponse> {
    const account = await this.findWithHolds(accountKeyOf(principal, id));
    if (!account) throw new AccountNotFoundError();
    return account;
  }

  /** The account body with what active holds reserve by the clock now (the credit check's rule). */
  private async findWithHolds(key: AccountKey): Promise<AccountResponse | null> {
    const now = this.clock.now();
    const found = await this.accounts.findWithHoldsByKey(key, utcDay(now), now);
    return found ? this.toAccountResponse(found.account, found.held) : null;
  }

  async checkCredit(principal: Principal, dto: CreditCheckDto): Promise<CreditCheckResponse> {
    const now = this.clock.now();
    const outcome = await this.checks.checkAndRecord(accountKeyOf(principal, dto), {
      attributes: attributesOf(dto),
      currency: this.env.DEFAULT_CURRENCY,
      freeUses: this.env.FREE_USES_PER_ACCOUNT,
      dailyFreeUses: this.env.DAILY_FREE_USES,
      today: utcDay(now),
      now,
      apiKeyId: principal.keyId,
      context: compact(dto.context),
    });
    const response = this.creditDecision(outcome);
    this.metrics.creditCheck(response.has_credit);
    return response;
  }

  charge(principal: Principal, dto: CreateChargeDto): Promise<ChargeResponse> {
    return this.metrics.countCharge(this.chargeOnce(principal, dto));
  }

  addCredit(principal: Principal, dto: CreateCreditDto): Promise<CreditResponse> {
    return this.metrics.countCredit(dto.transaction_type ?? 'purchase', this.addCreditOnce(principal, dto));
  }

  private async chargeOnce(principal: Principal, dto: CreateChargeDto): Promise<ChargeResponse> {
    const key = accountKeyOf(principal, dto);
    const now = this.clock.now();
    const request = {
      amountMinor: dto.amount_minor,
      currency: dto.currency ?? null,
      description: dto.description,
      idempotencyKey: dto.idempotency_key ?? null,
      metadata: compact(dto.metadata),
      today: utcDay(now),
      now,
      apiKeyId: principal.keyId,
    };
    let outcome;
    try {
      outcome = await this.charges.charge(key, request);
    } catch (error) {
      const idempotencyKey = request.idempotencyKey;
      if (!idempotencyKey) throw error;
      return rethrowAsDuplicate(
        error,
        'uq_charges_idempotency',
        () => this.charges.findByIdempotencyKey(key, idempotencyKey),
        (existing) => this.throwDuplicateCharge(existing, dto),
      );
    }
    const { charge, existing, account } = outcome;
    if (!account) throw new AccountNotFoundError();
    if (existing) this.throwDuplicateCharge(existing, dto);
    if (!charge) {
      // The statement's snapshot may predate a change it then waited for (a suspension, a debit):
      // explain the refusal from the account as it is now. A concurrent copy of this very request
      // may be that debit: its charge answers (409), not the credit it spent (402).
      if (request.idempotencyKey) {
        const duplicate = await this.charges.findByIdempotencyKey(key, request.idempotencyKey);
        if (duplicate) this.throwDuplicateCharge(duplicate, dto);
      }
      const current = await this.mustFind(key);
      if (current.status === 'suspended') throw new AccountSuspendedError();
      if (current.status === 'closed') throw new AccountClosedError();
      if (dto.currency && dto.currency !== current.currency) {
        throw new CurrencyMismatchError(current.currency, dto.currency);
      }
      // What holds do not reserve (the statement just recorded any that expired).
      throw new InsufficientCreditsError(current.balanceMinor - current.heldMinor, dto.amount_minor);
    }
    return {
      charge_id: charge.id,
      account_id: charge.account_id,
      amount_minor: Number(charge.amount_minor),
      currency: charge.currency,
      balance_after: Number(charge.balance_after),
      created_at: isoTimestamp(charge.created_at),
      description: charge.description,
      metadata: charge.metadata,
    };
  }

  private async addCreditOnce(principal: Principal, dto: CreateCreditDto): Promise<CreditResponse> {
    const key = accountKeyOf(principal, dto);
    const transactionType = dto.transaction_type ?? 'purchase';
    const request = {
      amountMinor: dto.amount_minor,
      currency: dto.currency ?? null,
      transactionType,
      description: dto.description ?? `Credit (${transactionType})`,
      externalTransactionId: dto.external_transaction_id ?? null,
      idempotencyKey: dto.idempotency_key ?? null,
      apiKeyId: principal.keyId,
    };
    let outcome;
    try {
      outcome = await this.credits.credit(key, request);
    } catch (error) {
      const constraint = violatedConstraint(error);
      if (constraint === 'chk_accounts_balance_limit') throw new BalanceLimitExceededError();
      const idempotencyKey = request.idempotencyKey;
      if (!idempotencyKey) throw error;
      return rethrowAsDuplicate(
        error,
        'uq_credits_idempotency',
        () => this.credits.findByIdempotencyKey(key, idempotencyKey),
        (existing) => {
          throw new CreditExistsError(existing.id);
        },
      );
    }
    const { credit, existing, account } = outcome;
    if (!account) throw new AccountNotFoundError();
    if (existing) throw new CreditExistsError(existing.id);
    if (!credit) {
      // As for charges: the account as it is now, not as the statement's snapshot saw it.
      const current = await this.mustFind(key);
      if (current.status === 'closed') throw new AccountClosedError();
      throw new CurrencyMismatchError(current.currency, dto.currency ?? current.currency);
    }
    return {
      credit_id: credit.id,
      account_id: credit.account_id,
      amount_minor: Number(credit.amount_minor),
      currency: credit.currency,
      balance_after: Number(credit.balance_after),
      transaction_type: credit.transaction_type,
      description: credit.description,
      external_transaction_id: credit.external_transaction_id,
      created_at: isoTimestamp(credit.created_at),
    };
  }

  async listTransactions(principal: Principal, query: ListTransactionsQueryDto): Promise<TransactionListResponse> {
    const account = await this.accounts.findByKey(accountKeyOf(principal, query));
    if (!account) return { transactions: [], total_count: 0, has_more: false };
    const { rows, total } = await this.ledger.page(account.id, query.limit, query.offset);
    return {
      transactions: rows.map((r) => ({
        transaction_id: r.id,
        type: r.type,
        transaction_type: r.transaction_type,
        amount_minor: Number(r.amount_minor),
        balance_change_minor: Number(r.balance_change_minor),
        currency: r.currency,
        description: r.description,
        balance_after: Number(r.balance_after),
        created_at: isoTimestamp(r.created_at),
        metadata: r.metadata,
        funding_source: r.funding_source,
        external_transaction_id: r.external_transaction_id,
        hold_id: r.hold_id,
        refunded_minor: r.refunded_minor === null ? null : Number(r.refunded_minor),
        refund_ids: r.refund_ids,
        charge_id: r.charge_id,
      })),
      total_count: total,
      has_more: query.offset + rows.length < total,
    };
  }

  private newAccountDefaults(principal: Principal) {
    return {
      freeUses: this.env.FREE_USES_PER_ACCOUNT,
      dailyFreeUses: this.env.DAILY_FREE_USES,
      today: utcDay(this.clock.now()),
      apiKeyId: principal.keyId,
    };
  }

  private async mustFind(key: AccountKey): Promise<Account> {
    const account = await this.accounts.findByKey(key);
    if (!account) throw new AccountNotFoundError();
    return account;
  }

  private throwDuplicateCharge(existing: ExistingChargeRow, dto: CreateChargeDto): never {
    const sameParameters =
      Number(existing.amount_minor) === dto.amount_minor &&
      (dto.currency === undefined || dto.currency === existing.currency) &&
      existing.description === dto.description;
    if (!sameParameters) throw new IdempotencyConflictError();
    throw new ChargeExistsError(existing.id);
  }

  private dailyFreeRemaining(account: Account): number {
    return account.dailyFreeUsesDay === utcDay(this.clock.now())
      ? account.dailyFreeUsesRemaining
      : account.dailyFreeUsesLimit;
  }

  /** The response for a check; `has_credit` and `reason` are the decision the statement recorded. */
  private creditDecision(outcome: CreditCheckOutcome): CreditCheckResponse {
    const active = outcome.status === 'active';
    return {
      has_credit: outcome.hasCredit,
      // Suspended or closed accounts show nothing spendable, so agents cannot serve them; active
      // ones show what holds leave free (SPEC §11).
      credits_remaining: active ? outcome.balanceMinor - outcome.heldMinor : 0,
      plan_name: outcome.planName,
      reason: outcome.reason,
      free_uses_remaining: active ? outcome.freeUsesRemaining - outcome.heldFreeUses : 0,
      total_uses: outcome.totalUses,
      daily_free_uses_remaining: active ? outcome.dailyFreeUsesRemaining - outcome.heldDailyFreeUses : 0,
      daily_free_uses_limit: outcome.dailyFreeUsesLimit,
      ...this.purchaseQuote(outcome.hasCredit),
      held_minor: active ? outcome.heldMinor : 0,
      free_uses_held: active ? outcome.heldFreeUses : 0,
      daily_free_uses_held: active ? outcome.heldDailyFreeUses : 0,
    };
  }

  /** SPEC §4: a purchase is required exactly when there is no credit, and then it is quoted. */
  private purchaseQuote(hasCredit: boolean) {
    return {
      purchase_required: !hasCredit,
      purchase_price_minor: hasCredit ? 0 : this.env.PURCHASE_PRICE_MINOR,
      purchase_uses: hasCredit ? 0 : this.env.PURCHASE_USES,
    };
  }

  private toAccountResponse(a: Account, held: HeldNow): AccountResponse {
    return {
      account_id: a.id,
      oauth_provider: a.oauthProvider,
      external_id: a.externalId,
      wa_id: a.waId,
      tenant_id: a.tenantId,
      customer_email: a.customerEmail,
      display_name: a.displayName,
      user_role: a.userRole,
      agent_id: a.agentId,
      balance_minor: a.balanceMinor,
      paid_credits: a.balanceMinor,
      currency: a.currency,
      plan_name: a.planName,
      status: a.status,
      free_uses_remaining: a.freeUsesRemaining,
      daily_free_uses_remaining: this.dailyFreeRemaining(a),
      daily_free_uses_limit: a.dailyFreeUsesLimit,
      total_uses: a.totalUses,
      created_at: a.createdAt.toISOString(),
      updated_at: a.updatedAt.toISOString(),
      held_minor: held.minor,
      available_minor: a.balanceMinor - held.minor,
      free_uses_held: held.freeUses,
      daily_free_uses_held: held.dailyFreeUses,
    };
  }
}
