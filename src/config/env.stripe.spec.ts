import { InvalidEnvironmentError, validateEnv } from './env.js';

describe('Stripe settings', () => {
  it('are optional: without them purchases are simply off', () => {
    const env = validateEnv({});
    expect(env.STRIPE_SECRET_KEY).toBeUndefined();
    expect(env.STRIPE_WEBHOOK_SECRET).toBeUndefined();
    expect(env.STRIPE_API_PORT).toBeUndefined();
  });

  it('parse keys and the API endpoint override', () => {
    const env = validateEnv({
      STRIPE_SECRET_KEY: 'sk_test_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_abc',
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: '12111',
      STRIPE_API_PROTOCOL: 'http',
    });
    expect(env).toMatchObject({
      STRIPE_SECRET_KEY: 'sk_test_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_abc',
      STRIPE_PUBLISHABLE_KEY: 'pk_test_abc',
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: 12111,
      STRIPE_API_PROTOCOL: 'http',
    });
  });

  it('reject a malformed secret without echoing it', () => {
    const secret = 'pk_live_thisIsAPublishableKeyInTheWrongPlace';
    let message = '';
    try {
      validateEnv({ STRIPE_SECRET_KEY: secret, STRIPE_API_PROTOCOL: 'ftp' });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidEnvironmentError);
      message = (error as Error).message;
    }
    expect(message).toContain('STRIPE_SECRET_KEY=<redacted>');
    expect(message).toContain('STRIPE_API_PROTOCOL="ftp"');
    expect(message).not.toContain(secret);
  });
});
