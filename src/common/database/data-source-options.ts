import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

/** `dist/` when running the build, `src/` under ts-jest: either way a sibling of `dist/`. */
const codeRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Compiled migrations: `dist/migrations/*.js`, built from `migrations/` by `npm run build`. */
export const MIGRATIONS_GLOB = join(codeRoot, '..', 'dist', 'migrations', '*.js');

export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'typeorm_migrations',
    namingStrategy: new SnakeNamingStrategy(),
    // pg returns bigint (int8) as a string; the service converts explicitly where it reads one.
    extra: { max: poolSize, application_name: 'ciris-billing' },
  };
}
