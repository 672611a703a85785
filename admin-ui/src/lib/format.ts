// Formatting shared by every page. Times are shown in UTC (the service's clock and the day
// boundaries of its daily free uses and analytics are UTC), amounts in the account's currency.

const fractionDigitsCache = new Map<string, number>();

/** Digits after the decimal point of a currency (USD 2, JPY 0, KWD 3); 2 when unknown. */
export function currencyFractionDigits(currency: string): number {
  const code = currency.toUpperCase();
  let digits = fractionDigitsCache.get(code);
  if (digits === undefined) {
    try {
      digits = new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).resolvedOptions()
        .maximumFractionDigits as number;
    } catch {
      digits = 2;
    }
    fractionDigitsCache.set(code, digits);
  }
  return digits;
}

/** Minor units as money: `formatMoney(-1250, 'USD')` → `-12.50 USD`. Exact for any safe integer. */
export function formatMoney(
  amountMinor: number | string,
  currency: string,
  options: { signed?: boolean } = {},
): string {
  const minor = BigInt(amountMinor);
  const digits = currencyFractionDigits(currency);
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const scale = 10n ** BigInt(digits);
  const whole = groupThousands((abs / scale).toString());
  const fraction = digits > 0 ? '.' + (abs % scale).toString().padStart(digits, '0') : '';
  const sign = negative ? '-' : options.signed && minor > 0n ? '+' : '';
  return `${sign}${whole}${fraction} ${currency.toUpperCase()}`;
}

/** A count with thousands separators: 1234567 → `1,234,567`. */
export function formatCount(value: number | string): string {
  const text = String(value);
  const negative = text.startsWith('-');
  return (negative ? '-' : '') + groupThousands(negative ? text.slice(1) : text);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `2026-12-01 13:05 UTC`; an em dash for null. */
export function formatDateTime(iso: string | null | undefined, options: { seconds?: boolean } = {}): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  const text = date.toISOString().replace('T', ' ');
  return `${text.slice(0, options.seconds ? 19 : 16)} UTC`;
}

/** `12-01 18:05` (UTC): for badges and narrow columns, with the full time in a tooltip. */
export function formatShortDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toISOString().slice(5, 16).replace('T', ' ');
}

/** `2026-12-01`. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '—' : date.toISOString().slice(0, 10);
}

/** `3 min ago`, `in 5 days`, `just now`; an em dash for null. */
export function formatRelative(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '—';
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return '—';
  const deltaSeconds = Math.round((then - now.getTime()) / 1000);
  const abs = Math.abs(deltaSeconds);
  if (abs < 45) return 'just now';
  const units: [number, string][] = [
    [60, 'min'],
    [3600, 'h'],
    [86400, 'day'],
  ];
  let text: string;
  if (abs < 3600) text = `${Math.round(abs / units[0][0])} min`;
  else if (abs < 86400) text = `${Math.round(abs / units[1][0])} h`;
  else {
    const days = Math.round(abs / units[2][0]);
    text = `${days} day${days === 1 ? '' : 's'}`;
  }
  return deltaSeconds < 0 ? `${text} ago` : `in ${text}`;
}

/** A duration in seconds as words: 0 → `immediately`, 900 → `15 min`, 86400 → `24 h`, 604800 → `7 days`. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return 'immediately';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
  const days = Math.round(seconds / 86400);
  return `${days} days`;
}

/** Percent with one decimal: 0.1234 → `12.3%`; `—` when the denominator is zero. */
export function formatRatio(part: number, whole: number): string {
  if (!whole) return '—';
  return `${((part / whole) * 100).toFixed(1)}%`;
}
