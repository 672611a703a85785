import { Injectable, type INestApplicationContext, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/**
 * The application context the commands work in, created on first use and closed when the CLI
 * shuts down (database pool, the API-key change listener, an embedded PostgreSQL it started).
 */
@Injectable()
export class CliCore implements OnApplicationShutdown {
  private context?: Promise<INestApplicationContext>;

  async get<T>(token: Type<T> | string | symbol): Promise<T> {
    this.context ??= import('./cli-core.module.js').then(({ CliCoreModule }) =>
      NestFactory.createApplicationContext(CliCoreModule, { logger: false, abortOnError: false }),
    );
    return (await this.context).get<T>(token);
  }

  async onApplicationShutdown(): Promise<void> {
    const context = await this.context?.catch(() => undefined);
    this.context = undefined;
    await context?.close();
  }
}
