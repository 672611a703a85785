import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidEnvironmentError, loadEnv, validateEnv } from './env.js';

describe('validateEnv', () => {
  it('gives every setting its default', () => {
    expect(validateEnv({})).toMatchObject({ PORT: 8000, RUN_MIGRATIONS_ON_START: true, DOCS_ENABLED: true });
  });

  it('reads integers and flags from their text', () => {
    expect(
      validateEnv({ PORT: ' 9000 ', DB_POOL_SIZE: '5', METRICS_ENABLED: 'off', DOCS_ENABLED: 'Yes' }),
    ).toMatchObject({ PORT: 9000, DB_POOL_SIZE: 5, METRICS_ENABLED: false, DOCS_ENABLED: true });
  });

  it('names every bad variable, and never echoes a secret', () => {
    let error: unknown;
    try {
      validateEnv({ PORT: '1.5', METRICS_ENABLED: 'maybe', DATABASE_URL: 'mysql://user:hunter2@db' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    const message = (error as Error).message;
    expect(message).toContain('Invalid configuration (3 variables)');
    expect(message).toContain('PORT="1.5"');
    expect(message).toContain('METRICS_ENABLED="maybe"');
    expect(message).toContain('DATABASE_URL=<redacted>');
    expect(message).not.toContain('hunter2');
  });
});

describe('loadEnv', () => {
  const KEYS = ['PURCHASE_PRICE_MINOR', 'PURCHASE_USES'];
  let dir: string;
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ciris-env-'));
    // Jest reuses workers across files: start from a process environment without these two.
    saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
    for (const k of KEYS) delete process.env[k];
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const k of KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('reads .env when present, under the process environment', () => {
    const file = join(dir, '.env');
    writeFileSync(file, '# settings\nPURCHASE_PRICE_MINOR=750\nPURCHASE_USES="40"\n');
    process.env.PURCHASE_USES = '60';
    const env = loadEnv(file);
    expect(env.PURCHASE_PRICE_MINOR).toBe(750);
    expect(env.PURCHASE_USES).toBe(60);
    // Read, never written back.
    expect(process.env.PURCHASE_PRICE_MINOR).toBeUndefined();
  });

  it('works without a .env file', () => {
    expect(loadEnv(join(dir, 'missing.env')).PURCHASE_PRICE_MINOR).toBe(500);
  });
});
