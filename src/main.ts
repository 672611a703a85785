import 'reflect-metadata';
import type { Logger } from 'pino';
import { DatabaseStartupTimeoutError, waitForDatabase } from './common/database/wait-for-database.js';
import { StartupServer } from './common/lifecycle/startup-server.js';
import { createPino } from './common/logging/create-pino.js';
import { Env, InvalidEnvironmentError, validateEnv } from './config/env.js';

let logger: Logger | undefined;

/**
 * Start-up order: validate the configuration; open the port at once (liveness 200, readiness and
 * everything else 503); wait for the database (one JSON line per attempt, exit 1 after
 * `DB_STARTUP_TIMEOUT_MS`); build the app and hand the same listening socket to it.
 */
async function bootstrap(): Promise<void> {
  // Imported here, not at the top: the configuration is validated while the module loads, and a
  // bad environment must end in one readable message (see the catch below), not a stack trace.
  await (
    await import('./config/config.module.js')
  ).configRoot;
  const env: Env = validateEnv(process.env);
  logger = createPino(env.LOG_LEVEL);
  const startup = new StartupServer();
  await startup.listen(env.PORT, env.HOST);
  logger.info({ context: 'Startup' }, `Listening on http://${env.HOST}:${env.PORT}; starting`);
  if (env.DATABASE_URL) {
    await waitForDatabase(env.DATABASE_URL, {
      timeoutMs: env.DB_STARTUP_TIMEOUT_MS,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      logger,
    });
  }
  // The application is loaded only now: listening above must not wait for it.
  const [
    { NestFactory },
    { Logger: NestLogger },
    { AppModule },
    { configureApp },
    { startupAdapter },
    { PinoNestLogger },
  ] = await Promise.all([
    import('@nestjs/core'),
    import('@nestjs/common'),
    import('./app.module.js'),
    import('./app.setup.js'),
    import('./common/lifecycle/startup-adapter.js'),
    import('./common/logging/pino-nest-logger.js'),
  ]);
  const app = await NestFactory.create(AppModule, startupAdapter(startup), {
    bodyParser: false,
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  configureApp(app);
  if (env.RUN_MIGRATIONS_ON_START) {
    const [{ DATABASE_URL }, { runMigrationsLocked }] = await Promise.all([
      import('./common/database/database.module.js'),
      import('./common/database/migrator.js'),
    ]);
    const applied = await runMigrationsLocked(app.get<string>(DATABASE_URL));
    if (applied.length > 0) NestLogger.log(`Applied migrations: ${applied.join(', ')}`, 'Migrations');
  }
  await app.listen(env.PORT, env.HOST);
  NestLogger.log(`CIRIS Billing listening on http://${env.HOST}:${env.PORT}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  if (error instanceof InvalidEnvironmentError) {
    console.error(error.message);
  } else if (!(error instanceof DatabaseStartupTimeoutError)) {
    // Logged already when the database never answered; anything else gets one fatal JSON line.
    const message = `Startup failed: ${error instanceof Error ? error.message : String(error)}`;
    if (logger) logger.fatal({ context: 'Startup', err: error }, message);
    else console.error(message);
  }
  process.exit(1);
});
