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

@Module({
  imports: [
    DatabaseUrlModule,
    TypeOrmModule.forRootAsync({
      inject: [DATABASE_URL, Env],
      useFactory: (url: string, env: Env) => ({
        ...dataSourceOptions(url, env.DB_POOL_SIZE),
        autoLoadEntities: true,
      }),
    }),
  ],
})
export class DatabaseModule {}

