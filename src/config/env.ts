import { plainToInstance } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidationError,
  validateSync,
} from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  if (['true', '1', 'yes', 'on'].includes(value.toLowerCase())) return true;
  if (['false', '0', 'no', 'off', ''].includes(value.toLowerCase())) return false;
  return value;
};

/**
 * Every setting the service reads, validated once at boot. Nothing else reads `process.env`.
 * `.env.example` documents each one with its default.
 */
export class Env {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8000;

  @IsString()
  HOST = '0.0.0.0';

  /** PostgreSQL connection string. Empty: start the embedded PostgreSQL below. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsString()
  EMBEDDED_PG_DIR = '.data/postgres';

  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  @IsInt()
  @Min(1)
  @Max(500)
  DB_POOL_SIZE = 20;

  /** Longest wait (ms) for a pooled database connection, or for a new one to open; then 503. */
  @IsInt()
  @Min(100)
  @Max(60_000)
  DB_CONNECT_TIMEOUT_MS = 2_000;

  /**
   * Longest run (ms) of one statement (PostgreSQL `statement_timeout`; it is cancelled and rolled
   * back); the service stops waiting for any answer one second later. Either ends in a 503.
   */
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_STATEMENT_TIMEOUT_MS = 2_000;

  /**
   * At start-up, how long (ms) to wait for the database before exiting with an error. The port
   * is open meanwhile (liveness 200, readiness 503); each attempt is logged.
   */
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  DB_STARTUP_TIMEOUT_MS = 60_000;

  /** Run pending migrations (under an advisory lock) when the HTTP service starts. */
  @IsBoolean()
  RUN_MIGRATIONS_ON_START = true;

  @IsInt()
  @Min(0)
  @Max(1_000_000)
  FREE_USES_PER_ACCOUNT = 10;

  @IsInt()
  @Min(0)
  @Max(1_000_000)
  DAILY_FREE_USES = 2;

  @IsInt()
  @Min(0)
  PURCHASE_PRICE_MINOR = 500;

  @IsInt()
  @Min(0)
  PURCHASE_USES = 20;

  @Matches(/^[A-Za-z]{3}$/)
  DEFAULT_CURRENCY = 'USD';

  /** How long a hold reserves when the request names no `expires_in_seconds`. At most the maximum below. */
  @IsInt()
  @Min(1)
  @Max(2_592_000)
  HOLD_DEFAULT_EXPIRES_IN_SECONDS = 300;

  /** The longest `expires_in_seconds` a hold may ask for (longer: 422). */
  @IsInt()
  @Min(1)
  @Max(2_592_000)
  HOLD_MAX_EXPIRES_IN_SECONDS = 86_400;

  /** Stripe secret (or restricted) key. Empty: purchase routes answer 503, everything else works. */
  @IsOptional()
  @Matches(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, {
    message: 'STRIPE_SECRET_KEY must look like sk_test_… / sk_live_… / rk_…',
  })
  STRIPE_SECRET_KEY?: string = undefined;

  /** Signing secret of the webhook endpoint (`whsec_…`); without it webhooks answer 503. */
  @IsOptional()
  @Matches(/^whsec_\S+$/, { message: 'STRIPE_WEBHOOK_SECRET must look like whsec_…' })
  STRIPE_WEBHOOK_SECRET?: string = undefined;

  /** Returned to clients with each purchase so they can confirm the payment with Stripe.js. */
  @IsOptional()
  @Matches(/^pk_(test|live)_[A-Za-z0-9_]+$/, { message: 'STRIPE_PUBLISHABLE_KEY must look like pk_test_… / pk_live_…' })
  STRIPE_PUBLISHABLE_KEY?: string = undefined;

  /** Stripe API endpoint override (tests, stripe-mock, egress proxies). Empty: api.stripe.com:443 over https. */
  @IsOptional()
  @IsString()
  STRIPE_API_HOST?: string = undefined;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  STRIPE_API_PORT?: number = undefined;

  @IsOptional()
  @IsIn(['http', 'https'])
  STRIPE_API_PROTOCOL?: 'http' | 'https' = undefined;

