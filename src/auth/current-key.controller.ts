import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, RequirePermission } from './decorators.js';
import type { Principal } from './principal.js';

export interface CurrentKeyResponse {
  key_id: string;
  name: string;
  environment: Principal['environment'];
  permissions: readonly string[];
  rate_limit_per_minute: number | null;
  status: Principal['status'];
  expires_at: string | null;
  grace_period_until: string | null;
  /** When the key stops working: its expiry, or for a rotating key the end of its grace period. */
  stops_working_at: string | null;
  /** Inside the warning window (`API_KEY_EXPIRY_WARNING_DAYS`) or rotating: rotate or restart soon. */
  expires_soon: boolean;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * `GET /v1/billing/key`: the calling key as the service sees it, so an agent can check at start-up
 * that its key works, is the environment it expects (live or test) and carries the permissions it
 * needs, and when it stops working, before a user's first message. Answered from the authenticated
 * principal: no database.
 */
@Controller('v1/billing')
export class CurrentKeyController {
  @Get('key')
  @RequirePermission('billing:read')
  currentKey(@CurrentPrincipal() principal: Principal): CurrentKeyResponse {
    return {
      key_id: principal.keyId,
      name: principal.keyName,
      environment: principal.environment,
      permissions: principal.permissions,
      rate_limit_per_minute: principal.rateLimitPerMinute,
      status: principal.status,
      expires_at: iso(principal.expiresAt),
      grace_period_until: iso(principal.gracePeriodUntil),
      stops_working_at: iso(principal.stopsWorkingAt),
      expires_soon: principal.expiresSoon,
    };
  }
}
