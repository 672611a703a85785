/**
 * Every stable error code the service answers with (`{"detail", "code"}`) and the CLI reports.
 * A `DomainError`'s `code` must be one of these, and every one of these must have a status in
 * {@link STATUS_BY_CODE}: a new code is two lines, and `tsc` refuses either half alone.
 */
export type ErrorCode =
  // Requests
  | 'validation_error'
  | 'payload_too_large'
  // Authentication and authorisation
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'api_key_expired'
  | 'api_key_revoked'
  | 'permission_denied'
  | 'route_not_permitted'
  | 'rate_limited'
  | 'too_many_auth_failures'
  // Billing
  | 'account_not_found'
  | 'account_suspended'
  | 'account_closed'
  | 'insufficient_credits'
  | 'currency_mismatch'
  | 'charge_exists'
  | 'credit_exists'
  | 'idempotency_conflict'
  | 'balance_limit_exceeded'
  // Holds and refunds
  | 'hold_not_found'
  | 'hold_exists'
  | 'hold_captured'
  | 'hold_released'
  | 'hold_expired'
  | 'capture_exceeds_hold'
  | 'charge_not_found'
  | 'charge_fully_refunded'
  | 'refund_exceeds_charge'
  // API keys and operators
  | 'api_key_not_found'
  | 'key_not_rotatable'
  | 'admin_user_not_found'
  | 'admin_user_exists'
  | 'invalid_permission'
  | 'api_key_lifetime_too_long'
  | 'api_key_not_updatable'
  // Purchases
  | 'payment_provider_not_configured'
  | 'payment_provider_mode_mismatch'
  | 'payment_provider_unavailable'
  | 'purchase_not_found'
  | 'purchase_not_credited'
  | 'invalid_webhook_signature'
  | 'invalid_webhook_payload'
  // Account administration
  | 'account_status_unchanged'
  | 'account_closed_final'
  | 'adjustment_exists'
  // The database (503 with Retry-After; see README "Errors and retries")
  | 'database_unavailable'
  | 'outcome_unknown'
  // Admin console (docs/admin-console-api.md)
  | 'admin_unauthenticated'
  | 'admin_forbidden'
  | 'csrf_failed'
  | 'reauth_required'
  | 'invalid_credentials'
  | 'account_locked'
  | 'too_many_requests'
  | 'invalid_mfa_code'
  | 'mfa_not_enrolled'
  | 'mfa_already_enrolled'
  | 'mfa_enrollment_not_started'
  | 'invalid_setup_token'
  | 'weak_password'
  | 'last_super_admin'
  | 'session_not_found'
  | 'console_disabled'
  | 'never_expiring_key_forbidden'
  | 'confirmation_mismatch';

/** The HTTP status of each code. */
export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  validation_error: 422,
  payload_too_large: 413,
  missing_api_key: 401,
  invalid_api_key: 401,
  api_key_expired: 401,
  api_key_revoked: 401,
  permission_denied: 403,
  route_not_permitted: 403,
  rate_limited: 429,
  too_many_auth_failures: 429,
  account_not_found: 404,
  account_suspended: 403,
  account_closed: 403,
  insufficient_credits: 402,
  currency_mismatch: 400,
  charge_exists: 409,
  credit_exists: 409,
  idempotency_conflict: 422,
  balance_limit_exceeded: 422,
  hold_not_found: 404,
  hold_exists: 409,
  hold_captured: 409,
  hold_released: 409,
  hold_expired: 409,
  capture_exceeds_hold: 400,
  charge_not_found: 404,
  charge_fully_refunded: 409,
  refund_exceeds_charge: 400,
  api_key_not_found: 404,
  key_not_rotatable: 409,
  admin_user_not_found: 404,
  admin_user_exists: 409,
  invalid_permission: 422,
  api_key_lifetime_too_long: 422,
  api_key_not_updatable: 409,
  payment_provider_not_configured: 503,
  payment_provider_mode_mismatch: 503,
  payment_provider_unavailable: 503,
  purchase_not_found: 404,
  purchase_not_credited: 409,
  invalid_webhook_signature: 400,
  invalid_webhook_payload: 400,
  account_status_unchanged: 409,
  account_closed_final: 409,
  adjustment_exists: 409,
  admin_unauthenticated: 401,
  admin_forbidden: 403,
  csrf_failed: 403,
  reauth_required: 403,
  invalid_credentials: 401,
  account_locked: 429,
  too_many_requests: 429,
  invalid_mfa_code: 401,
  mfa_not_enrolled: 409,
  mfa_already_enrolled: 409,
  mfa_enrollment_not_started: 409,
  invalid_setup_token: 401,
  weak_password: 422,
  last_super_admin: 409,
  session_not_found: 404,
  console_disabled: 404,
  never_expiring_key_forbidden: 403,
  confirmation_mismatch: 422,
  database_unavailable: 503,
  outcome_unknown: 503,
};
