import { Global, Module } from '@nestjs/common';
import { Env } from './env.js';
import { settings } from './startup-env.js';

/**
 * Provides the settings as the typed {@link Env}: `.env` (when present) under the process
 * environment, validated once (by main.ts before the app loads, else when the app is created).
 * Inject `Env`; nothing else reads `process.env`. A bad environment fails with an
 * `InvalidEnvironmentError` naming every bad variable.
 */
@Global()
@Module({
  providers: [{ provide: Env, useFactory: settings }],
  exports: [Env],
})
export class AppConfigModule {}
