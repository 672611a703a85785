import { prettyLogs } from './create-pino.js';

describe('prettyLogs', () => {
  it('is readable on a terminal by default, JSON elsewhere', () => {
    expect(prettyLogs('auto', true)).toBe(true);
    expect(prettyLogs('auto', false)).toBe(false);
  });

  it('follows an explicit LOG_FORMAT whatever stdout is', () => {
    expect(prettyLogs('json', true)).toBe(false);
    expect(prettyLogs('pretty', false)).toBe(true);
  });
});
