/**
 * The admin console in a real Chromium (Debian's `chromium`, driven by playwright-core) against the
 * built service (`node dist/main`) on the suite's PostgreSQL: the scenarios of ADMIN_CONSOLE.md §6.
 * Every page is saved as a PNG under test-artifacts/screenshots/ (git-ignored). Without a Chromium
 * the tests skip and say so loudly.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { jest } from '@jest/globals';
import * as OTPAuth from 'otpauth';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BuiltServer } from './utils/built-server.js';
import { findChromium, launchChromium, screenshot } from './utils/browser.js';
import { freePort } from './utils/net.js';

const chromiumPath = findChromium();
if (!chromiumPath) {
  console.warn(
    '\n\n*** SKIPPING the admin console browser tests: no Chromium found (looked for CHROMIUM_PATH, /usr/bin/chromium).\n' +
      "*** Install Debian's `chromium` package (.ci/run does) to run them. ***\n\n",
  );
}
const describeInBrowser = chromiumPath ? describe : describe.skip;
// A scenario may wait for the next 30 s TOTP step (codes are single-use).
jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery staple';

/** An authenticator app: codes of the enrolled secret, never the same 30 s step twice (replays are refused). */
class Authenticator {
  private lastStep = -1;
  private readonly totp: OTPAuth.TOTP;
  constructor(secretBase32: string) {
    this.totp = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(secretBase32),
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    });
  }
  /** The code of the next unused step; the server accepts ±1 step, so it may be the next step's. */
  async code(): Promise<string> {
    for (;;) {
      const now = Math.floor(Date.now() / 1000 / 30);
      const step = Math.max(now, this.lastStep + 1);
      if (step <= now + 1) {
        this.lastStep = step;
        return this.totp.generate({ timestamp: step * 30_000 + 1000 });
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  /** The code last handed out (to replay it). */
  lastCode(): string {
    return this.totp.generate({ timestamp: this.lastStep * 30_000 + 1000 });
  }
}

interface Operator {
  email: string;
  role: 'viewer' | 'admin' | 'super_admin';
  auth?: Authenticator;
}

describeInBrowser('admin console in Chromium', () => {
  let server: BuiltServer;
  let port: number;
  let origin: string;
  let browser: Browser;
  let db: pg.Client;
  const pageErrors: string[] = [];
  const run = crypto.randomUUID().slice(0, 8);
  const superAdmin: Operator = { email: `root-${run}@example.com`, role: 'super_admin' };
  const viewer: Operator = { email: `viewer-${run}@example.com`, role: 'viewer' };
  const lockee: Operator = { email: `lockee-${run}@example.com`, role: 'admin' };
  const secretsSeen: string[] = [];

  function createOperator(op: Operator): void {
    const result = spawnSync(
      process.execPath,
      [
        'dist/cli',
        'create-admin',
        '--email',
        op.email,
        '--name',
        `${op.role} ${run}`,
        '--role',
        op.role,
        '--password-stdin',
      ],
      {
        input: PASSWORD,
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: process.env.TEST_DB_URL!, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      },
    );
    if (result.status !== 0) throw new Error(`create-admin failed: ${result.stderr}${result.stdout}`);
  }

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: origin });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // Refused requests (401, 403, 409, 422, 429) are answers the page shows; anything else is a bug.
      if (
        message.type() === 'error' &&
        !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())
      ) {
        pageErrors.push(`console: ${message.text()}`);
      }
    });
    page.on('response', (response) => {
      // The console never asks for something that does not exist (an asset, a route of the API).
      if (response.status() === 404) pageErrors.push(`404: ${response.url()}`);
    });
    page.on('dialog', (dialog) => {
      pageErrors.push(`unexpected ${dialog.type()} dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    return { context, page };
  }

  async function creditCheck(
    key: string,
    externalId = `probe-${run}@example.com`,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${origin}/v1/billing/credits/check`, {
      method: 'POST',
      headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ oauth_provider: 'oauth:google', external_id: externalId }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Password, then TOTP; on first login the enrolment (QR, secret, recovery codes). */
  async function signIn(page: Page, op: Operator, options: { shots?: boolean } = {}): Promise<void> {
    // A console page without a session goes to the login page by itself (keeping where it was).
    await page.waitForSelector('[data-testid=login]');
    await page.fill('#login-email', op.email);
    await page.fill('#login-password', PASSWORD);
    await page.click('button[type=submit]');
    if (!op.auth) {
      await page.waitForSelector('[data-testid=totp-secret]');
      if (options.shots) await screenshot(page, '02-mfa-enrolment');
      op.auth = new Authenticator((await page.textContent('[data-testid=totp-secret]'))!.trim());
      await page.fill('#enrol-code', await op.auth.code());
      await page.click('button:has-text("Confirm and enable")');
      await page.waitForSelector('[data-testid=recovery-codes]');
      expect(await page.locator('.recovery-codes li').count()).toBe(10);
      if (options.shots) await screenshot(page, '03-recovery-codes');
      const continueButton = page.locator('button:has-text("Continue to the console")');
      expect(await continueButton.isDisabled()).toBe(true);
      await page.check('text=I have stored these recovery codes');
      await continueButton.click();
    } else {
      await page.waitForSelector('[data-testid=login-mfa]');
      await page.fill('#login-code', await op.auth.code());
      await page.click('button:has-text("Sign in")');
    }
    await page.waitForSelector('[data-testid=current-user]');
  }

  /** After an action that may need step-up: answer the TOTP prompt if it comes, then wait for `then`. */
  async function stepUpIfAsked(page: Page, op: Operator, then: string): Promise<void> {
    const which = await Promise.race([
      page.waitForSelector('[data-testid=step-up-dialog]', { state: 'visible' }).then(() => 'step-up'),
      page.waitForSelector(then, { state: 'visible' }).then(() => 'done'),
    ]);
    if (which === 'step-up') {
      await screenshot(page, '20-step-up-dialog');
      await page.fill('#step-up-code', await op.auth!.code());
      await page.click('[data-testid=step-up-dialog] button[type=submit]');
      await page.waitForSelector(then, { state: 'visible' });
    }
  }

  /** Reads the secret of the show-once dialog the way an operator does: Reveal. */
  async function readShownKey(page: Page): Promise<string> {
    await page.click('[data-testid=reveal-key]');
    const key = (await page.textContent('[data-testid=plaintext-key]'))!.trim();
    expect(key).toMatch(/^cbk_(live|test)_/);
    secretsSeen.push(key);
    return key;
  }

  async function closeShowOnce(page: Page): Promise<void> {
    await page.check('[data-testid=stored-checkbox]');
    await page.click('[data-testid=done]');
    await page.waitForSelector('[data-testid=show-once-dialog]', { state: 'detached' });
  }

  async function keyRow(page: Page, name: string) {
    await page.goto(`/admin/keys?q=${encodeURIComponent(name)}`);
    const row = page.locator('[data-testid=keys-table] tbody tr', { hasText: name }).first();
    await row.waitFor();
    return row;
  }

  beforeAll(async () => {
    port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = new BuiltServer(port, {
      ADMIN_CONSOLE_ORIGIN: origin,
      LAST_USED_FLUSH_INTERVAL_MS: '200',
      // Every sign-in of this file comes from 127.0.0.1: keep the per-IP throttle out of the way.
      ADMIN_AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      API_KEY_CACHE_TTL_MS: '1000',
    });
    await server.start();
    for (const op of [superAdmin, viewer, lockee]) createOperator(op);
    db = new pg.Client({ connectionString: process.env.TEST_DB_URL });
    await db.connect();
    browser = await launchChromium(chromiumPath!);
  });

  afterAll(async () => {
    await browser?.close();
    await db?.end();
    await server?.stop();
    // Secrets never reach a log line.
    for (const secret of secretsSeen) expect(server.logs).not.toContain(secret);
  });

  afterEach(() => {
    // The console ran without a script error, a CSP violation or a missing resource on any page.
    const seen = pageErrors.splice(0);
    expect(seen).toEqual([]);
  });

  let page: Page;
  let context: BrowserContext;
  let liveKey = '';
  const liveKeyName = `Support agent ${run}`;

  it('serves the console with the strict CSP; client routes answer index.html; /admin/api 404s stay JSON', async () => {
    const index = await fetch(`${origin}/admin/keys/some-id`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await index.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>|style=/);
    const apiMissing = await fetch(`${origin}/admin/api/no-such-route`);
    expect(apiMissing.status).toBe(404);
    expect(apiMissing.headers.get('content-type')).toContain('application/json');
    expect(await apiMissing.json()).toMatchObject({ detail: expect.any(String) });
    const assetMissing = await fetch(`${origin}/admin/assets/missing.js`);
    expect(assetMissing.status).toBe(404);
  });

  it('enrols TOTP on first login, signs in with a code, and refuses a replayed code', async () => {
    ({ context, page } = await newPage());
    await page.goto('/admin/');
    await page.waitForSelector('[data-testid=login]');
    await screenshot(page, '01-login');
    await signIn(page, superAdmin, { shots: true });
    await page.waitForSelector('[data-testid=stat-accounts]');
    await screenshot(page, '04-overview');

    // Sign out, sign in again: the code just used is refused (no replay), the next one works.
    await page.click('button:has-text("Sign out")');
    await page.waitForSelector('[data-testid=login]');
    await page.fill('#login-email', superAdmin.email);
    await page.fill('#login-password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=login-mfa]');
    await page.fill('#login-code', superAdmin.auth!.lastCode());
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('[data-testid=login-mfa] [role=alert]');
    expect(await page.isVisible('[data-testid=current-user]')).toBe(false);
    await page.fill('#login-code', await superAdmin.auth!.code());
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('[data-testid=current-user]');
    expect(await page.textContent('[data-testid=current-role]')).toBe('Super admin');
  });

  it('locks an operator out after repeated wrong passwords', async () => {
    const { context: other, page: p } = await newPage();
    await p.goto('/admin/login');
    let message = '';
    for (let attempt = 1; attempt <= 6; attempt++) {
      await p.fill('#login-email', lockee.email);
      await p.fill('#login-password', attempt === 6 ? PASSWORD : `wrong password ${attempt}`);
      await p.click('button[type=submit]');
      await p.waitForSelector('[data-testid=login] [role=alert]');
      message = (await p.textContent('[data-testid=login] [role=alert]'))!;
      if (attempt < 5) expect(message).not.toMatch(/lock/i);
    }
    // Even the right password is refused now, with the lock explained.
    expect(message).toMatch(/lock|too many/i);
    expect(await p.isVisible('[data-testid=login-mfa]')).toBe(false);
    await screenshot(p, '05-login-locked');
    await other.close();
  });

  it('creates a live key through the show-once dialog, and the key answers the credit check', async () => {
    await page.goto('/admin/keys');
    await page.waitForSelector('[data-testid=create-key]');
    await page.click('[data-testid=create-key]');
    await page.waitForSelector('[data-testid=create-key-dialog]');
    expect(await page.inputValue('#key-expiry')).toBe('90');
    expect(await page.isChecked('input[name=permission][value="billing:read"]')).toBe(true);
    expect(await page.isChecked('input[name=permission][value="billing:write"]')).toBe(true);
    expect(await page.locator('#key-expiry option[value=never]').count()).toBe(1); // super_admin
    await page.fill('#key-name', liveKeyName);
    await page.check('input[name=environment][value=live]');
    await screenshot(page, '06-create-key-dialog');
    await page.click('[data-testid=create-key-dialog] button[type=submit]');
    await stepUpIfAsked(page, superAdmin, '[data-testid=show-once-dialog]');

    // Done stays disabled until "I have stored this key" is ticked.
    expect(await page.isDisabled('[data-testid=done]')).toBe(true);
    expect(await page.textContent('[data-testid=plaintext-key]')).toContain('•');
    // Any other way of closing asks first: Escape, the backdrop, back; leaving the page is guarded.
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=close-confirmation]');
    await page.click('button:has-text("Keep it open")');
    await page.mouse.click(5, 5);
    await page.waitForSelector('[data-testid=close-confirmation]');
    await page.click('button:has-text("Keep it open")');
    const guarded = await page.evaluate(() => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    });
    expect(guarded).toBe(true);
    // Masked until revealed (the screenshot never shows a whole key).
    await screenshot(page, '07-show-once-dialog');
    liveKey = await readShownKey(page);
    expect(liveKey.startsWith('cbk_live_')).toBe(true);
    expect(await page.textContent('[data-testid=curl-line]')).toContain(`X-API-Key: ${liveKey}`);
    // The list behind the dialog was not refreshed yet: the new key appears only after closing.
    expect(await page.locator('[data-testid=keys-table] tr', { hasText: liveKeyName }).count()).toBe(0);
    await closeShowOnce(page);
    await page.waitForSelector(`[data-testid=keys-table] tr:has-text("${liveKeyName}")`);

    // The secret is nowhere but in the operator's hands.
    expect(page.url()).not.toContain(liveKey);
    const stored = await page.evaluate(
      () => JSON.stringify({ ...window.localStorage, ...window.sessionStorage }) + document.cookie,
    );
    expect(stored).not.toContain(liveKey);
    expect(await page.content()).not.toContain(liveKey);

    const check = await creditCheck(liveKey);
    expect(check.status).toBe(200);
    expect(check.body.has_credit).toBe(true);
    await screenshot(page, '08-keys');
  });

  it('rotates with a grace period (both keys work), then immediately (the old key is refused)', async () => {
    const row = await keyRow(page, liveKeyName);
    await row.locator('[data-testid=rotate-key]').click();
    await page.waitForSelector('[data-testid=rotate-dialog]');
    const checked = await page.locator('input[name=grace]:checked').getAttribute('value');
    expect(checked).toBe('86400');
    expect(
      await page.locator('input[name=grace]').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)),
    ).toEqual(['0', '900', '3600', '21600', '86400', '604800']);
    await screenshot(page, '09-rotate-dialog');
    // The sign-in's TOTP no longer counts (10 minutes passed): rotating asks for a fresh code, then
    // the console retries the rotation by itself.
    await db.query(
      `UPDATE admin_sessions SET step_up_at = now() - interval '1 hour'
        WHERE admin_user_id = (SELECT id FROM admin_users WHERE email = $1)`,
      [superAdmin.email],
    );
    await page.click('[data-testid=rotate-dialog] button[type=submit]');
    await page.waitForSelector('[data-testid=step-up-dialog]');
    await page.fill('#step-up-code', '000000');
    await page.click('[data-testid=step-up-dialog] button[type=submit]');
    await page.waitForSelector('[data-testid=step-up-dialog] [role=alert]');
    await screenshot(page, '20-step-up-dialog');
    await page.fill('#step-up-code', await superAdmin.auth!.code());
    await page.click('[data-testid=step-up-dialog] button[type=submit]');
    await page.waitForSelector('[data-testid=show-once-dialog]');
    expect(await page.isVisible('[data-testid=step-up-dialog]')).toBe(false);
    const rotated = await readShownKey(page);
    await closeShowOnce(page);
    expect((await creditCheck(liveKey)).status).toBe(200);
    expect((await creditCheck(rotated)).status).toBe(200);

    // Rotate the new key at once: it stops working, its successor works.
    await keyRow(page, liveKeyName);
    await page
      .locator('[data-testid=keys-table] tbody tr', { hasText: 'active' })
      .first()
      .locator('[data-testid=rotate-key]')
      .click();
    await page.waitForSelector('[data-testid=rotate-dialog]');
    await page.check('input[name=grace][value="0"]');
    await page.waitForSelector('[data-testid=rotate-dialog] [role=alert]');
    await page.click('[data-testid=rotate-dialog] button[type=submit]');
    await stepUpIfAsked(page, superAdmin, '[data-testid=show-once-dialog]');
    const third = await readShownKey(page);
    await closeShowOnce(page);
    expect((await creditCheck(rotated)).status).toBe(401);
    expect((await creditCheck(third)).status).toBe(200);
    liveKey = third;
  });

  it('revokes a key with a required reason, warning that it was used in the last hour', async () => {
    // The last use is flushed in batches (every 200 ms here): reload until the list shows it.
    const active = page.locator('[data-testid=keys-table] tbody tr', { hasText: 'active' }).first();
    for (let attempt = 0; ; attempt++) {
      await keyRow(page, liveKeyName);
      if (/just now|min ago/.test((await active.textContent()) ?? '') || attempt === 50) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await active.locator('[data-testid=revoke-key]').click();
    await page.waitForSelector('[data-testid=revoke-dialog]');
    expect(await page.textContent('[data-testid=revoke-dialog]')).toMatch(/was used (just now|\d+ min ago)/);
    await page.click('[data-testid=revoke-dialog] button[type=submit]');
    await page.waitForSelector('#revoke-reason:focus, [data-testid=revoke-dialog] .field-error');
    expect(await page.textContent('[data-testid=revoke-dialog] .field-error')).toContain('reason');
    await page.fill('#revoke-reason', 'Leaked in a support ticket');
    await screenshot(page, '10-revoke-dialog');
    await page.click('[data-testid=revoke-dialog] button[type=submit]');
    await stepUpIfAsked(page, superAdmin, '[data-testid=keys-table]');
    await page.waitForSelector('[data-testid=revoke-dialog]', { state: 'detached' });
    expect((await creditCheck(liveKey)).status).toBe(401);

    // Key detail: lineage of the three keys, usage chart, audit entries.
    await page.click(`[data-testid=keys-table] a:has-text("${liveKeyName}")`);
    await page.waitForSelector('[data-testid=lineage]');
    expect(await page.locator('[data-testid=lineage] li').count()).toBe(3);
    await page.waitForSelector('[data-testid=audit-table]');
    expect(await page.textContent('[data-testid=audit-table]')).toContain('key.revoke');
    await screenshot(page, '11-key-detail');
  });

  it('renders a key named like markup as text', async () => {
    const evil = `<img src=x onerror=alert(1)> ${run}`;
    await page.goto('/admin/keys');
    await page.click('[data-testid=create-key]');
    await page.fill('#key-name', evil);
    await page.check('input[name=environment][value=test]');
    await page.click('[data-testid=create-key-dialog] button[type=submit]');
    await stepUpIfAsked(page, superAdmin, '[data-testid=show-once-dialog]');
    await readShownKey(page);
    await closeShowOnce(page);
    await page.click('[data-testid=env-test]');
    const cell = page.locator('[data-testid=keys-table] a', { hasText: '<img src=x onerror=alert(1)>' });
    await cell.waitFor();
    expect(await cell.textContent()).toBe(evil);
    expect(await page.locator('[data-testid=keys-table] img').count()).toBe(0);
    await screenshot(page, '12-keys-test-environment');
    await page.click('[data-testid=env-live]');
  });

  it('suspends an account (the credit check then says has_credit: false) and refuses an adjustment below zero', async () => {
    const { plaintext } = await mintKeyDirect('live');
    const externalId = `suspend-me-${run}@example.com`;
    expect((await creditCheck(plaintext, externalId)).body.has_credit).toBe(true);

    await page.goto(`/admin/accounts?q=${encodeURIComponent(externalId)}`);
    await page.click(`[data-testid=accounts-table] a:has-text("${externalId}")`);
    await page.waitForSelector('[data-testid=suspend-account]');
    await screenshot(page, '14-account-detail');

    // An adjustment that would go below zero shows the error and cannot be sent.
    await page.click('[data-testid=adjust-balance]');
    await page.waitForSelector('[data-testid=adjust-dialog]');
    await page.fill('#adjust-amount', '-5.00');
    await page.fill('#adjust-reason', 'Refund of a failed run');
    await page.waitForSelector('[data-testid=adjust-preview][role=alert]');
    expect(await page.textContent('[data-testid=adjust-preview]')).toContain('below zero');
    expect(await page.isDisabled('[data-testid=adjust-submit]')).toBe(true);
    await screenshot(page, '15-adjust-below-zero');
    // The server refuses it too, whatever the page says.
    const refused = await consoleFetch(
      page,
      'POST',
      `/admin/api/accounts/${await accountIdOf(externalId)}/adjustments`,
      {
        amount_minor: -500,
        kind: 'correction',
        reason: 'below zero',
        idempotency_key: `t-${crypto.randomUUID()}`,
      },
    );
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    await page.fill('#adjust-amount', '2.50');
    await page.waitForSelector('[data-testid=adjust-preview][role=status]');
    await page.click('[data-testid=adjust-submit]');
    await stepUpIfAsked(page, superAdmin, '.banner-success');
    // The page reloads the account after the adjustment.
    await page.waitForSelector('[data-testid=account-balance]:has-text("2.50 USD")');

    await page.click('[data-testid=suspend-account]');
    await page.fill('#status-reason', 'Abuse report 42');
    await page.click('[data-testid=status-dialog] button[type=submit]');
    await stepUpIfAsked(page, superAdmin, '[data-testid=reactivate-account]');
    const check = await creditCheck(plaintext, externalId);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ has_credit: false, reason: 'Account suspended' });
    await page.waitForSelector('[data-testid=ledger-table]');
    await screenshot(page, '16-account-suspended');
  });

  it('shows chart tables whose totals equal independently computed ones', async () => {
    const { plaintext } = await mintKeyDirect('live');
    const externalId = `charts-${run}@example.com`;
    expect((await creditCheck(plaintext, externalId)).status).toBe(200);
    // 5 charges: the daily free uses first, then the one-time free uses (no balance needed).
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${origin}/v1/billing/charges`, {
        method: 'POST',
        headers: { 'X-API-Key': plaintext, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          oauth_provider: 'oauth:google',
          external_id: externalId,
          amount_minor: 10,
          currency: 'USD',
          description: `use ${i}`,
          idempotency_key: `chart-${run}-${i}`,
        }),
      });
      expect(response.status).toBe(201);
    }
    const accountId = await accountIdOf(externalId);
    await page.goto(`/admin/accounts/${accountId}`);
    await page.click('[data-testid=account-usage-table-toggle]');
    const total = page.locator('[data-testid=account-usage-total] th');
    await total.first().waitFor();
    const cells = await total.allTextContents();
    // Independently: the charges table of this account, counted in SQL.
    const counted = (
      await db.query(
        `SELECT count(*) FILTER (WHERE funding_source = 'balance')::int AS paid, count(*) FILTER (WHERE funding_source <> 'balance')::int AS free
           FROM charges WHERE account_id = $1`,
        [accountId],
      )
    ).rows[0] as { paid: number; free: number };
    expect(counted.paid + counted.free).toBe(5);
    expect(cells).toEqual(['Total', String(counted.paid), String(counted.free)]);
    await screenshot(page, '17-account-usage-table');

    // Analytics: the usage table's totals equal the page's totals cards and SQL over the whole range.
    await page.goto('/admin/analytics');
    await page.click('[data-testid=usage-chart-table-toggle]');
    await page.locator('[data-testid=usage-chart-total] th').first().waitFor();
    const [, paidTotal, freeTotal] = await page.locator('[data-testid=usage-chart-total] th').allTextContents();
    expect(paidTotal).toBe((await page.textContent('[data-testid=total-paid] .stat-value'))!.trim());
    expect(freeTotal).toBe((await page.textContent('[data-testid=total-free] .stat-value'))!.trim());
    await screenshot(page, '18-analytics');

    // CSV export (admins): the server's file, whose paid uses add up to the page's total.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-usage-csv]')]);
    expect(download.suggestedFilename()).toMatch(
      /^ciris-billing-usage-live-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-day\.csv$/,
    );
    const csv = readFileSync((await download.path())!, 'utf8');
    const [header, ...lines] = csv.trimEnd().split('\r\n');
    expect(header.split(',').slice(0, 3)).toEqual(['bucket_start', 'charges', 'paid_uses']);
    expect(lines).toHaveLength(30);
    const column = (i: number) => String(lines.reduce((sum, line) => sum + Number(line.split(',')[i]), 0));
    expect([column(2), column(3)]).toEqual([paidTotal.replace(/\D/g, ''), freeTotal.replace(/\D/g, '')]);
    expect(Number(column(3))).toBeGreaterThanOrEqual(5);
    expect(await page.locator('[data-testid=export-revenue-csv]').count()).toBe(1);
  });

  it('shows what active holds reserve, the available balance and the active holds on the account page', async () => {
    const { plaintext } = await mintKeyDirect('live');
    const externalId = `holds-${run}@example.com`;
    const agent = async (path: string, body: object) => {
      const response = await fetch(`${origin}${path}`, {
        method: 'POST',
        headers: { 'X-API-Key': plaintext, 'Content-Type': 'application/json' },
        body: JSON.stringify({ oauth_provider: 'oauth:google', external_id: externalId, ...body }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect((await agent('/v1/billing/accounts', { initial_balance_minor: 1000 })).status).toBe(201);
    // The 2 daily and 10 one-time free uses go first; the holds after them draw on the balance.
    for (let i = 0; i < 12; i++) {
      const used = await agent('/v1/billing/charges', { amount_minor: 1, currency: 'USD', description: `free ${i}` });
      expect(used.status).toBe(201);
    }
    const hold = (amount: number, description: string) =>
      agent('/v1/billing/holds', {
        amount_minor: amount,
        currency: 'USD',
        description,
        idempotency_key: `hold-${run}-${description}`,
      });
    const held = await hold(400, 'worst-case model call');
    expect(held.status).toBe(201);
    expect(held.body.funded_by).toBe('balance');
    const released = await hold(150, 'released call');
    expect((await agent(`/v1/billing/holds/${String(released.body.hold_id)}/release`, {})).status).toBe(200);

    await page.goto(`/admin/accounts/${await accountIdOf(externalId)}`);
    await page.waitForSelector('[data-testid=active-holds-table]');
    expect(await page.textContent('[data-testid=account-balance] .stat-value')).toContain('10.00 USD');
    expect(await page.textContent('[data-testid=account-held] .stat-value')).toContain('4.00 USD');
    expect(await page.textContent('[data-testid=account-available] .stat-value')).toContain('6.00 USD');
    const rows = page.locator('[data-testid=active-holds-table] tbody tr');
    expect(await rows.count()).toBe(1);
    const cells = (await rows.first().locator('td').allTextContents()).map((c) => c.trim());
    expect(cells.slice(1, 4)).toEqual(['balance', 'worst-case model call', '4.00 USD']);
    expect(cells[5]).toBe(held.body.hold_id);
    await screenshot(page, '17b-account-holds');
    // A debit into what the hold reserves cannot be sent (the server refuses it too).
    await page.click('[data-testid=adjust-balance]');
    await page.waitForSelector('[data-testid=adjust-dialog]');
    await page.fill('#adjust-amount', '-7.00');
    await page.fill('#adjust-reason', 'Correction');
    await page.waitForSelector('[data-testid=adjust-preview][role=alert]');
    expect(await page.textContent('[data-testid=adjust-preview]')).toContain(
      'This would take what active holds reserve (4.00 USD). The largest debit possible is -6.00 USD.',
    );
    expect(await page.isDisabled('[data-testid=adjust-submit]')).toBe(true);
    await page.click('[data-testid=adjust-dialog] button:has-text("Cancel")');
  });

  it('a viewer sees no mutating buttons, and a direct POST is 403', async () => {
    const { context: viewerContext, page: p } = await newPage();
    await p.goto('/admin/keys');
    await signIn(p, viewer);
    await p.waitForSelector('h1:has-text("API keys")');
    await p.waitForSelector('[data-testid=keys-table], .empty-state');
    expect(
      await p.locator('[data-testid=create-key], [data-testid=rotate-key], [data-testid=revoke-key]').count(),
    ).toBe(0);
    await screenshot(p, '19-keys-as-viewer');
    await p.goto(`/admin/accounts`);
    await p.click('[data-testid=accounts-table] tbody tr a');
    await p.waitForSelector('[data-testid=account-balance]');
    expect(
      await p
        .locator('[data-testid=suspend-account], [data-testid=adjust-balance], [data-testid=close-account]')
        .count(),
    ).toBe(0);
    expect(await p.locator('nav >> text=Admin users').count()).toBe(0);
    await p.goto('/admin/analytics');
    await p.waitForSelector('[data-testid=total-paid]');
    expect(await p.locator('[data-testid=export-usage-csv], [data-testid=export-revenue-csv]').count()).toBe(0);
    const exported = await consoleFetch(p, 'GET', '/admin/api/analytics/usage.csv');
    expect([exported.status, exported.body.code]).toEqual([403, 'admin_forbidden']);
    const direct = await consoleFetch(p, 'POST', '/admin/api/keys', {
      name: 'viewer key',
      environment: 'test',
      permissions: ['billing:read'],
    });
    expect(direct.status).toBe(403);
    expect(direct.body.code).toBe('admin_forbidden');
    await viewerContext.close();
  });

  it('refuses a POST without the CSRF token and a cross-origin POST', async () => {
    const noToken = await page.evaluate(async () => {
      const r = await fetch('/admin/api/keys', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'no csrf', environment: 'test', permissions: ['billing:read'] }),
      });
      return { status: r.status, body: (await r.json()) as { code: string } };
    });
    expect(noToken).toEqual({ status: 403, body: expect.objectContaining({ code: 'csrf_failed' }) });

    // The same request from another site, with the operator's cookie and even the right token.
    const cookies = (await context.cookies(origin)).map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = await page.evaluate(
      async () => ((await (await fetch('/admin/api/auth/me')).json()) as { csrf_token: string }).csrf_token,
    );
    const crossSite = await fetch(`${origin}/admin/api/keys`, {
      method: 'POST',
      headers: {
        Cookie: cookies,
        'X-CSRF-Token': csrf,
        Origin: 'https://evil.example',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ name: 'cross site', environment: 'test', permissions: ['billing:read'] }),
    });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { code: string }).code).toBe('csrf_failed');
  });

  it('shows every other page: security, audit log with diffs, admin users, my account, test environment', async () => {
    await page.goto('/admin/');
    await page.waitForSelector('[data-testid=stat-accounts]');
    await screenshot(page, '27-overview-with-activity');

    await page.goto('/admin/security');
    await page.waitForSelector('[data-testid=failed-auth-total]');
    await screenshot(page, '21-security');

    await page.goto('/admin/audit');
    await page.waitForSelector('[data-testid=audit-table]');
    await page.locator('[data-testid=audit-table] button:has-text("Details")').first().click();
    await page.waitForSelector('[data-testid=audit-detail]');
    await screenshot(page, '22-audit-log');

    await page.goto('/admin/admin-users');
    await page.waitForSelector('[data-testid=admin-users-table]');
    expect(await page.textContent('[data-testid=admin-users-table]')).toContain(viewer.email);
    await screenshot(page, '23-admin-users');

    await page.goto('/admin/me');
    await page.waitForSelector('[data-testid=sessions-table]');
    await screenshot(page, '24-my-account');

    await page.goto('/admin/accounts');
    await page.waitForSelector('[data-testid=accounts-table]');
    await screenshot(page, '13-accounts');

    await page.click('[data-testid=env-test]');
    await page.goto('/admin/');
    await page.waitForSelector('[data-testid=stat-accounts]');
    await screenshot(page, '25-overview-test-environment');
    await page.click('[data-testid=env-live]');
  });

  it('invites an operator: the one-time setup link sets a password, enrols MFA and signs in', async () => {
    const email = `invited-${run}@example.com`;
    await page.goto('/admin/admin-users');
    await page.click('button:has-text("Invite operator")');
    await page.fill('#invite-email', email);
    await page.fill('#invite-name', 'Ivy Invited');
    await page.check('[data-testid=invite-dialog] input[name=role] >> nth=1'); // admin
    await page.click('[data-testid=invite-dialog] button[type=submit]');
    await stepUpIfAsked(page, superAdmin, '[data-testid=setup-link]');
    const setupUrl = (await page.textContent('[data-testid=setup-link]'))!.trim();
    expect(setupUrl).toMatch(/\/admin\/setup#token=/);
    await page.waitForSelector(`[data-testid=admin-users-table] tr:has-text("${email}")`);

    const { context: invitedContext, page: p } = await newPage();
    await p.goto(setupUrl);
    await p.waitForSelector('[data-testid=setup]');
    await screenshot(p, '28-setup-invitation');
    await p.fill('#setup-password', 'a long invited password');
    await p.fill('#setup-repeat', 'a long invited password');
    await p.click('[data-testid=setup] button[type=submit]');
    await p.waitForSelector('[data-testid=totp-secret]');
    expect(p.url()).not.toContain('token=');
    const auth = new Authenticator((await p.textContent('[data-testid=totp-secret]'))!.trim());
    await p.fill('#enrol-code', await auth.code());
    await p.click('button:has-text("Confirm and enable")');
    await p.waitForSelector('[data-testid=recovery-codes]');
    await p.check('text=I have stored these recovery codes');
    await p.click('button:has-text("Continue to the console")');
    await p.waitForSelector('[data-testid=current-user]');
    expect(await p.textContent('[data-testid=current-role]')).toBe('Admin');
    await invitedContext.close();

    // The link works once.
    const { context: again, page: q } = await newPage();
    await q.goto(setupUrl);
    await q.fill('#setup-password', 'another long password');
    await q.fill('#setup-repeat', 'another long password');
    await q.click('[data-testid=setup] button[type=submit]');
    await q.waitForSelector('[data-testid=setup] [role=alert]');
    expect(await q.isVisible('[data-testid=totp-secret]')).toBe(false);
    await again.close();
  });

  it('returns to the login page when the session expires, then back where the operator was', async () => {
    await page.goto('/admin/accounts?status=suspended');
    await page.waitForSelector('[data-testid=accounts-table], .empty-state');
    // The session's idle time runs out (as 15 idle minutes would).
    await db.query(
      `UPDATE admin_sessions SET last_seen_at = now() - interval '1 day'
        WHERE admin_user_id = (SELECT id FROM admin_users WHERE email = $1) AND revoked_at IS NULL`,
      [superAdmin.email],
    );
    await page.click('nav >> text=Audit log');
    await page.waitForSelector('[data-testid=login]');
    expect(page.url()).toContain('/admin/login?next=');
    expect(await page.textContent('[data-testid=login]')).toContain('Your session ended');
    await screenshot(page, '26-session-expired');
    await signIn(page, superAdmin);
    await page.waitForSelector('[data-testid=audit-table]');
    expect(new URL(page.url()).pathname).toBe('/admin/audit');
  });

  // ---- helpers that use the page's own session ----

  async function consoleFetch(
    p: Page,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    return p.evaluate(
      async ({ method, path, body }) => {
        const me = (await (await fetch('/admin/api/auth/me')).json()) as { csrf_token: string };
        const r = await fetch(path, {
          method,
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await r.text();
        return { status: r.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
      },
      { method, path, body },
    );
  }

  async function accountIdOf(externalId: string): Promise<string> {
    const result = await db.query(`SELECT id FROM accounts WHERE external_id = $1`, [externalId]);
    return (result.rows[0] as { id: string }).id;
  }

  /** A key minted through the console API (test setup, not the scenario under test). */
  async function mintKeyDirect(environment: 'live' | 'test'): Promise<{ plaintext: string }> {
    const body = {
      name: `helper ${crypto.randomUUID().slice(0, 6)}`,
      environment,
      permissions: ['billing:read', 'billing:write'],
    };
    let created = await consoleFetch(page, 'POST', '/admin/api/keys', body);
    if (created.status === 403 && created.body.code === 'reauth_required') {
      const reauth = await consoleFetch(page, 'POST', '/admin/api/auth/reauth', {
        code: await superAdmin.auth!.code(),
      });
      expect(reauth.status).toBe(204);
      created = await consoleFetch(page, 'POST', '/admin/api/keys', body);
    }
    expect(created.status).toBe(201);
    const plaintext = created.body.plaintext_key as string;
    secretsSeen.push(plaintext);
    return { plaintext };
  }
});
