import { Module } from '@nestjs/common';
import { AccountAdminModule } from '../account-admin/account-admin.module.js';
import { AdminAuthModule } from '../admin-auth/admin-auth.module.js';
import { AnalyticsModule } from '../analytics/analytics.module.js';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { KeyUsageModule } from '../key-usage/key-usage.module.js';
import { AdminAccountsController } from './admin-accounts.controller.js';
import { AdminAnalyticsController } from './admin-analytics.controller.js';
import { AdminAuditController } from './admin-audit.controller.js';
import { AdminAuthController } from './admin-auth.controller.js';
import { AdminKeysController } from './admin-keys.controller.js';
import { AdminUsersController } from './admin-users.controller.js';
import { ConsoleAccountsService } from './console-accounts.service.js';
import { ConsoleAnalyticsService } from './console-analytics.service.js';
import { ConsoleKeysService } from './console-keys.service.js';

/** The admin console API under /admin/api: operator sessions only (never an API key). */
@Module({
  imports: [AdminAuthModule, ApiKeysModule, AccountAdminModule, AnalyticsModule, AuditModule, KeyUsageModule],
  controllers: [
    AdminAuthController,
    AdminKeysController,
    AdminAccountsController,
    AdminAnalyticsController,
    AdminAuditController,
    AdminUsersController,
  ],
  providers: [ConsoleKeysService, ConsoleAccountsService, ConsoleAnalyticsService],
})
export class AdminConsoleModule {}
