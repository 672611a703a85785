/**
 * The admin console API contract: every request and response body under `/admin/api`, shared by
 * the server controllers (src/admin-console, src/admin-auth) and the SPA (admin-ui/). Pure types,
 * no runtime imports, so a renamed field is a compile error on both sides.
 *
 * Conventions: JSON, snake_case, timestamps as ISO-8601 strings (UTC), money as integer minor
 * units, lists as {@link Page} (`?cursor=…&limit=…`, limit at most 100), errors as {@link ErrorBody}.
 * Every non-GET needs the session cookie and the `X-CSRF-Token` header (from `GET /auth/me`).
 */

// ─── Shared vocabulary ──────────────────────────────────────────────────────────────────────────

export type AdminRole = 'viewer' | 'admin' | 'super_admin';
export type Environment = 'live' | 'test';
export type Permission = 'billing:read' | 'billing:write' | 'billing:admin' | 'analytics:read';
export type ApiKeyStatus = 'active' | 'rotating' | 'revoked';
export type AccountStatus = 'active' | 'suspended' | 'closed';

/** A page of a list, newest first unless said otherwise. `next_cursor: null` on the last page. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Query parameters every list accepts. */
export interface PageQuery {
  cursor?: string;
  /** 1–100, default 50. */
  limit?: number;
}

export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** Error codes the console API answers with (besides the SPEC codes such as `account_not_found`). */
export type AdminErrorCode =
  | 'admin_unauthenticated' // 401: no, expired or revoked session; or an X-API-Key on /admin/api
  | 'admin_forbidden' // 403: the role is not enough; `required_role` names the role needed
  | 'csrf_failed' // 403: missing/wrong X-CSRF-Token, or a cross-site Origin / Sec-Fetch-Site
  | 'reauth_required' // 403: step-up needed: POST /auth/reauth with a TOTP code, then retry
  | 'invalid_credentials' // 401: login failed (one answer for every cause)
  | 'account_locked' // 429: too many failures; `Retry-After` header and `retry_after_seconds`
  | 'too_many_requests' // 429: per-IP throttle on the auth routes; `Retry-After` header
  | 'invalid_mfa_code' // 401: wrong, expired or replayed TOTP / recovery code
  | 'mfa_not_enrolled' // 409: verify called before enrolment
  | 'mfa_already_enrolled' // 409: enrol called for an admin who already has MFA
  | 'mfa_enrollment_not_started' // 409: confirm before enrol
  | 'invalid_setup_token' // 401: unknown, used or expired setup link
  | 'weak_password' // 422
  | 'last_super_admin' // 409: the last active super_admin cannot be demoted or deactivated
  | 'admin_user_not_found' // 404
  | 'admin_user_exists' // 409
  | 'session_not_found' // 404
  | 'key_not_rotatable' // 409: only an active key can be rotated
  | 'api_key_not_found' // 404
  | 'never_expiring_key_forbidden' // 403: only a super_admin may create a key that never expires
  | 'confirmation_mismatch' // 422: close: confirm_external_id differs from the account's external id
  | 'validation_error' // 422: `detail` is a ValidationIssue[]
  | 'console_disabled'; // 404: ADMIN_CONSOLE_ENABLED=false

export interface ErrorBody {
  detail: string | ValidationIssue[];
  /** An {@link AdminErrorCode}, or one of SPEC's codes (`account_not_found`, `insufficient_credits`, …). */
  code: string;
  /** On `admin_forbidden`: the least role that may call the route. */
  required_role?: AdminRole;
  /** On `account_locked` / `too_many_requests`. */
  retry_after_seconds?: number;
}

// ─── Auth (/admin/api/auth/*) ───────────────────────────────────────────────────────────────────

/** POST /auth/login (public). Sets the short-lived pending-login cookie. */
export interface LoginRequest {
  email: string;
  password: string;
}
export interface LoginResponse {
  state: 'mfa_required' | 'mfa_enrollment_required';
}

/** POST /auth/setup (public, with the token of an invitation link). Sets the pending-login cookie. */
export interface SetupRequest {
  token: string;
  /** 12–1024 characters. */
  password: string;
}
export interface SetupResponse {
  state: 'mfa_enrollment_required';
}

/** POST /auth/mfa/enroll (pending login, no body). */
export interface MfaEnrollResponse {
  otpauth_uri: string;
  secret_base32: string;
  /** An `<svg>` document of the otpauth URI, rendered by the server. */
  qr_svg: string;
}

