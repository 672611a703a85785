import { DomainError } from '../common/errors/domain-error.js';

/** A validly signed Stripe event whose content is not what its type promises: 400, nothing changes. */
export class InvalidWebhookPayloadError extends DomainError {
  readonly code = 'invalid_webhook_payload';
  constructor(problem: string) {
    super(`Stripe event has an unexpected shape: ${problem}`);
  }
}

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
const isOptionalString = (value: unknown): boolean =>
  value === undefined || value === null || typeof value === 'string';

/** The PaymentIntent fields the handlers read (see StripeWebhookService), or the first one that is wrong. */
function paymentIntentProblem(intent: Fields): string | undefined {
  if (typeof intent.id !== 'string' || intent.id === '') return 'data.object.id must be a string';
  if (!isCount(intent.amount)) return 'data.object.amount must be a non-negative integer';
  if (typeof intent.currency !== 'string') return 'data.object.currency must be a string';
  if (intent.metadata !== undefined && intent.metadata !== null) {
    if (!isObject(intent.metadata)) return 'data.object.metadata must be an object';
    if (!Object.values(intent.metadata).every((v) => typeof v === 'string'))
      return 'data.object.metadata values must be strings';
  }
  if (!isOptionalString(intent.receipt_email)) return 'data.object.receipt_email must be a string or null';
  if (!isOptionalString(intent.cancellation_reason)) return 'data.object.cancellation_reason must be a string or null';
  const error = intent.last_payment_error;
  if (error !== undefined && error !== null && (!isObject(error) || !isOptionalString(error.message))) {
    return 'data.object.last_payment_error must be an object with a string message, or null';
  }
  return undefined;
}

/** The Charge fields the refund handler reads. */
function chargeProblem(charge: Fields): string | undefined {
  const intent = charge.payment_intent;
  if (!(
    intent === null ||
    intent === undefined ||
    typeof intent === 'string' ||
    (isObject(intent) && typeof intent.id === 'string')
  )) {
    return 'data.object.payment_intent must be a string, an object with an id, or null';
  }
  if (!isCount(charge.amount)) return 'data.object.amount must be a non-negative integer';
  if (!isCount(charge.amount_refunded)) return 'data.object.amount_refunded must be a non-negative integer';
  return undefined;
}

/** Event types the service acts on, each with the check of its `data.object`. */
const HANDLED: Record<string, (object: Fields) => string | undefined> = {
  'payment_intent.succeeded': paymentIntentProblem,
  'payment_intent.payment_failed': paymentIntentProblem,
  'payment_intent.canceled': paymentIntentProblem,
  'charge.refunded': chargeProblem,
};

/**
 * Checks a verified event before any handler reads it, so a signed event of an unexpected shape is
 * a 400 (Stripe shows it as failed and retries; nothing changed) instead of a TypeError or a
 * database error deep in a handler. Types the service does not handle only need an id and a type:
 * they are acknowledged and ignored whatever their data. One pass over the few fields read; the
 * payload was already parsed and size-limited by the signature check.
 */
export function assertEventShape(event: unknown): void {
  if (!isObject(event)) throw new InvalidWebhookPayloadError('the event must be an object');
  if (typeof event.id !== 'string' || event.id === '') throw new InvalidWebhookPayloadError('id must be a string');
  if (typeof event.type !== 'string') throw new InvalidWebhookPayloadError('type must be a string');
  const check = HANDLED[event.type];
  if (!check) return;
  if (typeof event.livemode !== 'boolean') throw new InvalidWebhookPayloadError('livemode must be a boolean');
  if (!isObject(event.data) || !isObject(event.data.object)) {
    throw new InvalidWebhookPayloadError(`data.object must be an object for ${event.type}`);
  }
  const problem = check(event.data.object);
  if (problem) throw new InvalidWebhookPayloadError(problem);
}
