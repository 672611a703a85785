import { Module } from '@nestjs/common';
import { AccountAdminModule } from './account-admin/account-admin.module.js';
import { AdminAuthModule } from './admin-auth/admin-auth.module.js';
import { AdminConsoleModule } from './admin-console/admin-console.module.js';
import { AdminUiStaticModule } from './admin-ui-static/admin-ui-static.module.js';
import { AdminUsersModule } from './admin-users/admin-users.module.js';
import { AnalyticsModule } from './analytics/analytics.module.js';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BillingModule } from './billing/billing.module.js';
import { KeyUsageModule } from './key-usage/key-usage.module.js';
import { DatabaseModule } from './common/database/database.module.js';
import { LifecycleModule } from './common/lifecycle/graceful-shutdown.js';
import { LoggingModule } from './common/logging/logging.module.js';
import { MetricsModule } from './common/metrics/metrics.module.js';
import { RedisModule } from './common/redis/redis.module.js';
import { ClockModule } from './common/time/clock.module.js';
import { AppConfigModule } from './config/config.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { PurchasesModule } from './purchases/purchases.module.js';

@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    MetricsModule,
    LifecycleModule,
    ClockModule,
    DatabaseModule,
    RedisModule,
    AdminUsersModule,
    AuditModule,
    KeyUsageModule,
    ApiKeysModule,
    AuthModule,
    BillingModule,
    PurchasesModule,
    AccountAdminModule,
    AnalyticsModule,
    // Routes are tried in module order: the agents' API (/v1) first, then `/`, health and metrics,
    // and the console's ~40 routes last, so no API request tests them (docs/performance.md).
    OperationsModule,
    AdminAuthModule,
    AdminConsoleModule,
    // Last: its index.html fallback for /admin/* must not shadow any controller.
    AdminUiStaticModule,
  ],
})
export class AppModule {}
