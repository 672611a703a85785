import { Global, Module } from '@nestjs/common';
import { AdminAuthModule } from '../admin-auth/admin-auth.module.js';
import { AdminUsersModule } from '../admin-users/admin-users.module.js';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { DATABASE_TUNING, DatabaseModule, type DatabaseTuning } from '../common/database/database.module.js';
import { ClockModule } from '../common/time/clock.module.js';
import { AppConfigModule } from '../config/config.module.js';

const CLI_DATABASE_TUNING: DatabaseTuning = {
  retryAttempts: 0,
  poolSize: 2,
  applicationName: 'ciris-billing-cli',
  connectTimeoutMs: 5_000,
};

/** One connection attempt, then a one-line "database unreachable": a CLI must not hang in retries. */
@Global()
@Module({ providers: [{ provide: DATABASE_TUNING, useValue: CLI_DATABASE_TUNING }], exports: [DATABASE_TUNING] })
class CliDatabaseTuningModule {}

/**
 * The services the commands act through: the HTTP app's own modules (config, clock, database,
 * admin users, API keys, operator sign-in state) and nothing of HTTP — no controllers, guards or filters.
 * Built lazily by `CliCore` (cli-core.ts), so `--help` and flag mistakes never touch the database.
 */
@Module({
  imports: [
    AppConfigModule,
    ClockModule,
    CliDatabaseTuningModule,
    DatabaseModule,
    AdminUsersModule,
    ApiKeysModule,
    AdminAuthModule,
  ],
})
export class CliCoreModule {}