  /** How long a verified API key is trusted from memory; NOTIFY evicts it sooner on every replica. */
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  API_KEY_CACHE_TTL_MS = 30_000;

  /** How often buffered `last_used_at` updates are written (one UPDATE for all keys). */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  LAST_USED_FLUSH_INTERVAL_MS = 5_000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /** Serve Prometheus metrics at `GET /metrics`. */
  @IsBoolean()
  METRICS_ENABLED = true;

  /**
   * 0: metrics on the main port. Otherwise `/metrics` is served only on this port (and not on
   * `PORT`), so a Service/NetworkPolicy can keep it inside the cluster.
   */
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT = 0;

  /** Serve the OpenAPI document at `/docs` (UI) and `/docs-json`. */
  @IsBoolean()
  DOCS_ENABLED = true;

  /**
   * On SIGTERM: how long to keep serving (readiness already 503, responses `Connection: close`)
   * before the listener closes, so load balancers stop sending traffic first.
   */
  @IsInt()
  @Min(0)
  @Max(300_000)
  SHUTDOWN_DRAIN_MS = 2_000;

  /** After the listener closes: the longest wait for in-flight requests before sockets are cut. */
  @IsInt()
  @Min(0)
  @Max(300_000)
  SHUTDOWN_TIMEOUT_MS = 20_000;

  /** Serve the admin console API (`/admin/api`); false answers 404 `console_disabled` there. */
  @IsBoolean()
  ADMIN_CONSOLE_ENABLED = true;

  /**
   * The console's origin (`https://billing.example.com`): non-GET console requests with another
   * `Origin` are refused, and invitation links point there. Empty: the host each request was sent to.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^/\s?#]+$/, {
    message: 'ADMIN_CONSOLE_ORIGIN must be an origin like https://billing.example.com',
  })
  ADMIN_CONSOLE_ORIGIN?: string = undefined;

  /**
   * AES-256-GCM key sealing operators' TOTP secrets: 32 bytes as 64 hex characters or base64.
   * Required in production; elsewhere a fixed development key stands in.
   */
  @IsOptional()
  @Matches(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, {
    message: 'ADMIN_MFA_ENCRYPTION_KEY must be 32 bytes as 64 hex characters or base64 (openssl rand -base64 32)',
  })
  ADMIN_MFA_ENCRYPTION_KEY?: string = undefined;

  /** A console session ends after this long without a request. */
  @IsInt()
  @Min(60)
  @Max(86_400)
  ADMIN_SESSION_IDLE_TIMEOUT_SECONDS = 900;

  /** A console session ends this long after sign-in, used or not. */
  @IsInt()
  @Min(300)
  @Max(604_800)
  ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECONDS = 28_800;

  /** Consecutive sign-in failures (password or second factor) that lock an operator. */
  @IsInt()
  @Min(1)
  @Max(100)
  ADMIN_LOGIN_MAX_FAILURES = 5;

  /** First lock duration; doubles with each further lock until a successful sign-in. */
  @IsInt()
  @Min(1)
  @Max(86_400)
  ADMIN_LOCKOUT_BASE_SECONDS = 900;

  /** Longest lock. */
  @IsInt()
  @Min(1)
  @Max(2_592_000)
  ADMIN_LOCKOUT_MAX_SECONDS = 86_400;

  /** How long a TOTP code entered at sign-in or re-authentication allows the sensitive actions. */
  @IsInt()
  @Min(30)
  @Max(3_600)
  ADMIN_STEP_UP_WINDOW_SECONDS = 600;

  /** Console balance adjustments whose absolute amount (minor units) is above this need step-up. */
  @IsInt()
  @Min(0)
  ADMIN_ADJUSTMENT_STEP_UP_THRESHOLD_MINOR = 10_000;

  /** Requests per minute per client IP (and replica) on the console's sign-in routes. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  ADMIN_AUTH_RATE_LIMIT_PER_MINUTE = 30;
  /**
   * Shared Redis for per-key rate limits and the failed-auth throttle (`redis://` or `rediss://`).
   * Empty: both count per process (each replica separately).
   */
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string = undefined;

