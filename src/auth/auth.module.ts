import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { KeyUsageModule } from '../key-usage/key-usage.module.js';
import { ApiKeyAuthGuard } from './api-key-auth.guard.js';
import { ApiKeyStrategy } from './api-key.strategy.js';
import { CurrentKeyController } from './current-key.controller.js';
import { ApiKeyExpiryMetrics } from './api-key-expiry.metrics.js';
import { AuthFailureThrottle } from './auth-failure-throttle.js';
import { KeyRateLimiter } from './key-rate-limiter.js';
import { PermissionGuard } from './permission.guard.js';

/** Global guards, in order: authenticate the key (Passport strategy), then authorise the route. */
@Module({
  imports: [PassportModule, ApiKeysModule, KeyUsageModule],
  controllers: [CurrentKeyController],
  providers: [
    ApiKeyStrategy,
    KeyRateLimiter,
    AuthFailureThrottle,
    ApiKeyExpiryMetrics,
    { provide: APP_GUARD, useClass: ApiKeyAuthGuard },
    { provide: APP_GUARD, useClass: PermissionGuard },
  ],
})
export class AuthModule {}
