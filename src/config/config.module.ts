import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Env, validateEnv } from './env.js';

/**
 * Validates the environment once at boot and provides it as the typed {@link Env} object.
 * Inject `Env` rather than reading `process.env`.
 */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ ignoreEnvFile: false, envFilePath: '.env', validate: validateEnv, cache: true })],
  providers: [
    {
      provide: Env,
      useFactory: (): Env => validateEnv(process.env),
    },
  ],
  exports: [Env],
})
export class AppConfigModule {}
