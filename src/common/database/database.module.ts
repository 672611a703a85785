import { Global, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Env } from '../../config/env.js';
import { dataSourceOptions } from './data-source-options.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

export const DATABASE_URL = Symbol('DATABASE_URL');

/** Owns the embedded PostgreSQL when this process started it, and stops it last. */
@Injectable()
export class EmbeddedDatabaseHolder implements OnApplicationShutdown {
  embedded?: EmbeddedDatabase;

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}

/** Resolves the database: `DATABASE_URL`, or the embedded PostgreSQL when none is configured. */
@Global()
@Module({
  providers: [
    EmbeddedDatabaseHolder,
    {
      provide: DATABASE_URL,
      inject: [Env, EmbeddedDatabaseHolder],
      useFactory: async (env: Env, holder: EmbeddedDatabaseHolder): Promise<string> => {
        if (env.DATABASE_URL) return env.DATABASE_URL;
        holder.embedded = await startEmbeddedPostgres(env.EMBEDDED_PG_DIR, env.EMBEDDED_PG_PORT);
        return holder.embedded.url;
      },
    },
  ],
  exports: [DATABASE_URL],
})
class DatabaseUrlModule {}

/**
 * Optional connection tuning a process can provide (globally) under {@link DATABASE_TUNING}; the
 * operator CLI uses it to fail fast — one connection attempt with a timeout, a small pool —
 * instead of the service's boot-time retries.
 */
export interface DatabaseTuning {
  retryAttempts?: number;
  poolSize?: number;
  applicationName?: string;
  connectTimeoutMs?: number;
}
export const DATABASE_TUNING = Symbol('DATABASE_TUNING');

/**
 * Bounded waits for the HTTP service (pg options): acquiring a pooled connection or opening a new
 * one (`connectionTimeoutMillis`), a statement on the server (`statement_timeout`: PostgreSQL cancels
 * it and rolls it back), and the client's wait for an answer (`query_timeout`, one second longer, for
 * a server that stopped answering at all). Each ends in a 503 (see database.errors.ts).
 */
function serviceTimeouts(env: Env): Record<string, number | boolean> {
  return {
    connectionTimeoutMillis: env.DB_CONNECT_TIMEOUT_MS,
    statement_timeout: env.DB_STATEMENT_TIMEOUT_MS,
    query_timeout: env.DB_STATEMENT_TIMEOUT_MS + 1_000,
    keepAlive: true,
  };
}

@Module({
  imports: [
    DatabaseUrlModule,
    TypeOrmModule.forRootAsync({
      inject: [DATABASE_URL, Env, { token: DATABASE_TUNING, optional: true }],
      useFactory: (url: string, env: Env, tuning: DatabaseTuning | undefined) => {
        const options = dataSourceOptions(url, tuning?.poolSize ?? env.DB_POOL_SIZE);
        return {
          ...options,
          extra: {
            ...options.extra,
            // The HTTP service bounds every wait on the database (a process with its own tuning, the CLI, does not).
            ...(tuning ? {} : serviceTimeouts(env)),
            ...(tuning?.applicationName ? { application_name: tuning.applicationName } : {}),
            ...(tuning?.connectTimeoutMs ? { connectionTimeoutMillis: tuning.connectTimeoutMs } : {}),
          },
          autoLoadEntities: true,
          ...(tuning?.retryAttempts === undefined ? {} : { retryAttempts: tuning.retryAttempts }),
        };
      },
    }),
  ],
})
export class DatabaseModule {}
