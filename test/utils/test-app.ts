import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AdminUsersService } from '../../src/admin-users/admin-users.service.js';
import { ApiKeysService, type CreateApiKeyInput, type GeneratedApiKey } from '../../src/api-keys/api-keys.service.js';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import { Clock } from '../../src/common/time/clock.js';

/** A clock the test moves by hand. */
export class TestClock extends Clock {
  private offsetMs = 0;
  override now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

export interface TestApp {
  app: INestApplication;
  http: ReturnType<INestApplication['getHttpServer']>;
  db: DataSource;
  clock: TestClock;
  keys: ApiKeysService;
  adminId: string;
  createKey(input?: Partial<CreateApiKeyInput>): Promise<GeneratedApiKey>;
  close(): Promise<void>;
}

/** Applies env overrides for the app about to be built (config is validated from process.env). */
function applyEnv(overrides: Record<string, string>): void {
  process.env.DATABASE_URL = process.env.TEST_DB_URL;
  process.env.RUN_MIGRATIONS_ON_START = 'false';
  // Set, not defaulted: @nestjs/config writes every validated default back into process.env when
  // the config module loads, so `??=` would never apply. Request logs go straight to stdout
  // (pino), past Jest's console capture, hence silent unless a test asks.
  Object.assign(
    process.env,
    { FREE_USES_PER_ACCOUNT: '10', DAILY_FREE_USES: '2', DB_POOL_SIZE: '10', LOG_LEVEL: 'silent' },
    overrides,
  );
}

/** The real AppModule on the suite's PostgreSQL, configured like main.ts, with a movable clock. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  if (!process.env.TEST_DB_URL) throw new Error('TEST_DB_URL is not set: run the suite through jest (globalSetup)');
  applyEnv(env);
  const clock = new TestClock();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: ['error', 'warn'] });
  configureApp(app);
  await app.init();

  // An app left open (its caller never gets it to close) keeps timers that would fire after Jest
  // tore the test file's environment down: close it when the rest of the setup fails.
  const admin = await app
    .get(AdminUsersService)
    .createAdmin({
      email: `admin-${crypto.randomUUID()}@example.com`,
      password: 'correct horse battery staple',
      fullName: 'Test Admin',
      role: 'super_admin',
    })
    .catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
  const keys = app.get(ApiKeysService);
  return {
    app,
    http: app.getHttpServer(),
    db: app.get<DataSource>(getDataSourceToken()),
    clock,
    keys,
    adminId: admin.id,
    createKey: (input = {}) =>
      keys.createApiKey({ name: 'Test Agent', createdBy: admin.id, environment: 'test', ...input }),
    close: () => app.close(),
  };
}

/** A fresh identity, so tests never see each other's accounts. */
export function newUser(prefix = 'user'): { oauth_provider: string; external_id: string } {
  return { oauth_provider: 'oauth:google', external_id: `${prefix}-${crypto.randomUUID()}@example.com` };
}
