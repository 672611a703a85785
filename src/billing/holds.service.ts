import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { RequestValidationError } from '../common/errors/domain-error.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { Clock, utcDay } from '../common/time/clock.js';
import { Env } from '../config/env.js';
import { AccountsRepository } from './accounts.repository.js';
import {
  AccountClosedError,
  AccountNotFoundError,
  AccountSuspendedError,
  CurrencyMismatchError,
  IdempotencyConflictError,
  InsufficientCreditsError,
} from './billing.errors.js';
import type { CaptureHoldDto, CaptureResponse, CreateHoldDto, HoldResponse } from './dto/hold.dto.js';
import {
  CaptureExceedsHoldError,
  HoldCapturedError,
  HoldExistsError,
  HoldExpiredError,
  HoldNotFoundError,
  HoldReleasedError,
} from './holds.errors.js';
import { HoldsRepository, type ExistingHoldRow, type HoldRow } from './holds.repository.js';
import { violatedConstraint } from './postgres-errors.js';

/** Strips null/undefined so stored JSON carries only what the client sent. */
const compact = (obj: object | null | undefined): Record<string, unknown> =>
  Object.fromEntries(Object.entries(obj ?? {}).filter(([, v]) => v !== undefined && v !== null));

const iso = (value: string | Date): string => new Date(value).toISOString();

/**
 * Holds (SPEC §11): reserve the most an interaction may cost, capture what it did cost, release the
 * rest. Whether a hold is still active is decided by the clock at request time.
 */
