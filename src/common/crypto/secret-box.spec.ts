import { randomBytes } from 'node:crypto';
import { parseSecretBoxKey, SecretBox } from './secret-box.js';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips and never repeats a ciphertext', () => {
    const a = box.seal('JBSWY3DPEHPK3PXP');
    expect(box.open(a)).toBe('JBSWY3DPEHPK3PXP');
    expect(box.seal('JBSWY3DPEHPK3PXP')).not.toBe(a);
    expect(a).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it('refuses a tampered ciphertext and a wrong key', () => {
    const sealed = box.seal('secret');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => box.open(`v1.${raw.toString('base64url')}`)).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it('parses hex and base64 keys of 32 bytes only', () => {
    expect(parseSecretBoxKey('ab'.repeat(32))?.length).toBe(32);
    expect(parseSecretBoxKey(randomBytes(32).toString('base64'))?.length).toBe(32);
    expect(parseSecretBoxKey('short')).toBeNull();
    expect(parseSecretBoxKey(randomBytes(16).toString('base64'))).toBeNull();
  });
});
