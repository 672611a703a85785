// Form checks run before a request is sent, so the operator sees a problem next to the field. The
// server checks the same things again and its `detail` is shown when it disagrees.
import { currencyFractionDigits, formatMoney } from './format.js';

export const KEY_PERMISSIONS = ['billing:read', 'billing:write', 'billing:admin', 'analytics:read'] as const;
export type KeyPermission = (typeof KEY_PERMISSIONS)[number];
export const DEFAULT_PERMISSIONS: readonly KeyPermission[] = ['billing:read', 'billing:write'];
/** Permissions that deserve a warning: they reach beyond one agent's own billing calls. */
export const SENSITIVE_PERMISSIONS: readonly KeyPermission[] = ['billing:admin', 'analytics:read'];

export type Check<T> = { ok: true; value: T } | { ok: false; error: string };

export function checkKeyName(name: string): Check<string> {
  const value = name.trim();
  if (!value) return { ok: false, error: 'A name is required.' };
  if (value.length > 100) return { ok: false, error: 'At most 100 characters.' };
  return { ok: true, value };
}

export function checkPermissions(selected: readonly string[]): Check<KeyPermission[]> {
  const value = KEY_PERMISSIONS.filter((p) => selected.includes(p));
  if (value.length === 0) return { ok: false, error: 'Pick at least one permission.' };
  return { ok: true, value };
}

/** Optional requests-per-minute limit: empty means none. */
export function checkRateLimit(text: string): Check<number | null> {
  const value = text.trim();
  if (!value) return { ok: true, value: null };
  if (!/^\d+$/.test(value)) return { ok: false, error: 'A whole number of requests per minute.' };
  const n = Number(value);
  if (n < 1 || n > 1_000_000) return { ok: false, error: 'Between 1 and 1,000,000 per minute.' };
  return { ok: true, value: n };
}

/** A reason for a change that goes into the audit log. */
export function checkReason(reason: string): Check<string> {
  const value = reason.trim();
  if (value.length < 3)
    return { ok: false, error: 'Give a reason (at least 3 characters): it goes into the audit log.' };
  if (value.length > 500) return { ok: false, error: 'At most 500 characters.' };
  return { ok: true, value };
}

/**
 * A signed amount typed in the account's currency (`-12.50`, `+3`, `1,000`) as minor units.
 * Refuses zero, more decimals than the currency has, and anything that is not a number.
 */
export function parseMoneyInput(text: string, currency: string): Check<number> {
  const cleaned = text.trim().replace(/,/g, '');
  const match = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return { ok: false, error: 'Enter an amount such as 25.00 or -5.00.' };
  const digits = currencyFractionDigits(currency);
  const fraction = match[3] ?? '';
  if (fraction.length > digits) {
    return { ok: false, error: `${currency.toUpperCase()} has ${digits} decimal place${digits === 1 ? '' : 's'}.` };
  }
  const minor = BigInt(match[2] + fraction.padEnd(digits, '0'));
  const signed = match[1] === '-' ? -minor : minor;
  if (signed === 0n) return { ok: false, error: 'The amount cannot be zero.' };
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || -signed > BigInt(Number.MAX_SAFE_INTEGER)) {
    return { ok: false, error: 'That amount is too large.' };
  }
  return { ok: true, value: Number(signed) };
}

export interface AdjustmentPreview {
  newBalanceMinor: number;
  text: string;
  error: string | null;
}

/**
 * The balance an adjustment would leave, and why it cannot be submitted: never below zero, and
 * never into what active holds reserve (`heldMinor`; the server refuses that too).
 */
export function previewAdjustment(
  balanceMinor: number,
  amountMinor: number,
  currency: string,
  heldMinor = 0,
): AdjustmentPreview {
  const newBalanceMinor = balanceMinor + amountMinor;
  const text = `${formatMoney(balanceMinor, currency)} → ${formatMoney(newBalanceMinor, currency)}`;
  const error =
    newBalanceMinor < 0
      ? `This would take the balance below zero (${formatMoney(newBalanceMinor, currency)}). The largest debit possible is ${formatMoney(-(balanceMinor - heldMinor), currency)}.`
      : newBalanceMinor < heldMinor
        ? `This would take what active holds reserve (${formatMoney(heldMinor, currency)}). The largest debit possible is ${formatMoney(-(balanceMinor - heldMinor), currency)}.`
        : null;
  return { newBalanceMinor, text, error };
}

/** Closing an account needs its external id typed exactly, so the wrong account is never closed. */
export function checkCloseConfirmation(typed: string, externalId: string): Check<string> {
  if (typed !== externalId) return { ok: false, error: 'Type the account’s external id exactly to confirm.' };
  return { ok: true, value: typed };
}

export function checkTotpCode(code: string): Check<string> {
  const value = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(value)) return { ok: false, error: 'Enter the 6-digit code from your authenticator app.' };
  return { ok: true, value };
}

export function checkNewPassword(password: string, repeat: string): Check<string> {
  if (password.length < 12) return { ok: false, error: 'At least 12 characters.' };
  if (password.length > 256) return { ok: false, error: 'At most 256 characters.' };
  if (password !== repeat) return { ok: false, error: 'The two passwords differ.' };
  return { ok: true, value: password };
}
