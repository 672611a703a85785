import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { DATABASE_URL } from './common/database/database.module.js';
import { runMigrationsLocked } from './common/database/migrator.js';
import { Env } from './config/env.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { bodyParser: false });
  configureApp(app);
  const env = app.get(Env);
  if (env.RUN_MIGRATIONS_ON_START) {
    const applied = await runMigrationsLocked(app.get<string>(DATABASE_URL));
    if (applied.length > 0) Logger.log(`Applied migrations: ${applied.join(', ')}`, 'Migrations');
  }
  await app.listen(env.PORT, env.HOST);
  Logger.log(`CIRIS Billing listening on http://${env.HOST}:${env.PORT}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