/** POST /auth/mfa/enroll/confirm (pending login). Ends the pending login: sets the session cookie. */
export interface MfaEnrollConfirmRequest {
  code: string;
}
export interface MfaEnrollConfirmResponse extends AuthSessionResponse {
  /** 10 single-use codes, shown once; only their hashes are stored. */
  recovery_codes: string[];
}

/** POST /auth/mfa/verify (pending login): one of the two. Sets the session cookie. */
export interface MfaVerifyRequest {
  code?: string;
  recovery_code?: string;
}
export type MfaVerifyResponse = AuthSessionResponse;

/** POST /auth/reauth (viewer+): step-up for the window in `console.step_up_window_seconds`. → 204 */
export interface ReauthRequest {
  code: string;
}

/** POST /auth/password (viewer+, step-up). → 204; every other session of the admin is revoked. */
export interface PasswordChangeRequest {
  current_password: string;
  new_password: string;
}

/** POST /auth/recovery-codes (viewer+, step-up): replaces every recovery code. */
export interface RecoveryCodesResponse {
  recovery_codes: string[];
}

export interface AdminUserSelf {
  id: string;
  email: string;
  full_name: string;
  role: AdminRole;
  mfa_enabled: boolean;
  last_login_at: string | null;
}

export interface SessionInfo {
  id: string;
  created_at: string;
  last_seen_at: string;
  /** When the session ends if unused (moves on with every request). */
  idle_expires_at: string;
  absolute_expires_at: string;
  /** Step-up valid until (null: none in force). */
  step_up_until: string | null;
  ip: string | null;
  user_agent: string | null;
  /** The session making this request. */
  current: boolean;
}

/** Settings the SPA needs to behave like the server. */
export interface ConsoleSettings {
  step_up_window_seconds: number;
  /** Adjustments whose absolute amount is above this need step-up. */
  adjustment_step_up_threshold_minor: number;
  session_idle_timeout_seconds: number;
  session_absolute_timeout_seconds: number;
  permissions: Permission[];
  environments: Environment[];
}

/** GET /auth/me, and the answer of a completed login. */
export interface AuthSessionResponse {
  user: AdminUserSelf;
  /** Send as `X-CSRF-Token` on every non-GET. */
  csrf_token: string;
  session: SessionInfo;
  console: ConsoleSettings;
}
export type AuthMeResponse = AuthSessionResponse;

/** GET /auth/sessions (own sessions). DELETE /auth/sessions/{id} → 204. DELETE /auth/sessions → 204 (all others). */
export type SessionListResponse = Page<SessionInfo>;

// ─── Audit (/admin/api/audit) ───────────────────────────────────────────────────────────────────

export type AuditActorType = 'admin_user' | 'api_key' | 'cli' | 'system';
export type AuditOutcome = 'success' | 'denied' | 'failure';
export type AuditResourceType = 'api_key' | 'account' | 'admin_user' | 'admin_session';

export interface AuditActor {
  type: AuditActorType;
  /** Admin user id or API key id; null for cli/system and for unknown login emails. */
  id: string | null;
  /** Email, key name, or `cli` / `system`. */
  label: string;
}

export interface AuditEntry {
  id: string;
  created_at: string;
  actor: AuditActor;
  /** e.g. `key.create`, `key.rotate`, `suspend`, `adjust_balance`, `admin.login_failed`, `analytics.export`. */
  action: string;
  resource_type: AuditResourceType | null;
  resource_id: string | null;
  environment: Environment | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
}

/** GET /audit (viewer+), newest first. */
export interface ListAuditQuery extends PageQuery {
  actor_type?: AuditActorType;
  actor_id?: string;
  action?: string;
  resource_type?: AuditResourceType;
  resource_id?: string;
  outcome?: AuditOutcome;
  environment?: Environment;
  /** ISO timestamp, inclusive. */
  since?: string;
  /** ISO timestamp, exclusive. */
  until?: string;
}
export type AuditListResponse = Page<AuditEntry>;

// ─── API keys (/admin/api/keys) ─────────────────────────────────────────────────────────────────

export interface ApiKeySummary {
  id: string;
  name: string;
  description: string | null;
  environment: Environment;
  key_prefix: string;
  permissions: Permission[];
  status: ApiKeyStatus;
  created_by: { id: string; email: string | null };
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  grace_period_until: string | null;
  rotated_to: string | null;
  rotated_from: string | null;
  revoked_at: string | null;
  rate_limit_per_minute: number | null;
  /** Requests over the last 7 days (all outcomes), from the hourly counters. */
  requests_7d: number;
}