@Injectable()
export class HoldsService {
  constructor(
    private readonly holds: HoldsRepository,
    private readonly accounts: AccountsRepository,
    private readonly env: Env,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  hold(principal: Principal, dto: CreateHoldDto): Promise<HoldResponse> {
    return this.metrics.countHold(this.holdOnce(principal, dto));
  }

  private async holdOnce(principal: Principal, dto: CreateHoldDto): Promise<HoldResponse> {
    const seconds = dto.expires_in_seconds ?? this.env.HOLD_DEFAULT_EXPIRES_IN_SECONDS;
    if (seconds > this.env.HOLD_MAX_EXPIRES_IN_SECONDS) {
      throw new RequestValidationError([
        {
          loc: ['body', 'expires_in_seconds'],
          msg: `expires_in_seconds must not be greater than ${this.env.HOLD_MAX_EXPIRES_IN_SECONDS}`,
          type: 'max',
        },
      ]);
    }
    const key = { environment: principal.environment, oauthProvider: dto.oauth_provider, externalId: dto.external_id };
    const now = this.clock.now();
    const request = {
      amountMinor: dto.amount_minor,
      currency: dto.currency ?? null,
      description: dto.description,
      idempotencyKey: dto.idempotency_key,
      metadata: compact(dto.metadata),
      now,
      today: utcDay(now),
      expiresAt: new Date(now.getTime() + seconds * 1000),
      apiKeyId: principal.keyId,
    };
    let outcome;
    try {
      outcome = await this.holds.reserve(key, request);
    } catch (error) {
      // A concurrent duplicate committed first: the unique index rolled this statement back.
      if (violatedConstraint(error) === 'uq_holds_idempotency') {
        const existing = await this.holds.findIdByIdempotencyKey(key, request.idempotencyKey);
        if (existing) this.throwDuplicateHold(existing, dto);
      }
      throw error;
    }
    const { hold, existing, account } = outcome;
    if (!account) throw new AccountNotFoundError();
    if (existing) this.throwDuplicateHold(existing, dto);
    if (!hold) {
      // A concurrent copy of this request may have reserved the last of the credit: that is a replay.
      const duplicate = await this.holds.findIdByIdempotencyKey(key, request.idempotencyKey);
      if (duplicate) this.throwDuplicateHold(duplicate, dto);
      // As for charges: explain the refusal from the account as it is now.
      const current = await this.accounts.findByKey(key);
      if (!current) throw new AccountNotFoundError();
      if (current.status === 'suspended') throw new AccountSuspendedError();
      if (current.status === 'closed') throw new AccountClosedError();
      if (dto.currency && dto.currency !== current.currency)
        throw new CurrencyMismatchError(current.currency, dto.currency);
      throw new InsufficientCreditsError(current.balanceMinor - current.heldMinor, dto.amount_minor);
    }
    return this.toResponse(hold);
  }

  capture(principal: Principal, holdId: string, dto: CaptureHoldDto): Promise<CaptureResponse> {
    return this.metrics.countCharge(this.captureOnce(principal, holdId, dto));
  }

  private async captureOnce(principal: Principal, holdId: string, dto: CaptureHoldDto): Promise<CaptureResponse> {
    const now = this.clock.now();
    let outcome;
    try {
      outcome = await this.holds.capture(holdId, principal.environment, {
        amountMinor: dto.amount_minor ?? null,
        description: dto.description ?? null,
        metadata: dto.metadata ? compact(dto.metadata) : null,
        now,
        today: utcDay(now),
        apiKeyId: principal.keyId,
      });
    } catch (error) {
      // A concurrent capture of the same hold wrote its charge first: explained below.
      if (violatedConstraint(error) !== 'uq_charges_hold') throw error;
      outcome = { charge: null, hold: null };
    }
    const { charge } = outcome;
    if (!charge) return this.explainNotCaptured(principal, holdId, dto, now);
    return {
      charge_id: charge.id,
      account_id: charge.account_id,
      amount_minor: Number(charge.amount_minor),
      currency: charge.currency,
      balance_after: Number(charge.balance_after),
      created_at: iso(charge.created_at),
      description: charge.description,
      metadata: charge.metadata,
      hold_id: charge.hold_id,
    };
  }

  /** Why a capture wrote no charge, from the hold and its account as they are now. */
  private async explainNotCaptured(
    principal: Principal,
    holdId: string,
    dto: CaptureHoldDto,
    now: Date,
  ): Promise<never> {
    const hold = await this.holds.findById(holdId, principal.environment, now);
    if (!hold) throw new HoldNotFoundError();
    this.throwIfEnded(hold);
    const amount = Number(hold.amount_minor);
    if (dto.amount_minor != null && dto.amount_minor > amount)
      throw new CaptureExceedsHoldError(amount, dto.amount_minor);
    const status = hold.account_status;
    if (status === 'suspended') throw new AccountSuspendedError();
    if (status === 'closed') throw new AccountClosedError();
    // Active, capturable, yet not captured: only a hold that expired between the two reads.
    throw new HoldExpiredError();
  }

  async release(principal: Principal, holdId: string): Promise<HoldResponse> {
    const now = this.clock.now();
    await this.holds.release(holdId, principal.environment, now, utcDay(now));
    const hold = await this.holds.findById(holdId, principal.environment, now);
    if (!hold) throw new HoldNotFoundError();
    // Released now or before, or expired: nothing is reserved any more (200). Captured: 409.
    if (hold.status === 'captured') throw new HoldCapturedError(hold.charge_id as string);
    return this.toResponse(hold);
  }

  async get(principal: Principal, holdId: string): Promise<HoldResponse> {
    const hold = await this.holds.findById(holdId, principal.environment, this.clock.now());
    if (!hold) throw new HoldNotFoundError();
    return this.toResponse(hold);
  }

  private throwIfEnded(hold: HoldRow): void {
    if (hold.status === 'captured') throw new HoldCapturedError(hold.charge_id as string);
    if (hold.status === 'released') throw new HoldReleasedError();
    if (hold.status === 'expired') throw new HoldExpiredError();
  }

  private throwDuplicateHold(existing: ExistingHoldRow, dto: CreateHoldDto): never {
    const sameParameters =
      Number(existing.amount_minor) === dto.amount_minor &&
      (dto.currency === undefined || dto.currency === existing.currency) &&
      existing.description === dto.description;
    if (!sameParameters) throw new IdempotencyConflictError();
    throw new HoldExistsError(existing.id);
  }

  private toResponse(h: HoldRow): HoldResponse {
    return {
      hold_id: h.id,
      account_id: h.account_id,
      amount_minor: Number(h.amount_minor),
      currency: h.currency,
      funded_by: h.funded_by,
      status: h.status,
      expires_at: iso(h.expires_at),
      created_at: iso(h.created_at),
      description: h.description,
      metadata: h.metadata,
      ended_at: h.ended_at ? iso(h.ended_at) : null,
      charge_id: h.charge_id ?? null,
      captured_amount_minor: h.captured_minor == null ? null : Number(h.captured_minor),
    };
  }
}
