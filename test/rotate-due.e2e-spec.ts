import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { createScratchDatabase, type ScratchDatabase } from './utils/scratch-database.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

/**
 * `node dist/cli key rotate-due`, as a CronJob runs it, on a database of its own (it rotates every
 * due key it finds, so it must not meet the keys of other test files). Two runs at once rotate each
 * due key exactly once.
 */
const CLI = resolve(process.cwd(), 'dist/cli/index.js');
const DAY = 86_400_000;

interface Rotated {
  key_id: string;
  name: string;
  plaintext_key: string;
  expires_at: string;
  rotated_from: { key_id: string; status: string; grace_period_until: string | null; expires_at: string };
}

function cli(databaseUrl: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('key rotate-due', () => {
  let scratch: ScratchDatabase;
  let t: TestApp;
  let db: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase({ serverUrl: process.env.TEST_DB_URL, prefix: 'ciris_rotate_due' });
    const prev = process.env.TEST_DB_URL;
    process.env.TEST_DB_URL = scratch.url;
    try {
      t = await createTestApp();
    } finally {
      process.env.TEST_DB_URL = prev;
    }
    db = new pg.Client({ connectionString: scratch.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await scratch.drop();
  });

  /** Keys handed out a while ago (rotate-due leaves keys younger than an hour alone). */
  async function keyCreatedDaysAgo(days: number, expiresInDays: number | null, name: string) {
    const key = await t.createKey({ name, expiresInDays, rateLimitPerMinute: 30, permissions: ['billing:read'] });
    await db.query(`UPDATE api_keys SET created_at = created_at - make_interval(days => $2) WHERE id = $1`, [
      key.keyId,
      days,
    ]);
    return key;
  }

  it('two concurrent runs rotate each due key exactly once and print each new key once', async () => {
    const due = [];
    for (const d of [1, 2, 3, 4, 5, 6]) due.push(await keyCreatedDaysAgo(80, d, `Due Agent ${d}`));
    const later = await keyCreatedDaysAgo(10, 30, 'Later Agent');
    const never = await keyCreatedDaysAgo(10, null, 'Forever Agent');
    const revoked = await keyCreatedDaysAgo(80, 2, 'Revoked Agent');
    await t.keys.revokeApiKey(revoked.keyId);
    const expired = await keyCreatedDaysAgo(100, 1, 'Expired Agent');
    await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 day' WHERE id = $1`, [expired.keyId]);
    const young = await t.createKey({ name: 'Young Agent', expiresInDays: 2 });

    const args = ['key', 'rotate-due', '--within-days', '7', '--grace-period-hours', '48', '--json'];
    const runs = await Promise.all([cli(scratch.url, args), cli(scratch.url, args)]);
    for (const r of runs) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const outputs = runs.map(
      (r) => JSON.parse(r.stdout) as { within_days: number; grace_period_hours: number; rotated: Rotated[] },
    );
    for (const o of outputs) expect(o).toMatchObject({ within_days: 7, grace_period_hours: 48 });
    const rotated = outputs.flatMap((o) => o.rotated);

    // Exactly the due keys, each once, across both runs.
    expect(rotated.map((r) => r.rotated_from.key_id).sort()).toEqual(due.map((k) => k.keyId).sort());
    expect(new Set(rotated.map((r) => r.plaintext_key)).size).toBe(due.length);
    for (const r of rotated) {
      const old = due.find((k) => k.keyId === r.rotated_from.key_id)!;
      expect(r.name).toBe(old.name);
      expect(r.rotated_from.status).toBe('rotating');
      // 48 h of grace, but never past the old key's own expiry.
      const graceEnd = Math.min(Date.now() + 48 * 3_600_000, old.expiresAt!.getTime());
      expect(Math.abs(Date.parse(r.rotated_from.grace_period_until!) - graceEnd)).toBeLessThan(120_000);
      // The new key keeps the old one's lifetime (80 + N days), counted from now.
      const lifetime = old.expiresAt!.getTime() - old.createdAt.getTime() + 80 * DAY;
      expect(Math.abs(Date.parse(r.expires_at) - Date.now() - lifetime)).toBeLessThan(120_000);
    }

    const { rows } = await db.query<{
      id: string;
      status: string;
      rotated_to: string | null;
      rate_limit_per_minute: number | null;
    }>(`SELECT id, status, rotated_to, rate_limit_per_minute FROM api_keys`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const k of due)
      expect(byId.get(k.keyId)).toMatchObject({ status: 'rotating', rotated_to: expect.any(String) });
    for (const r of rotated)
      expect(byId.get(r.key_id)).toMatchObject({ status: 'active', rotated_to: null, rate_limit_per_minute: 30 });
    expect(byId.get(later.keyId)!.status).toBe('active');
    expect(byId.get(never.keyId)!.status).toBe('active');
    expect(byId.get(revoked.keyId)!.status).toBe('revoked');
    expect(byId.get(expired.keyId)!).toMatchObject({ status: 'active', rotated_to: null });
    expect(byId.get(young.keyId)!).toMatchObject({ status: 'active', rotated_to: null });
    expect(rows).toHaveLength(11 + due.length);

    // One audit row per rotation (actor cli), none for the keys left alone, and no secret in any row.
    const audit = await db.query<{
      action: string;
      actor_type: string;
      resource_id: string;
      before: Record<string, unknown>;
      after: Record<string, unknown>;
    }>(`SELECT action, actor_type, resource_id, before, after FROM admin_audit_log WHERE action = 'key.rotate'`);
    expect(audit.rows.map((r) => r.resource_id).sort()).toEqual(due.map((k) => k.keyId).sort());
    for (const row of audit.rows) {
      const fresh = rotated.find((r) => r.rotated_from.key_id === row.resource_id)!;
      expect(row).toMatchObject({
        actor_type: 'cli',
        before: { status: 'active', rotated_to: null },
        after: {
          status: 'rotating',
          rotated_to: fresh.key_id,
          new_key_id: fresh.key_id,
          grace_period_seconds: 48 * 3600,
        },
      });
      expect(JSON.stringify(row)).not.toContain(fresh.plaintext_key);
    }

    // A second pass finds nothing left to do.
    const again = await cli(scratch.url, ['key', 'rotate-due', '--within-days', '7']);
    expect(again).toEqual({ code: 0, stdout: 'No active key expires within 7 days: nothing rotated.\n', stderr: '' });
  });
});