/** GET /keys (viewer+), newest first. */
export interface ListKeysQuery extends PageQuery {
  environment?: Environment;
  status?: ApiKeyStatus;
  /** Matches name (case-insensitive substring) or key prefix (prefix). */
  q?: string;
  expiring_within_days?: number;
  unused_for_days?: number;
}
export type KeyListResponse = Page<ApiKeySummary>;

/** GET /keys/{id} (viewer+). Audit entries: GET /audit?resource_type=api_key&resource_id={id}. */
export interface KeyDetailResponse {
  key: ApiKeySummary;
  /** The rotation chain this key belongs to, oldest first (includes the key itself). */
  lineage: ApiKeySummary[];
}

export type KeyOutcome =
  'ok' | 'unauthorized' | 'forbidden' | 'payment_required' | 'rate_limited' | 'client_error' | 'server_error';
export type OutcomeCounts = Record<KeyOutcome, number>;

/** GET /keys/{id}/usage?days=7&granularity=hour|day (viewer+). 401s are counted by key prefix. */
export interface KeyUsageQuery {
  /** 1–90, default 7. */
  days?: number;
  granularity?: 'hour' | 'day';
}
export interface KeyUsageResponse {
  key_id: string;
  granularity: 'hour' | 'day';
  start: string;
  end: string;
  buckets: Array<{ start: string } & OutcomeCounts>;
  totals: OutcomeCounts;
}

/** POST /keys (admin; step-up for live keys) → 201. */
export interface CreateKeyRequest {
  name: string;
  description?: string | null;
  environment: Environment;
  permissions: Permission[];
  /** 1–3650; default 90; `null` means never (super_admin only). Ignored when `expires_at` is given. */
  expires_in_days?: number | null;
  /** A fixed expiry instead of `expires_in_days`. */
  expires_at?: string;
  rate_limit_per_minute?: number | null;
}
export interface CreateKeyResponse {
  key: ApiKeySummary;
  /** Shown once: never stored, never retrievable again. */
  plaintext_key: string;
}

/** PATCH /keys/{id} (admin). `expires_at: null` = never (super_admin only). */
export interface UpdateKeyRequest {
  name?: string;
  description?: string | null;
  permissions?: Permission[];
  expires_at?: string | null;
  rate_limit_per_minute?: number | null;
}
export interface KeyResponse {
  key: ApiKeySummary;
}

/** POST /keys/{id}/rotate (admin, step-up) → 201. 0 revokes the old key at once; at most 7 days. */
export interface RotateKeyRequest {
  grace_period_seconds: number;
}
export interface RotateKeyResponse {
  new_key: ApiKeySummary;
  plaintext_key: string;
  old_key: ApiKeySummary;
}

/** POST /keys/{id}/revoke (admin, step-up) → 200 {@link KeyResponse}. */
export interface RevokeKeyRequest {
  reason: string;
}

// ─── Accounts (/admin/api/accounts) ─────────────────────────────────────────────────────────────

export interface AccountSummary {
  id: string;
  environment: Environment;
  oauth_provider: string;
  external_id: string;
  customer_email: string | null;
  display_name: string | null;
  status: AccountStatus;
  status_reason: string | null;
  balance_minor: number;
  currency: string;
  total_uses: number;
  created_at: string;
  updated_at: string;
}

export interface PurchaseSummary {
  id: string;
  payment_id: string;
  amount_minor: number;
  currency: string;
  uses_purchased: number;
  status: string;
  created_at: string;
}

/** An active, unexpired hold (SPEC §11): a reservation an agent will capture or release. */
export interface ActiveHold {
  id: string;
  /** The most the interaction may cost. */
  amount_minor: number;
  currency: string;
  /** What it reserves: one of today's daily free uses, a one-time free use, or `amount_minor` of balance. */
  funded_by: 'daily_free_use' | 'free_use' | 'balance';
  description: string;
  metadata: Record<string, unknown>;
  created_at: string;
  expires_at: string;
}

