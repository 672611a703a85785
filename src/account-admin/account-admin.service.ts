import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { apiKeyActor, type AuditActor } from '../audit/audit-actor.js';
import type { Account } from '../billing/account.entity.js';
import {
  AdjustmentsRepository,
  type AdjustmentRequest,
  type AdjustmentRow,
} from '../billing/adjustments.repository.js';
import { accountKeyOf, AccountsRepository, type AccountKey, type HeldNow } from '../billing/accounts.repository.js';
import type { AccountStatus } from '../billing/account.entity.js';
import { CreditsRepository, type ExistingCreditRow } from '../billing/credits.repository.js';
import {
  AccountClosedError,
  AccountNotFoundError,
  BalanceLimitExceededError,
  CurrencyMismatchError,
  IdempotencyConflictError,
  InsufficientCreditsError,
} from '../billing/billing.errors.js';
import type { AccountIdentityDto } from '../billing/dto/account-identity.dto.js';
import { rethrowAsDuplicate, violatedConstraint } from '../billing/postgres-errors.js';
import { isoTimestamp } from '../common/time/clock.js';
import type { CursorPosition } from '../common/pagination/cursor.js';
import {
  AccountLookupRepository,
  type AccountSearch,
  type ActiveHoldRow,
  type AdminLedgerRow,
  type CreditCheckRow,
  type PurchaseRow,
} from './account-lookup.repository.js';
import { AccountStatusRepository, type StatusChangeOutcome } from './account-status.repository.js';
import { AdminAuditRepository } from './admin-audit.repository.js';
import { AccountClosedFinalError, AccountStatusUnchangedError, AdjustmentExistsError } from './account-admin.errors.js';
import type { AccountStatusChangeDto, AccountStatusResponse } from './dto/account-status-change.dto.js';
import type { AdjustmentResponse, CreateAdjustmentDto } from './dto/create-adjustment.dto.js';
import type { AuditListResponse, ListAuditQueryDto } from './dto/list-audit.dto.js';

/** Status transitions an admin may make. Closed is final: nothing leads out of it. */
const TRANSITIONS: Record<'suspend' | 'reactivate' | 'close', { to: AccountStatus; from: AccountStatus[] }> = {
  suspend: { to: 'suspended', from: ['active'] },
  reactivate: { to: 'active', from: ['suspended'] },
  close: { to: 'closed', from: ['active', 'suspended'] },
};

export type StatusAction = keyof typeof TRANSITIONS;

const actorOf = (principal: Principal, requestId: string): AuditActor => apiKeyActor(principal, { requestId });

/** A status change that happened: the account after it, its status before, the audit row. */
export interface AppliedStatusChange {
  previousStatus: AccountStatus;
  account: NonNullable<StatusChangeOutcome['account']>;
  auditId: string;
}

/**
 * billing:admin operations: account status changes and manual balance adjustments, each written
 * together with its audit row, and reads of that audit trail. Accounts are scoped to the key's environment.
 */
@Injectable()
export class AccountAdminService {
  constructor(
    private readonly statuses: AccountStatusRepository,
    private readonly adjustments: AdjustmentsRepository,
    private readonly audit: AdminAuditRepository,
    private readonly accounts: AccountsRepository,
    private readonly credits: CreditsRepository,
    private readonly lookup: AccountLookupRepository,
  ) {}

  async changeStatus(
    principal: Principal,
    id: AccountIdentityDto,
    action: StatusAction,
    dto: AccountStatusChangeDto,
    requestId: string,
  ): Promise<AccountStatusResponse> {
    const { account, previousStatus, auditId } = await this.applyStatusChange(
      accountKeyOf(principal, id),
      action,
      dto.reason,
      actorOf(principal, requestId),
    );
    return {
      account_id: account.id,
      oauth_provider: account.oauth_provider,
      external_id: account.external_id,
      status: account.status,
      previous_status: previousStatus,
      status_reason: account.status_reason,
      balance_minor: Number(account.balance_minor),
      updated_at: isoTimestamp(account.updated_at),
      audit_id: auditId,
      request_id: requestId,
    };
  }

  /**
   * Suspend, reactivate or close an account, with its audit row in the same statement — whoever
   * acts (a billing:admin key, an operator in the console, the CLI).
   */
  async applyStatusChange(
    key: AccountKey,
    action: StatusAction,
    reason: string,
    actor: AuditActor,
  ): Promise<AppliedStatusChange> {
    const transition = TRANSITIONS[action];
    const { before, account, audit } = await this.statuses.changeStatus(key, { action, ...transition, reason }, actor);
    if (!before) throw new AccountNotFoundError();
    if (!account || !audit) {
      if (before.status === transition.to) throw new AccountStatusUnchangedError(before.status);
      throw new AccountClosedFinalError();
    }
    return { previousStatus: before.status, account, auditId: audit.id };
  }

  async adjust(
    principal: Principal,
    id: AccountIdentityDto,
    dto: CreateAdjustmentDto,
    requestId: string,
  ): Promise<AdjustmentResponse> {
    const adjustment = await this.adjustAccount(
      accountKeyOf(principal, id),
      {
        amountMinor: dto.amount_minor,
        currency: dto.currency ?? null,
        reason: dto.reason,
        idempotencyKey: dto.idempotency_key,
      },
      actorOf(principal, requestId),
    );
    return {
      adjustment_id: adjustment.id,
      account_id: adjustment.account_id,
      amount_minor: Number(adjustment.amount_minor),
      currency: adjustment.currency,
      balance_before: Number(adjustment.balance_before),
      balance_after: Number(adjustment.balance_after),
      transaction_type: 'adjustment',
      reason: adjustment.description,
      idempotency_key: adjustment.idempotency_key,
      created_at: isoTimestamp(adjustment.created_at),
      audit_id: adjustment.audit_id,
      request_id: requestId,
    };
  }

