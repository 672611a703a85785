import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Env, validateEnv } from './env.js';

/**
 * Validates the environment once at boot and provides it as the typed {@link Env} object.
 * Inject `Env` rather than reading `process.env`.
 */
/**
 * `forRoot` loads `.env` and validates while this file is imported; with a bad environment its
 * promise rejects before Nest awaits it. It is marked handled here, and main.ts awaits it before
 * creating the app, so a bad environment ends in one readable message instead of an unhandled
 * rejection and a stack trace.
 */
export const configRoot = ConfigModule.forRoot({
  ignoreEnvFile: false,
  envFilePath: '.env',
  validate: validateEnv,
  cache: true,
});
configRoot.catch(() => undefined);

@Global()
@Module({
  imports: [configRoot],
  providers: [
    {
      provide: Env,
      useFactory: (): Env => validateEnv(process.env),
    },
  ],
  exports: [Env],
})
export class AppConfigModule {}