export interface AccountDetail extends AccountSummary {
  wa_id: string | null;
  tenant_id: string | null;
  user_role: string | null;
  agent_id: string | null;
  plan_name: string;
  /** The account's counters, including what holds reserve (see the `*_held` fields). */
  free_uses_remaining: number;
  daily_free_uses_limit: number;
  daily_free_uses_remaining: number;
  /**
   * What active, unexpired holds reserve, by the clock at request time (as the credit check
   * decides): of the balance, of the one-time free uses and of today's daily free uses.
   */
  held_minor: number;
  free_uses_held: number;
  daily_free_uses_held: number;
  /** `balance_minor - held_minor`: what charges, new holds and negative adjustments can take. */
  available_minor: number;
  /** The active holds, newest first (at most 20); `active_holds_total` counts all of them. */
  active_holds: ActiveHold[];
  active_holds_total: number;
  /** Last 30 UTC days, oldest first. */
  usage_30d: Array<{ date: string; uses: number; paid_uses: number; free_uses: number }>;
  recent_purchases: PurchaseSummary[];
}

/** GET /accounts?environment=live&q=…&status=…&provider=… (viewer+), newest first. */
export interface ListAccountsQuery extends PageQuery {
  environment?: Environment;
  /** External id or email (case-insensitive prefix), or an exact account id. */
  q?: string;
  status?: AccountStatus;
  /** e.g. `oauth:google`. */
  provider?: string;
}
export type AccountListResponse = Page<AccountSummary>;

/** GET /accounts/{id} (viewer+). */
export interface AccountDetailResponse {
  account: AccountDetail;
}

export interface LedgerEntry {
  id: string;
  type: 'charge' | 'credit';
  transaction_type: string;
  /** Signed: charges negative. */
  amount_minor: number;
  /** What the entry did to the balance (0 for a charge a free use paid). */
  balance_change_minor: number;
  currency: string;
  description: string;
  balance_after: number;
  idempotency_key: string | null;
  funding_source: string | null;
  /** The API key that made the entry, when one did. */
  api_key_id: string | null;
  created_at: string;
}

/** GET /accounts/{id}/ledger?type=charge|credit&transaction_type=… (viewer+), newest first. */
export interface LedgerQuery extends PageQuery {
  type?: 'charge' | 'credit';
  transaction_type?: 'charge' | 'purchase' | 'grant' | 'refund' | 'adjustment';
}
export type LedgerResponse = Page<LedgerEntry>;

export interface CreditCheckEntry {
  id: string;
  has_credit: boolean;
  reason: string | null;
  context: Record<string, unknown>;
  api_key_id: string | null;
  created_at: string;
}
/** GET /accounts/{id}/credit-checks (viewer+), newest first. */
export type CreditChecksResponse = Page<CreditCheckEntry>;

/** POST /accounts/{id}/suspend and /reactivate (admin). */
export interface AccountStatusChangeRequest {
  reason: string;
}
/** POST /accounts/{id}/close (super_admin, step-up): the external id typed again to confirm. */
export interface CloseAccountRequest {
  reason: string;
  confirm_external_id: string;
}
export interface AccountStatusChangeResponse {
  account: AccountSummary;
  previous_status: AccountStatus;
  audit_id: string;
}

export type AdjustmentKind = 'correction' | 'goodwill' | 'refund' | 'chargeback' | 'other';

/** POST /accounts/{id}/adjustments (admin; step-up when |amount_minor| > the configured threshold) → 201. */
export interface AdjustmentRequest {
  /** Signed, non-zero; the balance never goes below zero (422 insufficient_credits). */
  amount_minor: number;
  kind: AdjustmentKind;
  reason: string;
  /** Minted when the dialog opens: a retried submit never applies twice (409 adjustment_exists). */
  idempotency_key: string;
}
export interface AdjustmentResponse {
  adjustment_id: string;
  account_id: string;
  amount_minor: number;
  kind: AdjustmentKind;
  currency: string;
  balance_before: number;
  balance_after: number;
  reason: string;
  idempotency_key: string;
  created_at: string;
  audit_id: string;
}

// ─── Overview and analytics ─────────────────────────────────────────────────────────────────────

/** Query of every analytics route and the overview. */
export interface EnvironmentQuery {
  environment?: Environment;
}

/** GET /overview?environment=live (viewer+). */
export interface OverviewResponse {
  environment: Environment;
  accounts: { total: number; new_24h: number };
  charges_24h: { paid: number; free: number };
  revenue: { currency: string; today_minor: number; yesterday_minor: number };
  keys: { active: number; rotating: number; expiring_14d: number };
  failed_auth_24h: number;
  /** Last 30 UTC days, oldest first. */
  usage_30d: Array<{ date: string; paid_uses: number; free_uses: number }>;
  latest_audit: AuditEntry[];
}

export type Granularity = 'day' | 'week' | 'month';

/** Dates are UTC days `YYYY-MM-DD`, both inclusive, at most 366 days; default the last 30. */
export interface AnalyticsQuery extends EnvironmentQuery {
  start?: string;
  end?: string;
  granularity?: Granularity;
}

