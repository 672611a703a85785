import { Controller, Get } from '@nestjs/common';
import { CurrentPrincipal, RequirePermission } from './decorators.js';
import type { Principal } from './principal.js';

export interface CurrentKeyResponse {
  key_id: string;
  name: string;
  environment: Principal['environment'];
  permissions: readonly string[];
  rate_limit_per_minute: number | null;
}

/**
 * `GET /v1/billing/key`: the calling key as the service sees it, so an agent can check at start-up
 * that its key works, is the environment it expects (live or test) and carries the permissions it
 * needs, before a user's first message. Answered from the authenticated principal: no database.
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
    };
  }
}
