import { describeError } from './errors.js';
import { toQueryString } from './query.js';
import { curlLine, maskKey } from './secrets.js';
import {
  checkCloseConfirmation,
  checkKeyName,
  checkNewPassword,
  checkPermissions,
  checkRateLimit,
  checkReason,
  checkTotpCode,
  parseMoneyInput,
  previewAdjustment,
} from './validation.js';

describe('form validation', () => {
  it('checks key names, permissions and rate limits', () => {
    expect(checkKeyName('  Support agent ')).toEqual({ ok: true, value: 'Support agent' });
    expect(checkKeyName('   ')).toEqual({ ok: false, error: 'A name is required.' });
    expect(checkKeyName('x'.repeat(101)).ok).toBe(false);
    expect(checkPermissions(['billing:write', 'billing:read'])).toEqual({
      ok: true,
      value: ['billing:read', 'billing:write'],
    });
    expect(checkPermissions([]).ok).toBe(false);
    expect(checkRateLimit('')).toEqual({ ok: true, value: null });
    expect(checkRateLimit('120')).toEqual({ ok: true, value: 120 });
    expect(checkRateLimit('0').ok).toBe(false);
    expect(checkRateLimit('1.5').ok).toBe(false);
    expect(checkRateLimit('abc').ok).toBe(false);
  });

  it('requires a reason for audited changes', () => {
    expect(checkReason('  abuse report #12 ')).toEqual({ ok: true, value: 'abuse report #12' });
    expect(checkReason('').ok).toBe(false);
    expect(checkReason('no').ok).toBe(false);
    expect(checkReason('x'.repeat(501)).ok).toBe(false);
  });

  it('parses signed amounts in the currency into minor units', () => {
    expect(parseMoneyInput('12.50', 'USD')).toEqual({ ok: true, value: 1250 });
    expect(parseMoneyInput('-5', 'USD')).toEqual({ ok: true, value: -500 });
    expect(parseMoneyInput('+0.01', 'USD')).toEqual({ ok: true, value: 1 });
    expect(parseMoneyInput('1,000.5', 'USD')).toEqual({ ok: true, value: 100050 });
    expect(parseMoneyInput('300', 'JPY')).toEqual({ ok: true, value: 300 });
    expect(parseMoneyInput('1.5', 'JPY')).toEqual({ ok: false, error: 'JPY has 0 decimal places.' });
    expect(parseMoneyInput('1.005', 'USD')).toEqual({ ok: false, error: 'USD has 2 decimal places.' });
    expect(parseMoneyInput('0.00', 'USD')).toEqual({ ok: false, error: 'The amount cannot be zero.' });
    expect(parseMoneyInput('ten', 'USD').ok).toBe(false);
    expect(parseMoneyInput('1e3', 'USD').ok).toBe(false);
    expect(parseMoneyInput('99999999999999999', 'USD')).toEqual({ ok: false, error: 'That amount is too large.' });
  });

  it('previews an adjustment and refuses one that goes below zero', () => {
    expect(previewAdjustment(1000, 250, 'USD')).toEqual({
      newBalanceMinor: 1250,
      text: '10.00 USD → 12.50 USD',
      error: null,
    });
    expect(previewAdjustment(1000, -1000, 'USD').error).toBeNull();
    const below = previewAdjustment(1000, -1500, 'USD');
    expect(below.newBalanceMinor).toBe(-500);
    expect(below.error).toBe(
      'This would take the balance below zero (-5.00 USD). The largest debit possible is -10.00 USD.',
    );
  });

  it('refuses an adjustment that would take what active holds reserve', () => {
    expect(previewAdjustment(1000, -600, 'USD', 400).error).toBeNull();
    expect(previewAdjustment(1000, -601, 'USD', 400).error).toBe(
      'This would take what active holds reserve (4.00 USD). The largest debit possible is -6.00 USD.',
    );
    expect(previewAdjustment(1000, -1500, 'USD', 400).error).toBe(
      'This would take the balance below zero (-5.00 USD). The largest debit possible is -6.00 USD.',
    );
  });

  it('closes only with the exact external id', () => {
    expect(checkCloseConfirmation('user@example.com', 'user@example.com').ok).toBe(true);
    expect(checkCloseConfirmation('User@example.com', 'user@example.com').ok).toBe(false);
    expect(checkCloseConfirmation('', 'user@example.com').ok).toBe(false);
  });

  it('checks TOTP codes and new passwords', () => {
    expect(checkTotpCode(' 123 456 ')).toEqual({ ok: true, value: '123456' });
    expect(checkTotpCode('12345').ok).toBe(false);
    expect(checkTotpCode('abcdef').ok).toBe(false);
    expect(checkNewPassword('short', 'short').ok).toBe(false);
    expect(checkNewPassword('long enough password', 'long enough passw0rd')).toEqual({
      ok: false,
      error: 'The two passwords differ.',
    });
    expect(checkNewPassword('long enough password', 'long enough password').ok).toBe(true);
  });
});

describe('secret presentation', () => {
  const key = 'cbk_live_4Yx1Qm7TqP2s9ZrV8kL3nB6wE0aD5fG7hJ2kM4pR9tU1vX';
  it('masks all but the public prefix and the last 4 characters', () => {
    const masked = maskKey(key);
    expect(masked.startsWith('cbk_live_4Yx1')).toBe(true);
    expect(masked.endsWith(key.slice(-4))).toBe(true);
    expect(masked).not.toContain(key.slice(13, -4));
    expect(maskKey('short')).toBe('•••••');
  });

  it('builds a ready curl line for the credit check', () => {
    expect(curlLine('http://localhost:8000', key)).toBe(
      `curl -sS -X POST http://localhost:8000/v1/billing/credits/check -H 'X-API-Key: ${key}' -H 'Content-Type: application/json' -d '{"oauth_provider":"oauth:google","external_id":"user@example.com"}'`,
    );
  });
});

describe('plumbing', () => {
  it('shows the server detail, validation issues by field, or the status', () => {
    expect(describeError(409, { detail: 'Only an active key can be rotated', code: 'key_not_rotatable' })).toBe(
      'Only an active key can be rotated',
    );
    expect(
      describeError(422, {
        detail: [{ loc: ['body', 'amount_minor'], msg: 'must not be zero', type: 'value_error' }],
        code: 'validation_error',
      }),
    ).toBe('amount_minor: must not be zero');
    expect(describeError(502, {})).toBe('The request failed (HTTP 502).');
    expect(describeError(0, undefined)).toContain('could not be reached');
  });

  it('builds query strings without empty values', () => {
    expect(toQueryString({ a: 1, b: '', c: undefined, d: null, e: 'x y' })).toBe('?a=1&e=x+y');
    expect(toQueryString({})).toBe('');
  });
});
