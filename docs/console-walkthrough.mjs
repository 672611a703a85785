// Fresh-clone walkthrough of issue #12's "done when", in Debian's Chromium.
// Run from the repository root while `npm start` serves :8000, after
//   printf "walkthrough password 42" | node dist/cli create-admin --email walkthrough@example.com --name "Walk Through" --role super_admin --password-stdin
// with: node docs/console-walkthrough.mjs   (needs Debian chromium at /usr/bin/chromium)
import { chromium } from 'playwright-core';
import { TOTP, Secret } from 'otpauth';
const BASE = 'http://localhost:8000';
const log = (...a) => console.log(new Date().toISOString(), ...a);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run','--disable-quic'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${BASE}/admin`);
await page.waitForSelector('[data-testid=login]'); log('login page at', page.url());
await page.fill('#login-email', 'walkthrough@example.com');
await page.fill('#login-password', 'walkthrough password 42');
await page.click('button[type=submit]');
await page.waitForSelector('[data-testid=totp-secret]'); log('MFA enrolment page: QR code + secret shown');
await page.screenshot({ path: '/tmp/walk-1-enrol.png' });
const secret = (await page.textContent('[data-testid=totp-secret]')).trim();
const code = TOTP.generate({ secret: Secret.fromBase32(secret) });
await page.fill('#enrol-code', code);
await page.click('button:has-text("Confirm and enable")');
await page.waitForSelector('[data-testid=recovery-codes]');
log('recovery codes shown:', await page.locator('.recovery-codes li').count());
await page.check('text=I have stored these recovery codes');
await page.click('button:has-text("Continue to the console")');
await page.waitForSelector('[data-testid=current-user]'); log('signed in as', (await page.textContent('[data-testid=current-user]')).trim());
await page.goto(`${BASE}/admin/keys`);
await page.click('[data-testid=create-key]');
await page.fill('#key-name', 'Walkthrough Agent');
await page.check('input[name=environment][value=live]');
await page.click('[data-testid=create-key-dialog] button[type=submit]');
await page.waitForSelector('[data-testid=show-once-dialog]'); log('show-once dialog open; Done disabled:', await page.isDisabled('[data-testid=done]'));
await page.screenshot({ path: '/tmp/walk-2-show-once.png' });
await page.click('[data-testid=reveal-key]');
const key = (await page.textContent('[data-testid=plaintext-key]')).trim();
log('key minted:', key.slice(0, 13) + '…');
await page.check('[data-testid=stored-checkbox]');
await page.click('[data-testid=done]');
await page.waitForSelector('[data-testid=show-once-dialog]', { state: 'detached' }); log('dialog closed after "I have stored this key"');
const res = await fetch(`${BASE}/v1/billing/credits/check`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': key },
  body: JSON.stringify({ oauth_provider: 'oauth:google', external_id: 'walkthrough-user@example.com' }) });
log('POST /v1/billing/credits/check with the new key →', res.status, await res.text());
await browser.close();
