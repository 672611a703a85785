import { DomainError } from '../common/errors/domain-error.js';
import type { AccountStatus } from './account-status.repository.js';

/** The requested status is the one the account already has: nothing to change, nothing audited. */
export class AccountStatusUnchangedError extends DomainError {
  readonly code = 'account_status_unchanged';
  constructor(status: AccountStatus) {
    super(`Account is already ${status}`);
    this.extra.status = status;
  }
}

/** Closing is final: a closed account is never suspended or reactivated again. */
export class AccountClosedFinalError extends DomainError {
  readonly code = 'account_closed_final';
  constructor() {
    super('Account is closed; a closed account cannot change status');
    this.extra.status = 'closed';
  }
}

/** The same adjustment (same idempotency key and parameters) was already applied. */
export class AdjustmentExistsError extends DomainError {
  readonly code = 'adjustment_exists';
  constructor(adjustmentId: string) {
    super('Adjustment already exists');
    this.extra.adjustment_id = adjustmentId;
    this.headers['X-Existing-Credit-ID'] = adjustmentId;
  }
}
