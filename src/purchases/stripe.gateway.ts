import { Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { Env } from '../config/env.js';
import {
  InvalidWebhookSignatureError,
  PaymentProviderNotConfiguredError,
  PaymentProviderUnavailableError,
} from './purchases.errors.js';

export type StripePaymentIntent = Stripe.PaymentIntent;
export type StripeEvent = Stripe.Event;
export type StripeCharge = Stripe.Charge;

export interface NewPaymentIntent {
  amountMinor: number;
  currency: string;
  description: string;
  receiptEmail: string;
  metadata: Record<string, string>;
  idempotencyKey: string;
}

/**
 * The only place that talks to Stripe, through the official SDK. Built from {@link Env}: without a
 * secret key every call throws {@link PaymentProviderNotConfiguredError} (503). Host, port and
 * protocol can point the SDK at a local fake (tests), stripe-mock or an egress proxy.
 */
@Injectable()
export class StripeGateway {
  private readonly logger = new Logger(StripeGateway.name);
  private readonly client: Stripe | null;
  /** Which of our environments the secret key's payments belong to (`sk_test_` → test). */
  readonly mode: KeyEnvironment | null;

  constructor(private readonly env: Env) {
    const key = env.STRIPE_SECRET_KEY;
    this.mode = key ? (/^(sk|rk)_live_/.test(key) ? 'live' : 'test') : null;
    this.client = key
      ? new Stripe(key, {
          host: env.STRIPE_API_HOST,
          port: env.STRIPE_API_PORT,
          protocol: env.STRIPE_API_PROTOCOL,
          maxNetworkRetries: 2, // safe: every create carries an idempotency key
          timeout: 20_000,
          telemetry: false,
          appInfo: { name: 'ciris-billing' },
        })
      : null;
  }

  get configured(): boolean {
    return this.client !== null;
  }

  get publishableKey(): string | null {
    return this.env.STRIPE_PUBLISHABLE_KEY ?? null;
  }

  async createPaymentIntent(p: NewPaymentIntent): Promise<StripePaymentIntent> {
    const client = this.requireClient();
    try {
      return await client.paymentIntents.create(
        {
          amount: p.amountMinor,
          currency: p.currency.toLowerCase(),
          description: p.description,
          receipt_email: p.receiptEmail,
          metadata: p.metadata,
          automatic_payment_methods: { enabled: true },
        },
        { idempotencyKey: p.idempotencyKey },
      );
    } catch (error) {
      throw this.unavailable('create PaymentIntent', error);
    }
  }

  /** The PaymentIntent, or null when Stripe does not know it. */
  async retrievePaymentIntent(paymentId: string): Promise<StripePaymentIntent | null> {
    const client = this.requireClient();
    try {
      return await client.paymentIntents.retrieve(paymentId);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return null;
      throw this.unavailable('retrieve PaymentIntent', error);
    }
  }

  /**
   * Verifies the `Stripe-Signature` header over the raw body and parses the event. `nowMs` comes
   * from the service clock, so the replay-tolerance window (5 minutes) follows the same time as the rest.
   */
  constructEvent(rawBody: unknown, signature: string | undefined, nowMs: number): StripeEvent {
    const client = this.requireClient();
    const secret = this.env.STRIPE_WEBHOOK_SECRET;
    if (!secret) throw new PaymentProviderNotConfiguredError();
    // No body (or not the raw bytes) means nothing the signature could cover.
    if (!signature || !Buffer.isBuffer(rawBody)) throw new InvalidWebhookSignatureError();
    try {
      return client.webhooks.constructEvent(rawBody, signature, secret, undefined, undefined, nowMs);
    } catch {
      // Bad signature, stale timestamp or (only with a valid signature) an unparsable body.
      throw new InvalidWebhookSignatureError();
    }
  }

  private requireClient(): Stripe {
    if (!this.client) throw new PaymentProviderNotConfiguredError();
    return this.client;
  }

  private unavailable(what: string, error: unknown): PaymentProviderUnavailableError {
    const detail =
      error instanceof Stripe.errors.StripeError
        ? `${error.type}${error.code ? `/${error.code}` : ''}: ${error.message}`
        : String(error);
    this.logger.error(`Stripe: could not ${what}: ${detail}`);
    return new PaymentProviderUnavailableError();
  }
}