export interface UsageFigures {
  charges: number;
  paid_uses: number;
  free_uses: number;
  daily_free_uses: number;
  one_time_free_uses: number;
  credits_spent: number;
  unique_charged_accounts: number;
  new_accounts: number;
  credit_checks: number;
  denied_credit_checks: number;
}

/** GET /analytics/usage (viewer+). Buckets start on their first day (weeks on Monday). */
export interface UsageAnalyticsResponse {
  environment: Environment;
  start: string;
  end: string;
  granularity: Granularity;
  buckets: Array<{ start: string } & UsageFigures>;
  totals: UsageFigures;
  top_accounts: Array<{ account_id: string; oauth_provider: string; external_id: string; uses: number }>;
}

export interface RevenueFigures {
  purchases: number;
  purchase_amount_minor: number;
  revenue_minor: number;
  credits_added_minor: { purchase: number; grant: number; refund: number; adjustment: number; total: number };
}

/** GET /analytics/revenue?currency=USD (viewer+). */
export interface RevenueAnalyticsQuery extends AnalyticsQuery {
  currency?: string;
}
export interface RevenueAnalyticsResponse {
  environment: Environment;
  currency: string;
  start: string;
  end: string;
  granularity: Granularity;
  buckets: Array<{ start: string } & RevenueFigures>;
  totals: RevenueFigures;
}

/** GET /analytics/auth-failures (viewer+): failed API-key authentications (all environments) and admin logins. */
export interface AuthFailuresResponse {
  start: string;
  end: string;
  granularity: Granularity;
  buckets: Array<{ start: string; total: number; by_reason: Record<string, number> }>;
  totals: { total: number; by_reason: Record<string, number> };
  top_key_prefixes: Array<{ key_prefix: string; count: number }>;
  top_client_ips: Array<{ client_ip: string; count: number }>;
  rate_limited_by_key: Array<{ key_id: string; name: string; key_prefix: string; count: number }>;
  /** Failed operator sign-ins (`admin.login_failed`) and refused step-ups (`admin.reauth`, denied). */
  admin_login_failures: { total: number; buckets: Array<{ start: string; count: number }> };
  locked_admins: Array<{ id: string; email: string; locked_until: string }>;
}

/** GET /analytics/keys?environment=… (viewer+). */
export interface KeysAnalyticsResponse {
  environment: Environment;
  by_status: Record<ApiKeyStatus, number>;
  unused_30d: ApiKeySummary[];
  expiring_14d: ApiKeySummary[];
  /** Requests by outcome over the range, all keys of the environment. */
  requests: { start: string; end: string; buckets: Array<{ start: string } & OutcomeCounts>; totals: OutcomeCounts };
}

// ─── Admin users (/admin/api/admin-users, super_admin) ──────────────────────────────────────────

export interface AdminUserSummary {
  id: string;
  email: string;
  full_name: string;
  role: AdminRole;
  is_active: boolean;
  mfa_enabled: boolean;
  last_login_at: string | null;
  locked_until: string | null;
  failed_login_count: number;
  active_sessions: number;
  created_at: string;
}

/** GET /admin-users (super_admin). */
export type AdminUserListResponse = Page<AdminUserSummary>;

/** POST /admin-users (super_admin, step-up) → 201: an invitation; the link is valid 24 h and works once. */
export interface InviteAdminRequest {
  email: string;
  full_name: string;
  role: AdminRole;
}
export interface InviteAdminResponse {
  user: AdminUserSummary;
  /**
   * `<origin>/admin/setup#token=<token>`: the token is in the URL *fragment* (never sent to a
   * server, so never in an access log or proxy log). The setup page reads it from
   * `location.hash` and posts it to `POST /auth/setup`.
   */
  setup_url: string;
  setup_expires_at: string;
}

/** PATCH /admin-users/{id} (super_admin, step-up). Role change and deactivation revoke the user's sessions. */
export interface UpdateAdminUserRequest {
  role?: AdminRole;
  is_active?: boolean;
  full_name?: string;
}
export interface AdminUserResponse {
  user: AdminUserSummary;
}

/**
 * POST /admin-users/{id}/reset-mfa and /unlock (super_admin, step-up) → 200 {@link AdminUserResponse}.
 * GET /admin-users/{id}/sessions → {@link SessionListResponse}; DELETE /admin-users/{id}/sessions → 204.
 */
export type AdminUserActionResponse = AdminUserResponse;
