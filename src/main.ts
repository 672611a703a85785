import 'reflect-metadata';
import v8 from 'node:v8';
import type { Logger } from 'pino';
import { DatabaseStartupTimeoutError, waitForDatabase } from './common/database/wait-for-database.js';
import { StartupServer } from './common/lifecycle/startup-server.js';
import { createPino, prettyLogs } from './common/logging/create-pino.js';
import { useValidatedEnv } from './config/startup-env.js';
import { Env, InvalidEnvironmentError, loadEnv } from './config/env.js';

let logger: Logger | undefined;

/**
 * V8 lets the old generation grow to up to 4x what survived the last full collection before it
 * collects again; under 1,000 concurrent requests (each surviving long enough to be promoted) that
 * took the service to 320+ MB of RSS. Capping the factor at 2x keeps it near 220 MB for a few percent
 * more CPU at that load and no measurable change at 50 connections (docs/performance.md, round 2).
 */
const HEAP_GROWING_PERCENT = 100;

/**
 * Start-up order: validate the configuration; open the port at once (liveness 200, readiness and
 * everything else 503); wait for the database (one JSON line per attempt, exit 1 after
 * `DB_STARTUP_TIMEOUT_MS`); build the app and hand the same listening socket to it.
 */
async function bootstrap(): Promise<void> {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  // Validated once, here (a bad environment ends in one readable message, see the catch below),
  // and handed to the application's config module.
  const env: Env = loadEnv();
  useValidatedEnv(env);
  logger = createPino(env.LOG_LEVEL, prettyLogs(env.LOG_FORMAT));
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
