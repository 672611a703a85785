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
