import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import {
  AccountClosedError,
  BalanceLimitExceededError,
  CreditExistsError,
  IdempotencyConflictError,
} from './billing.errors.js';
import type { RefundChargeDto, RefundResponse } from './dto/refund-charge.dto.js';
import { ChargeFullyRefundedError, ChargeNotFoundError, RefundExceedsChargeError } from './holds.errors.js';
import { violatedConstraint } from './postgres-errors.js';
import { RefundsRepository, type ExistingRefundCredit } from './refunds.repository.js';
import { isoTimestamp } from '../common/time/clock.js';

/**
 * Refunds of charges (SPEC §11): give back what a charge took from the balance (never more in total)
 * or, for a charge a free use paid, one one-time free use; a `refund` credit linked to the charge.
 */
@Injectable()
export class RefundsService {
  constructor(
    private readonly refunds: RefundsRepository,
    private readonly metrics: MetricsService,
  ) {}

  refund(principal: Principal, chargeId: string, dto: RefundChargeDto): Promise<RefundResponse> {
    return this.metrics.countCredit('refund', this.refundOnce(principal, chargeId, dto));
  }

  private async refundOnce(principal: Principal, chargeId: string, dto: RefundChargeDto): Promise<RefundResponse> {
    const request = {
      amountMinor: dto.amount_minor ?? null,
      reason: dto.reason,
      idempotencyKey: dto.idempotency_key,
      apiKeyId: principal.keyId,
    };
    let outcome;
    try {
      outcome = await this.refunds.refund(chargeId, principal.environment, request);
    } catch (error) {
      const constraint = violatedConstraint(error);
      if (constraint === 'chk_accounts_balance_limit') throw new BalanceLimitExceededError();
      // Backstop of the ledger (the statement already checks `free_use_returned` on the locked charge).
      if (constraint === 'uq_credits_free_use_refund') throw new ChargeFullyRefundedError();
      if (constraint === 'uq_credits_idempotency') {
        const existing = await this.refunds.findCreditByIdempotencyKey(
          chargeId,
          principal.environment,
          dto.idempotency_key,
        );
        if (existing) this.throwDuplicate(existing, chargeId, dto);
      }
      throw error;
    }
    const { credit, existing, charge } = outcome;
    if (!charge) throw new ChargeNotFoundError();
    if (existing) this.throwDuplicate(existing, chargeId, dto);
    if (!credit) {
      // A concurrent copy of this request may have taken what remained: that is a replay.
      const duplicate = await this.refunds.findCreditByIdempotencyKey(
        chargeId,
        principal.environment,
        dto.idempotency_key,
      );
      if (duplicate) this.throwDuplicate(duplicate, chargeId, dto);
      // The charge as it is now (a concurrent refund may have taken what remained).
      const current = await this.refunds.findCharge(chargeId, principal.environment);
      if (!current) throw new ChargeNotFoundError();
      if (current.account_status === 'closed') throw new AccountClosedError();
      if (current.funding_source === 'balance') {
        const refundable = current.balance_debit_minor - current.refunded_minor;
        if (refundable <= 0) throw new ChargeFullyRefundedError();
        throw new RefundExceedsChargeError(refundable, dto.amount_minor ?? refundable);
      }
      if (current.free_use_returned) throw new ChargeFullyRefundedError();
      throw new RefundExceedsChargeError(current.amount_minor, dto.amount_minor ?? 0);
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
      charge_id: credit.charge_id,
      free_uses_returned: credit.free_uses_returned,
    };
  }

  /** The key already names a credit: the same refund again is a 409, anything else a 422. */
  private throwDuplicate(existing: ExistingRefundCredit, chargeId: string, dto: RefundChargeDto): never {
    const sameRefund =
      existing.transaction_type === 'refund' &&
      existing.charge_id === chargeId &&
      (dto.amount_minor == null ||
        existing.free_uses_returned > 0 ||
        Number(existing.amount_minor) === dto.amount_minor);
    if (!sameRefund) throw new IdempotencyConflictError();
    throw new CreditExistsError(existing.id);
  }
}
