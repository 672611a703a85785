import { generateApiKey } from '../crypto/api-key-token.js';
import { isSafeRequestId, redactApiKeys } from './log-redaction.js';

const encodeAll = (text: string): string =>
  [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`).join('');

describe('redactApiKeys', () => {
  const key = generateApiKey('live');
  const secret = key.slice(13);

  it.each([
    ['plain', key],
    ['underscores encoded', key.replaceAll('_', '%5F')],
    ['lower-case escapes', key.replaceAll('_', '%5f')],
    ['every character encoded', encodeAll(key)],
    ['encoded twice', key.replaceAll('_', '%255F')],
    ['upper-cased prefix', key.replace('cbk_live_', 'CBK_LIVE_')],
  ])('%s: cut to its prefix, the line still JSON', (_, variant) => {
    const line = JSON.stringify({
      msg: `GET /v1/billing/accounts/oauth:x/${variant} 404`,
      req: { path: `/x/${variant}` },
    });
    const out = redactApiKeys(line);
    expect(() => JSON.parse(out) as unknown).not.toThrow();
    expect(out).toContain('[REDACTED]');
    expect(out.toLowerCase()).not.toContain(secret.slice(4, 16).toLowerCase());
    expect(out.toLowerCase()).not.toContain(encodeAll(secret.slice(4, 16)).toLowerCase());
  });

  it('keeps a line valid JSON when the decoded run holds quotes and backslashes', () => {
    const line = JSON.stringify({ msg: `/x/%22%5C${key.replaceAll('_', '%5F')}%22` });
    const out = redactApiKeys(line);
    expect(JSON.parse(out)).toEqual({ msg: expect.stringContaining('[REDACTED]') });
  });

  it('leaves lines without keys alone', () => {
    const line = JSON.stringify({ msg: 'GET /v1/billing/accounts/oauth%3Agoogle/a%40b.c 200 (100%)' });
    expect(redactApiKeys(line)).toBe(line);
  });
});

describe('isSafeRequestId', () => {
  it('keeps ordinary ids and refuses key-shaped ones', () => {
    const key = generateApiKey('test');
    expect(isSafeRequestId('trace-0042')).toBe(true);
    expect(isSafeRequestId('5b7c0c1e-61a4-4b3c-9d6e-1f2a3b4c5d6e')).toBe(true);
    expect(isSafeRequestId('4bf92f3577b34da6a3ce929d0e0e4736')).toBe(true); // a W3C trace id
    expect(isSafeRequestId(key)).toBe(false);
    expect(isSafeRequestId(`req-${key}`)).toBe(false);
    expect(isSafeRequestId(key.slice(0, 20))).toBe(false);
    expect(isSafeRequestId(key.slice(9))).toBe(false); // the secret without its prefix
    expect(isSafeRequestId('has space')).toBe(false);
  });
});
