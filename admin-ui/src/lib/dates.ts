// Analytics ranges: UTC days `YYYY-MM-DD`, both ends inclusive, at most 366 days (ADMIN_CONSOLE.md §4.5).

export const MAX_RANGE_DAYS = 366;

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The last `days` UTC days ending today: `lastDays(7)` on 2026-12-01 → 2026-11-25 … 2026-12-01. */
export function lastDays(days: number, now: Date = new Date()): { start: string; end: string } {
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const start = new Date(end.getTime() - (days - 1) * 86_400_000);
  return { start: utcDay(start), end: utcDay(end) };
}

/** Days in an inclusive range, or an error for a reversed, malformed or too long one. */
export function checkRange(start: string, end: string): { days: number } | { error: string } {
  const pattern = /^\d{4}-\d{2}-\d{2}$/;
  if (!pattern.test(start) || !pattern.test(end)) return { error: 'Pick a start and an end date.' };
  const a = Date.parse(`${start}T00:00:00Z`);
  const b = Date.parse(`${end}T00:00:00Z`);
  if (Number.isNaN(a) || Number.isNaN(b)) return { error: 'Pick valid dates.' };
  if (b < a) return { error: 'The end date is before the start date.' };
  const days = Math.round((b - a) / 86_400_000) + 1;
  if (days > MAX_RANGE_DAYS) return { error: `At most ${MAX_RANGE_DAYS} days.` };
  return { days };
}

/** A bucket's label: the day for daily and weekly buckets (`2026-11-30`), the month for monthly (`2026-11`). */
export function bucketLabel(start: string, granularity: 'day' | 'week' | 'month' | 'hour'): string {
  if (granularity === 'month') return start.slice(0, 7);
  if (granularity === 'hour') return `${start.slice(5, 10)} ${start.slice(11, 13)}h`;
  return start.slice(0, 10);
}
