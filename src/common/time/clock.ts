import { Injectable } from '@nestjs/common';

/**
 * The one source of "now" for decisions that depend on time (key expiry, rotation grace,
 * daily free-use resets). Tests swap it to move time without sleeping.
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}

/** The UTC calendar day of `date` as `YYYY-MM-DD` (daily free uses reset at 00:00 UTC). */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export const DAY_MS = 86_400_000;

/** A timestamp as the API shows it: ISO 8601 in UTC (`2026-01-31T12:00:00.000Z`), from a Date or a database string. */
export function isoTimestamp(value: Date | string): string {
  return new Date(value).toISOString();
}
