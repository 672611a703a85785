import { jest } from '@jest/globals';
import { stdTimeFunctions } from 'pino';
import { isoTime } from './create-pino.js';

/** pino's own `isoTime` at a given instant (it reads `Date.now()`). */
function pinoIsoTime(at: number): string {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(at);
  try {
    return stdTimeFunctions.isoTime();
  } finally {
    spy.mockRestore();
  }
}

describe('isoTime', () => {
  it('writes the same time field as pino’s isoTime, including across seconds and for 1-2 digit milliseconds', () => {
    const start = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    const instants = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 951_782_400_000];
    for (let at = start; at < start + 2_100; at += 7) instants.push(at);
    // Out of order too: the per-second cache must follow the clock back as well as forward.
    instants.push(start + 5, start - 1_000, start + 1_005);
    for (const at of instants) expect(isoTime(at)).toBe(pinoIsoTime(at));
  });

  it('reads the clock when called without an instant', () => {
    const before = Date.now();
    const value = isoTime();
    const written = Date.parse(value.slice(',"time":"'.length, -1));
    expect(written).toBeGreaterThanOrEqual(before);
    expect(written).toBeLessThanOrEqual(Date.now());
  });
});
