import { DomainError } from '../common/errors/domain-error.js';

export class AdminUserExistsError extends DomainError {
  readonly code = 'admin_user_exists';
  constructor(email: string) {
    super(`An admin user with email ${email} already exists`);
  }
}

export class AdminUserNotFoundError extends DomainError {
  readonly code = 'admin_user_not_found';
  constructor(ref: string) {
    super(`Admin user not found: ${ref}`);
  }
}
