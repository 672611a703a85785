import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { ApiKeyAuthGuard } from './api-key-auth.guard.js';
import { CurrentKeyController } from './current-key.controller.js';
import { KeyRateLimiter } from './key-rate-limiter.js';
import { PermissionGuard } from './permission.guard.js';

/** Global guards, in order: authenticate the key, then authorise the route. */
@Module({
  imports: [ApiKeysModule],
  controllers: [CurrentKeyController],
  providers: [
    KeyRateLimiter,
    { provide: APP_GUARD, useClass: ApiKeyAuthGuard },
    { provide: APP_GUARD, useClass: PermissionGuard },
  ],
})
export class AuthModule {}
