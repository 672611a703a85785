import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configureApp } from './app.setup.js';
import { PinoNestLogger } from './common/logging/pino-nest-logger.js';
import { DATABASE_URL } from './common/database/database.module.js';
import { runMigrationsLocked } from './common/database/migrator.js';
import { Env, InvalidEnvironmentError } from './config/env.js';

async function bootstrap(): Promise<void> {
  // Imported here, not at the top: the configuration is validated while the module loads, and a
  // bad environment must end in one readable message (see the catch below), not a stack trace.
  await (
    await import('./config/config.module.js')
  ).configRoot;
  const { AppModule } = await import('./app.module.js');
  const app = await NestFactory.create(AppModule, { bodyParser: false, bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(PinoNestLogger));
  configureApp(app);
  const env = app.get(Env);
  if (env.RUN_MIGRATIONS_ON_START) {
    const applied = await runMigrationsLocked(app.get<string>(DATABASE_URL));
    if (applied.length > 0) NestLogger.log(`Applied migrations: ${applied.join(', ')}`, 'Migrations');
  }
  await app.listen(env.PORT, env.HOST);
  NestLogger.log(`CIRIS Billing listening on http://${env.HOST}:${env.PORT}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  const message =
    error instanceof InvalidEnvironmentError
      ? error.message
      : `Startup failed: ${error instanceof Error ? error.message : String(error)}`;
  console.error(message);
  process.exit(1);
});
