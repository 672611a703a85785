import { InvalidEnvironmentError, validateEnv } from './env.js';

describe('Hold expiry settings', () => {
  it('default to 300 s and at most 86400 s', () => {
    expect(validateEnv({})).toMatchObject({
      HOLD_DEFAULT_EXPIRES_IN_SECONDS: 300,
      HOLD_MAX_EXPIRES_IN_SECONDS: 86_400,
    });
  });

  it('parse numbers from the environment', () => {
    const env = validateEnv({ HOLD_DEFAULT_EXPIRES_IN_SECONDS: '60', HOLD_MAX_EXPIRES_IN_SECONDS: '600' });
    expect(env).toMatchObject({ HOLD_DEFAULT_EXPIRES_IN_SECONDS: 60, HOLD_MAX_EXPIRES_IN_SECONDS: 600 });
  });

  it('refuse a default above the maximum, and values below 1', () => {
    expect(() => validateEnv({ HOLD_DEFAULT_EXPIRES_IN_SECONDS: '601', HOLD_MAX_EXPIRES_IN_SECONDS: '600' })).toThrow(
      /HOLD_DEFAULT_EXPIRES_IN_SECONDS must not be greater than HOLD_MAX_EXPIRES_IN_SECONDS/,
    );
    expect(() => validateEnv({ HOLD_MAX_EXPIRES_IN_SECONDS: '0' })).toThrow(InvalidEnvironmentError);
  });
});
