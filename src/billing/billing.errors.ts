import { DomainError } from '../common/errors/domain-error.js';

export class AccountNotFoundError extends DomainError {
  readonly code = 'account_not_found';
  constructor() {
    super('Account not found');
  }
}

export class AccountSuspendedError extends DomainError {
  readonly code = 'account_suspended';
  constructor() {
    super('Account suspended');
  }
}

export class AccountClosedError extends DomainError {
  readonly code = 'account_closed';
  constructor() {
    super('Account is closed');
  }
}

export class InsufficientCreditsError extends DomainError {
  readonly code = 'insufficient_credits';
  constructor(balance: number, required: number) {
    super(`Insufficient credits. Balance: ${balance}, Required: ${required}`);
  }
}

export class CurrencyMismatchError extends DomainError {
  readonly code = 'currency_mismatch';
  constructor(accountCurrency: string, requested: string) {
    super(`Currency mismatch: account=${accountCurrency}, charge=${requested}`);
  }
}

export class ChargeExistsError extends DomainError {
  readonly code = 'charge_exists';
  constructor(chargeId: string) {
    super('Charge already exists');
    this.extra.charge_id = chargeId;
    this.headers['X-Existing-Charge-ID'] = chargeId;
  }
}

export class CreditExistsError extends DomainError {
  readonly code = 'credit_exists';
  constructor(creditId: string) {
    super('Credit already exists');
    this.extra.credit_id = creditId;
    this.headers['X-Existing-Credit-ID'] = creditId;
  }
}

export class IdempotencyConflictError extends DomainError {
  readonly code = 'idempotency_conflict';
  constructor() {
    super('Idempotency key already used with different parameters');
  }
}

export class BalanceLimitExceededError extends DomainError {
  readonly code = 'balance_limit_exceeded';
  constructor() {
    super('Credit would take the balance above the maximum of 9007199254740991');
  }
}
