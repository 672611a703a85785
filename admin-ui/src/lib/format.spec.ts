import {
  currencyFractionDigits,
  formatCount,
  formatDateTime,
  formatDuration,
  formatMoney,
  formatRatio,
  formatRelative,
} from './format.js';

describe('console formatting', () => {
  it('formats minor units exactly in the currency, with a sign when asked', () => {
    expect(formatMoney(0, 'USD')).toBe('0.00 USD');
    expect(formatMoney(5, 'usd')).toBe('0.05 USD');
    expect(formatMoney(-1250, 'USD')).toBe('-12.50 USD');
    expect(formatMoney(123456789, 'EUR')).toBe('1,234,567.89 EUR');
    expect(formatMoney(1500, 'JPY')).toBe('1,500 JPY');
    expect(formatMoney(1234, 'KWD')).toBe('1.234 KWD');
    expect(formatMoney(250, 'USD', { signed: true })).toBe('+2.50 USD');
    expect(formatMoney(-250, 'USD', { signed: true })).toBe('-2.50 USD');
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'USD')).toBe('90,071,992,547,409.91 USD');
  });

  it('knows the decimals of a currency and falls back to 2 for an unknown code', () => {
    expect(currencyFractionDigits('USD')).toBe(2);
    expect(currencyFractionDigits('JPY')).toBe(0);
    expect(currencyFractionDigits('not a currency')).toBe(2);
  });

  it('groups counts', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-1234)).toBe('-1,234');
  });

  it('shows times in UTC and an em dash for none', () => {
    expect(formatDateTime('2026-12-01T13:05:09.123Z')).toBe('2026-12-01 13:05 UTC');
    expect(formatDateTime('2026-12-01T13:05:09.123Z', { seconds: true })).toBe('2026-12-01 13:05:09 UTC');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('garbage')).toBe('—');
  });

  it('says how long ago or how soon', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(formatRelative('2026-12-01T11:59:40Z', now)).toBe('just now');
    expect(formatRelative('2026-12-01T11:57:00Z', now)).toBe('3 min ago');
    expect(formatRelative('2026-12-01T09:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative('2026-11-30T12:00:00Z', now)).toBe('1 day ago');
    expect(formatRelative('2026-12-06T12:00:00Z', now)).toBe('in 5 days');
    expect(formatRelative(null, now)).toBe('—');
  });

  it('words durations and ratios', () => {
    expect(formatDuration(0)).toBe('immediately');
    expect(formatDuration(900)).toBe('15 min');
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(86400)).toBe('24 h');
    expect(formatDuration(604800)).toBe('7 days');
    expect(formatRatio(1, 8)).toBe('12.5%');
    expect(formatRatio(3, 0)).toBe('—');
  });
});
