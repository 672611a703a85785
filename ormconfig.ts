/**
 * DataSource for the TypeORM CLI only (the app builds its own in src/common/database), e.g.
 *   npm run typeorm -- migration:show -d ormconfig.ts
 *   npm run typeorm -- migration:create migrations/AddSomething
 * It reuses the app's validated configuration (`.env` under the environment): DATABASE_URL is
 * required here (the embedded PostgreSQL is started by the service, not by this file).
 */
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/common/database/data-source-options.js';
import { loadEnv } from './src/config/env.js';

const env = loadEnv();
if (!env.DATABASE_URL) {
  throw new Error('ormconfig.ts: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/ciris_billing)');
}

export default new DataSource({
  ...dataSourceOptions(env.DATABASE_URL, 2),
  entities: ['src/**/*.entity.ts'],
  migrations: ['migrations/*.ts'],
});
