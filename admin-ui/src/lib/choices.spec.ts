import { DEFAULT_EXPIRY, DEFAULT_GRACE_SECONDS, expiryChoices, expiryDays, GRACE_CHOICES } from './choices.js';
import { checkRange, lastDays, bucketLabel } from './dates.js';
import { can } from './roles.js';
import { safeNextPath, setupToken } from './navigation.js';

describe('key dialog choices', () => {
  it('offers the rotation grace periods of the design, 24 h by default', () => {
    expect(GRACE_CHOICES.map((c) => c.seconds)).toEqual([0, 900, 3600, 21600, 86400, 604800]);
    expect(GRACE_CHOICES.map((c) => c.label)).toEqual([
      'Immediately',
      '15 minutes',
      '1 hour',
      '6 hours',
      '24 hours',
      '7 days',
    ]);
    expect(DEFAULT_GRACE_SECONDS).toBe(86400);
    expect(GRACE_CHOICES.some((c) => c.seconds === DEFAULT_GRACE_SECONDS)).toBe(true);
  });

  it('defaults a new key to 90 days and offers "never" to a super_admin only', () => {
    expect(DEFAULT_EXPIRY).toBe('90');
    expect(expiryChoices('admin').map((c) => c.value)).toEqual(['30', '90', '180', '365', 'date']);
    expect(expiryChoices('viewer').map((c) => c.value)).not.toContain('never');
    expect(expiryChoices('super_admin').map((c) => c.value)).toEqual(['30', '90', '180', '365', 'date', 'never']);
  });

  it('turns an expiry choice into days, a date into whole days to the end of that UTC day', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(expiryDays('90', '', now)).toEqual({ days: 90 });
    expect(expiryDays('never', '', now)).toEqual({ days: null });
    expect(expiryDays('date', '2026-12-02', now)).toEqual({ days: 2 });
    expect(expiryDays('date', '2026-12-31', now)).toEqual({ days: 31 });
    expect(expiryDays('date', '2026-11-30', now)).toEqual({ error: 'The expiry date must be in the future.' });
    expect(expiryDays('date', '', now)).toEqual({ error: 'Pick an expiry date.' });
    expect(expiryDays('date', '2040-01-01', now)).toEqual({ error: 'The expiry date must be within 10 years.' });
  });
});

describe('analytics ranges', () => {
  it('computes the last N UTC days, both ends inclusive', () => {
    expect(lastDays(7, new Date('2026-12-01T23:59:00Z'))).toEqual({ start: '2026-11-25', end: '2026-12-01' });
    expect(lastDays(1, new Date('2026-12-01T00:00:00Z'))).toEqual({ start: '2026-12-01', end: '2026-12-01' });
  });

  it('refuses reversed, malformed and longer-than-366-day ranges', () => {
    expect(checkRange('2026-01-01', '2026-01-31')).toEqual({ days: 31 });
    expect(checkRange('2025-01-01', '2026-01-01')).toEqual({ days: 366 });
    expect(checkRange('2024-01-01', '2025-01-02')).toEqual({ error: 'At most 366 days.' });
    expect(checkRange('2026-02-01', '2026-01-01')).toEqual({ error: 'The end date is before the start date.' });
    expect(checkRange('', '2026-01-01')).toEqual({ error: 'Pick a start and an end date.' });
  });

  it('labels buckets by their granularity', () => {
    expect(bucketLabel('2026-11-30T00:00:00.000Z', 'week')).toBe('2026-11-30');
    expect(bucketLabel('2026-11-01', 'month')).toBe('2026-11');
    expect(bucketLabel('2026-11-30T13:00:00.000Z', 'hour')).toBe('11-30 13h');
  });
});

describe('roles and navigation', () => {
  it('hides what a role cannot do', () => {
    expect(can('viewer', 'keys:write')).toBe(false);
    expect(can('admin', 'keys:write')).toBe(true);
    expect(can('admin', 'accounts:close')).toBe(false);
    expect(can('super_admin', 'accounts:close')).toBe(true);
    expect(can('admin', 'admin_users:manage')).toBe(false);
    expect(can(undefined, 'keys:write')).toBe(false);
  });

  it('returns after a login only to a console path (no open redirect)', () => {
    expect(safeNextPath('/keys/abc?x=1')).toBe('/keys/abc?x=1');
    expect(safeNextPath(null)).toBe('/');
    expect(safeNextPath('//evil.example/')).toBe('/');
    expect(safeNextPath('/\\evil.example')).toBe('/');
    expect(safeNextPath('https://evil.example/')).toBe('/');
    expect(safeNextPath('/login?next=/keys')).toBe('/');
  });

  it('reads the invitation token from the URL fragment', () => {
    expect(setupToken('#token=abc-123_x')).toBe('abc-123_x');
    expect(setupToken('')).toBe('');
    expect(setupToken('#other=1')).toBe('');
  });
});
