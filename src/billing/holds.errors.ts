import { DomainError } from '../common/errors/domain-error.js';

export class HoldNotFoundError extends DomainError {
  readonly code = 'hold_not_found';
  constructor() {
    super('Hold not found');
  }
}

/** A replayed hold request (same idempotency key and parameters): nothing is reserved again. */
export class HoldExistsError extends DomainError {
  readonly code = 'hold_exists';
  constructor(holdId: string) {
    super('Hold already exists');
    this.extra.hold_id = holdId;
    this.headers['X-Existing-Hold-ID'] = holdId;
  }
}

/** Capturing (or releasing) a hold that was captured: the charge it wrote is named. */
export class HoldCapturedError extends DomainError {
  readonly code = 'hold_captured';
  constructor(chargeId: string) {
    super('Hold already captured');
    this.extra.charge_id = chargeId;
    this.headers['X-Existing-Charge-ID'] = chargeId;
  }
}

export class HoldReleasedError extends DomainError {
  readonly code = 'hold_released';
  constructor() {
    super('Hold released');
  }
}

export class HoldExpiredError extends DomainError {
  readonly code = 'hold_expired';
  constructor() {
    super('Hold expired');
  }
}

export class CaptureExceedsHoldError extends DomainError {
  readonly code = 'capture_exceeds_hold';
  constructor(held: number, requested: number) {
    super(`Capture exceeds the held amount. Held: ${held}, Requested: ${requested}`);
  }
}

export class ChargeNotFoundError extends DomainError {
  readonly code = 'charge_not_found';
  constructor() {
    super('Charge not found');
  }
}

export class ChargeFullyRefundedError extends DomainError {
  readonly code = 'charge_fully_refunded';
  constructor() {
    super('Charge already fully refunded');
  }
}

export class RefundExceedsChargeError extends DomainError {
  readonly code = 'refund_exceeds_charge';
  constructor(refundable: number, requested: number) {
    super(`Refund exceeds what remains refundable. Refundable: ${refundable}, Requested: ${requested}`);
  }
}
