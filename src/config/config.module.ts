import { Global, Module } from '@nestjs/common';
import { Env, loadEnv } from './env.js';

/**
 * Provides the settings as the typed {@link Env}: `.env` (when present) under the process
 * environment, validated once when the application is created. Inject `Env`; nothing else reads
 * `process.env`. A bad environment fails the creation with an `InvalidEnvironmentError` naming
 * every bad variable.
 */
@Global()
@Module({
  providers: [{ provide: Env, useFactory: (): Env => loadEnv() }],
  exports: [Env],
})
export class AppConfigModule {}
