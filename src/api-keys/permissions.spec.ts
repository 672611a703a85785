import { DEFAULT_AGENT_PERMISSIONS, isGranted, isPermission, PERMISSIONS } from './permissions.js';

describe('isGranted', () => {
  it('grants exactly the permissions a key lists', () => {
    for (const required of PERMISSIONS) {
      for (const granted of PERMISSIONS) expect(isGranted([granted], required)).toBe(granted === required);
    }
  });

  it('implies nothing: admin is not write, write is not read', () => {
    expect(isGranted(['billing:admin'], 'billing:write')).toBe(false);
    expect(isGranted(['billing:write'], 'billing:read')).toBe(false);
    expect(isGranted([], 'billing:read')).toBe(false);
  });

  it('gives agents read and write by default, nothing more', () => {
    expect(PERMISSIONS.filter((p) => isGranted(DEFAULT_AGENT_PERMISSIONS, p))).toEqual([
      'billing:read',
      'billing:write',
    ]);
  });
});

describe('isPermission', () => {
  it('accepts the vocabulary and nothing else', () => {
    for (const p of PERMISSIONS) expect(isPermission(p)).toBe(true);
    for (const p of ['billing:*', 'BILLING:READ', 'billing:read ', '', 'admin']) expect(isPermission(p)).toBe(false);
  });
});
