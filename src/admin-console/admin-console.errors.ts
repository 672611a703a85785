import { DomainError } from '../common/errors/domain-error.js';

/** Keys that never expire are for super_admins only. */
export class NeverExpiringKeyForbiddenError extends DomainError {
  readonly code = 'never_expiring_key_forbidden';
  constructor() {
    super('Only a super_admin may create or keep a key that never expires');
    this.extra.required_role = 'super_admin';
  }
}

/** Closing an account: the external id typed to confirm is not the account's. */
export class ConfirmationMismatchError extends DomainError {
  readonly code = 'confirmation_mismatch';
  constructor() {
    super("confirm_external_id does not match the account's external id");
  }
}