  /** Prefix of every Redis key and channel of this service (several services can share one Redis). */
  @IsString()
  @Matches(/^[A-Za-z0-9:_.-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1-64 of A-Z a-z 0-9 : _ . -' })
  REDIS_KEY_PREFIX = 'ciris-billing:';

  /** A Redis command slower than this counts as Redis unreachable (per-process counting for that request). */
  @IsInt()
  @Min(10)
  @Max(10_000)
  REDIS_COMMAND_TIMEOUT_MS = 500;

  /** Failed API-key authentications one client address may make per window before it is blocked. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_FAILURE_LIMIT = 20;

  @IsInt()
  @Min(1)
  @Max(86_400)
  AUTH_FAILURE_WINDOW_SECONDS = 60;

  /** How long a client address past AUTH_FAILURE_LIMIT gets 429 for failed authentications. */
  @IsInt()
  @Min(1)
  @Max(86_400)
  AUTH_FAILURE_BLOCK_SECONDS = 300;

  /** Refuse even valid keys from a blocked address (locks out everyone behind a shared address). */
  @IsBoolean()
  AUTH_FAILURE_BLOCK_VALID_KEYS = false;

  /**
   * Express `trust proxy`: which proxies' X-Forwarded-For decides the client address (`req.ip`).
   * Empty or `false`: the TCP peer; a number: that many proxies; `true`: any; else addresses,
   * CIDRs or `loopback`/`linklocal`/`uniquelocal`, comma-separated.
   */
  @IsOptional()
  @Matches(/^(true|false|\d{1,2}|[0-9A-Za-z.:/_, -]{1,1000})$/, {
    message: 'TRUST_PROXY must be true, false, a hop count or a list of addresses/CIDRs',
  })
  TRUST_PROXY?: string = undefined;

  /** Lifetime of a new API key when the operator asks for none in particular; 0: never expires. */
  @IsInt()
  @Min(0)
  @Max(36_500)
  API_KEY_DEFAULT_EXPIRY_DAYS = 90;

  /** Longest lifetime an API key may have (from creation); empty: no maximum. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(36_500)
  API_KEY_MAX_EXPIRY_DAYS?: number = undefined;

  /** Responses carry X-API-Key-Expires-At this many days before a key stops working. */
  @IsInt()
  @Min(0)
  @Max(365)
  API_KEY_EXPIRY_WARNING_DAYS = 14;
}

const NUMERIC_KEYS = new Set<string>([
  'PORT',
  'EMBEDDED_PG_PORT',
  'DB_POOL_SIZE',
  'DB_CONNECT_TIMEOUT_MS',
  'DB_STATEMENT_TIMEOUT_MS',
  'DB_STARTUP_TIMEOUT_MS',
  'FREE_USES_PER_ACCOUNT',
  'DAILY_FREE_USES',
  'HOLD_DEFAULT_EXPIRES_IN_SECONDS',
  'HOLD_MAX_EXPIRES_IN_SECONDS',
  'PURCHASE_PRICE_MINOR',
  'PURCHASE_USES',
  'STRIPE_API_PORT',
  'API_KEY_CACHE_TTL_MS',
  'LAST_USED_FLUSH_INTERVAL_MS',
  'METRICS_PORT',
  'SHUTDOWN_DRAIN_MS',
  'SHUTDOWN_TIMEOUT_MS',
  'ADMIN_SESSION_IDLE_TIMEOUT_SECONDS',
  'ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECONDS',
  'ADMIN_LOGIN_MAX_FAILURES',
  'ADMIN_LOCKOUT_BASE_SECONDS',
  'ADMIN_LOCKOUT_MAX_SECONDS',
  'ADMIN_STEP_UP_WINDOW_SECONDS',
  'ADMIN_ADJUSTMENT_STEP_UP_THRESHOLD_MINOR',
  'ADMIN_AUTH_RATE_LIMIT_PER_MINUTE',
  'REDIS_COMMAND_TIMEOUT_MS',
  'AUTH_FAILURE_LIMIT',
  'AUTH_FAILURE_WINDOW_SECONDS',
  'AUTH_FAILURE_BLOCK_SECONDS',
  'API_KEY_DEFAULT_EXPIRY_DAYS',
  'API_KEY_MAX_EXPIRY_DAYS',
  'API_KEY_EXPIRY_WARNING_DAYS',
]);
const BOOLEAN_KEYS = new Set<string>([
  'RUN_MIGRATIONS_ON_START',
  'METRICS_ENABLED',
  'DOCS_ENABLED',
  'ADMIN_CONSOLE_ENABLED',
  'AUTH_FAILURE_BLOCK_VALID_KEYS',
]);
/** Never echoed back in a validation error: a malformed secret is still a secret. */
export const SECRET_KEYS: ReadonlySet<string> = new Set<string>([
  'DATABASE_URL',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'ADMIN_MFA_ENCRYPTION_KEY',
  'REDIS_URL',
]);

export class InvalidEnvironmentError extends Error {}

/** Validates raw environment variables into an {@link Env}; throws one error listing every bad variable. */
export function validateEnv(raw: Record<string, unknown>): Env {
  const known = Object.keys(new Env());
  const picked: Record<string, unknown> = {};
  for (const key of [...known, 'DATABASE_URL']) {
    const value = raw[key];
    if (value === undefined || value === '') continue;
    if (NUMERIC_KEYS.has(key) && typeof value === 'string' && /^-?\d+$/.test(value.trim())) {
      picked[key] = Number(value);
    } else if (BOOLEAN_KEYS.has(key)) {
      picked[key] = toBoolean({ value });
    } else {
      picked[key] = value;
    }
  }
  const env = plainToInstance(Env, picked, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length === 0 && env.HOLD_DEFAULT_EXPIRES_IN_SECONDS > env.HOLD_MAX_EXPIRES_IN_SECONDS) {
    errors.push(
      Object.assign(new ValidationError(), {
        property: 'HOLD_DEFAULT_EXPIRES_IN_SECONDS',
        constraints: { max: 'HOLD_DEFAULT_EXPIRES_IN_SECONDS must not be greater than HOLD_MAX_EXPIRES_IN_SECONDS' },
      }),
    );
  }
  if (errors.length > 0) {
    const lines = errors.map(
      (e) =>
        `  ${e.property}=${SECRET_KEYS.has(e.property) ? '<redacted>' : JSON.stringify(raw[e.property])}: ${Object.values(e.constraints ?? {}).join('; ')}`,
    );
    throw new InvalidEnvironmentError(
      `Invalid configuration (${errors.length} ${errors.length === 1 ? 'variable' : 'variables'}):\n` +
        `${lines.join('\n')}\n` +
        'Every setting and its default is documented in .env.example.',
    );
  }
  const max = env.API_KEY_MAX_EXPIRY_DAYS;
  if (max !== undefined && (env.API_KEY_DEFAULT_EXPIRY_DAYS === 0 || env.API_KEY_DEFAULT_EXPIRY_DAYS > max)) {
    throw new InvalidEnvironmentError(
      `Invalid configuration (1 variable):\n  API_KEY_DEFAULT_EXPIRY_DAYS=${env.API_KEY_DEFAULT_EXPIRY_DAYS}: ` +
        `must be from 1 to API_KEY_MAX_EXPIRY_DAYS (${max})\n` +
        'Every setting and its default is documented in .env.example.',
    );
  }
  if (env.NODE_ENV === 'production' && env.ADMIN_CONSOLE_ENABLED && !env.ADMIN_MFA_ENCRYPTION_KEY) {
    // The development stand-in key is public: operators' TOTP secrets sealed with it would not be secret.
    throw new InvalidEnvironmentError(
      'Invalid configuration (1 variable):\n' +
        '  ADMIN_MFA_ENCRYPTION_KEY=<redacted>: required in production while ADMIN_CONSOLE_ENABLED=true ' +
        '(32 bytes, e.g. openssl rand -base64 32)\n' +
        'Every setting and its default is documented in .env.example.',
    );
  }
  env.DEFAULT_CURRENCY = env.DEFAULT_CURRENCY.toUpperCase();
  return env;
}

/** Express's `trust proxy` value for {@link Env.TRUST_PROXY}. */
export function trustProxySetting(value: string | undefined): boolean | number | string {
  const v = value?.trim() ?? '';
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v;
}
