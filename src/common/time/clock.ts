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
