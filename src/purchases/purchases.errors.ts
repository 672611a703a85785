import { DomainError } from '../common/errors/domain-error.js';

export class PaymentProviderNotConfiguredError extends DomainError {
  readonly code = 'payment_provider_not_configured';
  constructor() {
    super('Payment provider not configured');
  }
}

/** A live key with a test-mode Stripe key (or the reverse): test money must never fund live accounts. */
export class PaymentProviderModeMismatchError extends DomainError {
  readonly code = 'payment_provider_mode_mismatch';
  constructor(environment: string) {
    super(`Payment provider not configured for ${environment} mode`);
  }
}

export class PaymentProviderUnavailableError extends DomainError {
  readonly code = 'payment_provider_unavailable';
  constructor() {
    super('Payment provider unavailable');
  }
}

export class PurchaseNotFoundError extends DomainError {
  readonly code = 'purchase_not_found';
  constructor() {
    super('Purchase not found');
  }
}

export class InvalidWebhookSignatureError extends DomainError {
  readonly code = 'invalid_webhook_signature';
  constructor() {
    super('Invalid webhook signature');
  }
}

/** A refund arrived before the payment's credit: answer non-2xx so Stripe redelivers it later. */
export class PurchaseNotCreditedError extends DomainError {
  readonly code = 'purchase_not_credited';
  constructor() {
    super('Purchase has not been credited yet; retry later');
  }
}
