import {
  API_KEY_PATTERN,
  displayPrefix,
  environmentOf,
  generateApiKey,
  hashApiKey,
  isWellFormedApiKey,
} from './api-key-token.js';

describe('API key tokens', () => {
  it('generates keys that match the published pattern and pass the checksum', () => {
    for (const env of ['live', 'test'] as const) {
      const key = generateApiKey(env);
      expect(key).toMatch(API_KEY_PATTERN);
      expect(key.startsWith(`cbk_${env}_`)).toBe(true);
      expect(isWellFormedApiKey(key)).toBe(true);
      expect(environmentOf(key)).toBe(env);
    }
  });

  it('never repeats', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey('live')));
    expect(keys.size).toBe(1000);
  });

  it('rejects a mistyped, truncated or extended key', () => {
    const key = generateApiKey('live');
    const i = 20;
    const typo = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
    expect(isWellFormedApiKey(typo)).toBe(false);
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey(`${key}x`)).toBe(false);
    expect(isWellFormedApiKey(` ${key}`)).toBe(false);
    expect(isWellFormedApiKey(key.replace('cbk_live_', 'cbk_test_'))).toBe(false);
    expect(isWellFormedApiKey('cbk_live_8f4d9c2a1b7e5f3g6h8j9k0m2n4p5q7r8s9t0u1v2w3x4y5z6')).toBe(false);
  });

  it('hashes with SHA-256 and shows a short prefix', () => {
    const key = generateApiKey('test');
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(displayPrefix(key)).toBe(key.slice(0, 13));
    expect(displayPrefix(key).startsWith('cbk_test_')).toBe(true);
  });
});