  /**
   * A signed manual correction with its audit row in the same statement; never below zero,
   * idempotent on the key (the same request again: 409 adjustment_exists; different: 422).
   */
  async adjustAccount(key: AccountKey, request: AdjustmentRequest, actor: AuditActor): Promise<AdjustmentRow> {
    let outcome;
    try {
      outcome = await this.adjustments.adjustBalance(key, request, actor);
    } catch (error) {
      if (violatedConstraint(error) === 'chk_accounts_balance_limit') throw new BalanceLimitExceededError();
      return rethrowAsDuplicate(
        error,
        'uq_credits_idempotency',
        () => this.credits.findByIdempotencyKey(key, request.idempotencyKey),
        (existing) => this.throwDuplicate(existing, request),
      );
    }
    const { adjustment, existing, account } = outcome;
    if (!account) throw new AccountNotFoundError();
    if (existing) this.throwDuplicate(existing, request);
    if (!adjustment) {
      if (account.status === 'closed') throw new AccountClosedError();
      if (request.currency && request.currency !== account.currency) {
        throw new CurrencyMismatchError(account.currency, request.currency);
      }
      // What active holds do not reserve: a negative adjustment cannot take that (SPEC §11).
      throw new InsufficientCreditsError(
        Number(account.balance_minor) - Number(account.held_minor),
        Math.abs(request.amountMinor),
      );
    }
    return adjustment;
  }

  /** Accounts of one environment, newest first, keyset-paged (`limit + 1` rows). */
  search(query: AccountSearch): Promise<Array<Account & { position: string }>> {
    return this.lookup.search(query);
  }

  async findById(accountId: string): Promise<Account> {
    const account = await this.lookup.findById(accountId);
    if (!account) throw new AccountNotFoundError();
    return account;
  }

  async ledger(
    accountId: string,
    filter: { type?: 'charge' | 'credit'; transactionType?: string; after: CursorPosition | null; limit: number },
  ): Promise<AdminLedgerRow[]> {
    await this.findById(accountId);
    return this.lookup.ledger(accountId, filter);
  }

  async creditChecks(accountId: string, after: CursorPosition | null, limit: number): Promise<CreditCheckRow[]> {
    await this.findById(accountId);
    return this.lookup.creditChecks(accountId, after, limit);
  }

  /** The account with what its active holds reserve at `now` (404 when unknown). */
  async findWithHoldsById(accountId: string, today: string, now: Date): Promise<{ account: Account; held: HeldNow }> {
    const found = await this.lookup.findWithHoldsById(accountId, today, now);
    if (!found) throw new AccountNotFoundError();
    return found;
  }

  activeHolds(accountId: string, limit: number, now: Date): Promise<ActiveHoldRow[]> {
    return this.lookup.activeHolds(accountId, limit, now);
  }

  recentPurchases(accountId: string, limit: number): Promise<PurchaseRow[]> {
    return this.lookup.recentPurchases(accountId, limit);
  }

  dailyUses(accountId: string, startDay: string) {
    return this.lookup.dailyUses(accountId, startDay);
  }

  /** The audit trail of one account (404 when the account does not exist in the key's environment). */
  async accountAudit(
    principal: Principal,
    id: AccountIdentityDto,
    query: ListAuditQueryDto,
  ): Promise<AuditListResponse> {
    const account = await this.accounts.findByKey(accountKeyOf(principal, id));
    if (!account) throw new AccountNotFoundError();
    return this.auditPage(principal, query, account.id);
  }

  /** Every admin change in the key's environment. */
  allAudit(principal: Principal, query: ListAuditQueryDto): Promise<AuditListResponse> {
    return this.auditPage(principal, query);
  }

  private async auditPage(
    principal: Principal,
    query: ListAuditQueryDto,
    accountId?: string,
  ): Promise<AuditListResponse> {
    const { rows, total } = await this.audit.page({
      environment: principal.environment,
      accountId,
      action: query.action,
      limit: query.limit,
      offset: query.offset,
    });
    return {
      entries: rows.map((r) => ({
        audit_id: r.id,
        environment: r.environment,
        account_id: r.account_id,
        oauth_provider: r.oauth_provider,
        external_id: r.external_id,
        action: r.action,
        actor_type: r.actor_type,
        actor_label: r.actor_label,
        api_key_id: r.api_key_id,
        api_key_name: r.api_key_name,
        before: r.before,
        after: r.after,
        reason: r.reason,
        request_id: r.request_id,
        created_at: isoTimestamp(r.created_at),
      })),
      total_count: total,
      has_more: query.offset + rows.length < total,
    };
  }

  private throwDuplicate(existing: ExistingCreditRow, request: AdjustmentRequest): never {
    const sameParameters =
      existing.transaction_type === 'adjustment' &&
      Number(existing.amount_minor) === request.amountMinor &&
      existing.description === request.reason &&
      (request.currency === null || request.currency === existing.currency);
    if (!sameParameters) throw new IdempotencyConflictError();
    throw new AdjustmentExistsError(existing.id);
  }
}
