// The choices the key dialogs offer (ADMIN_CONSOLE.md §4.3), in one place so pages and tests agree.
import type { AdminRole } from './roles.js';

export interface GraceChoice {
  label: string;
  seconds: number;
}

/** Rotation grace periods: how long the old key keeps working. 24 h is the default. */
export const GRACE_CHOICES: readonly GraceChoice[] = [
  { label: 'Immediately', seconds: 0 },
  { label: '15 minutes', seconds: 15 * 60 },
  { label: '1 hour', seconds: 3600 },
  { label: '6 hours', seconds: 6 * 3600 },
  { label: '24 hours', seconds: 24 * 3600 },
  { label: '7 days', seconds: 7 * 86400 },
];
export const DEFAULT_GRACE_SECONDS = 24 * 3600;

export type ExpiryChoice = '30' | '90' | '180' | '365' | 'date' | 'never';
export const DEFAULT_EXPIRY: ExpiryChoice = '90';

/** Expiry options for a new key; "never" only for a super_admin (the server enforces it too). */
export function expiryChoices(role: AdminRole): { value: ExpiryChoice; label: string }[] {
  const choices: { value: ExpiryChoice; label: string }[] = [
    { value: '30', label: '30 days' },
    { value: '90', label: '90 days' },
    { value: '180', label: '180 days' },
    { value: '365', label: '365 days' },
    { value: 'date', label: 'On a date…' },
  ];
  if (role === 'super_admin') choices.push({ value: 'never', label: 'Never' });
  return choices;
}

/**
 * The number of days to send for an expiry choice (null = never expires), or an error message.
 * A date means the end of that UTC day, rounded up to whole days from now.
 */
export function expiryDays(
  choice: ExpiryChoice,
  date: string,
  now: Date = new Date(),
): { days: number | null } | { error: string } {
  if (choice === 'never') return { days: null };
  if (choice !== 'date') return { days: Number(choice) };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return { error: 'Pick an expiry date.' };
  const end = Date.parse(`${date}T23:59:59.999Z`);
  if (Number.isNaN(end)) return { error: 'Pick a valid expiry date.' };
  const days = Math.ceil((end - now.getTime()) / 86_400_000);
  if (days < 1) return { error: 'The expiry date must be in the future.' };
  if (days > 3650) return { error: 'The expiry date must be within 10 years.' };
  return { days };
}

export const RANGE_CHOICES = [7, 30, 90] as const;
export type Granularity = 'day' | 'week' | 'month';
export const GRANULARITIES: readonly Granularity[] = ['day', 'week', 'month'];
