import { Injectable, Logger } from '@nestjs/common';
import { BalanceLimitExceededError } from '../billing/billing.errors.js';
import { violatedConstraint } from '../billing/postgres-errors.js';
import { PurchaseLedgerRepository } from '../billing/purchase-ledger.repository.js';
import type { KeyEnvironment } from '../common/crypto/api-key-token.js';
import { MetricsService } from '../common/metrics/metrics.service.js';
import { Clock } from '../common/time/clock.js';
import type { Purchase } from './purchase.entity.js';
import { PurchaseNotCreditedError } from './purchases.errors.js';
import { PurchasesRepository } from './purchases.repository.js';
import { PURCHASE_METADATA } from './purchases.service.js';
import { assertEventShape } from './stripe-event-shape.js';
import { StripeGateway, type StripeCharge, type StripeEvent, type StripePaymentIntent } from './stripe.gateway.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface WebhookAck {
  received: true;
}

/**
 * Signed Stripe events → purchase state and ledger entries. Anything that fails to record what
 * Stripe reports propagates as an error, so the response is non-2xx and Stripe redelivers; every
 * handler is idempotent, so redeliveries (sequential or concurrent) change nothing twice.
 * `livemode: false` events act only on test-environment purchases, live events only on live ones.
 */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger(StripeWebhookService.name);

  constructor(
    private readonly stripe: StripeGateway,
    private readonly purchases: PurchasesRepository,
    private readonly ledger: PurchaseLedgerRepository,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  async handle(rawBody: unknown, signature: string | undefined): Promise<WebhookAck> {
    const event = this.stripe.constructEvent(rawBody, signature, this.clock.now().getTime());
    assertEventShape(event);
    const environment: KeyEnvironment = event.livemode ? 'live' : 'test';
    switch (event.type) {
      case 'payment_intent.succeeded':
        await this.onSucceeded(event, event.data.object, environment);
        break;
      case 'payment_intent.payment_failed': {
        const intent = event.data.object;
        await this.onUnpaid(intent, environment, 'failed', intent.last_payment_error?.message ?? null);
        break;
      }
      case 'payment_intent.canceled': {
        const intent = event.data.object;
        await this.onUnpaid(intent, environment, 'canceled', intent.cancellation_reason ?? null);
        break;
      }
      case 'charge.refunded':
        await this.onRefunded(event, event.data.object, environment);
        break;
      default:
        this.logger.debug(`Stripe event ${event.id} (${event.type}) acknowledged, not handled`);
    }
    return { received: true };
  }

  private async onSucceeded(
    event: StripeEvent,
    intent: StripePaymentIntent,
    environment: KeyEnvironment,
  ): Promise<void> {
    const purchase = await this.findOrAdopt(intent, environment);
    if (!purchase) return;
    let outcome;
    try {
      outcome = await this.ledger.creditPurchaseOnce(purchase.paymentId, environment);
    } catch (error) {
      this.logger.error(`Crediting ${purchase.paymentId} (event ${event.id}) failed; Stripe will redeliver`);
      if (violatedConstraint(error) === 'chk_accounts_balance_limit') throw new BalanceLimitExceededError();
      throw error;
    }
    this.metrics.creditRecorded('purchase', outcome.credit ? Number(outcome.credit.amount_minor) : null);
    if (outcome.credit) {
      this.logger.log(
        `Purchase ${purchase.paymentId} credited: +${outcome.credit.amount_minor} to account ${purchase.accountId} (balance ${outcome.credit.balance_after})`,
      );
    } else {
      this.logger.log(`Purchase ${purchase.paymentId} already credited; event ${event.id} changes nothing`);
    }
  }

  private async onUnpaid(
    intent: StripePaymentIntent,
    environment: KeyEnvironment,
    status: 'failed' | 'canceled',
    reason: string | null,
  ): Promise<void> {
    const purchase = await this.findOrAdopt(intent, environment);
    if (!purchase) return;
    const changed = await this.purchases.markUnpaid(purchase.paymentId, environment, status, reason);
    if (!changed) this.logger.log(`Purchase ${purchase.paymentId} already credited; ${status} event ignored`);
  }

  private async onRefunded(event: StripeEvent, charge: StripeCharge, environment: KeyEnvironment): Promise<void> {
    const paymentId = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
    if (!paymentId) return;
    const outcome = await this.ledger.clawBackRefund(paymentId, environment, charge.amount_refunded, charge.amount);
    if (outcome.kind === 'unknown') {
      this.logger.debug(`Refund event ${event.id} is for ${paymentId}, which is not a ${environment} purchase`);
    } else if (outcome.kind === 'not_credited') {
      throw new PurchaseNotCreditedError();
    } else if (outcome.clawedBack > 0 || outcome.unrecovered > 0) {
      this.logger.warn(
        `Refund of ${paymentId}: ${outcome.clawedBack} credits removed, ${outcome.unrecovered} already spent (not recovered)`,
      );
    }
  }

  /**
   * Our purchase for the PaymentIntent in this environment. A PaymentIntent we created but never
   * recorded (the insert after Stripe's answer failed) is adopted from its metadata; anything
   * else — another integration's payment, or one from the other mode — is left alone.
   */
  private async findOrAdopt(intent: StripePaymentIntent, environment: KeyEnvironment): Promise<Purchase | null> {
    const existing = await this.purchases.findByPaymentId(intent.id);
    if (existing) {
      if (existing.environment === environment) return existing;
      this.logger.error(
        `Stripe ${environment}-mode event for ${intent.id}, a ${existing.environment} purchase: ignored (modes never cross)`,
      );
      return null;
    }
    const meta = intent.metadata ?? {};
    const uses = Number(meta[PURCHASE_METADATA.uses]);
    const accountId = meta[PURCHASE_METADATA.accountId];
    if (
      !accountId ||
      !UUID.test(accountId) ||
      meta[PURCHASE_METADATA.environment] !== environment ||
      !Number.isSafeInteger(uses) ||
      uses < 0
    ) {
      this.logger.debug(`PaymentIntent ${intent.id} is not a CIRIS Billing ${environment} purchase; ignored`);
      return null;
    }
    const adopted = await this.purchases.insertIfAbsent({
      paymentId: intent.id,
      accountId,
      environment,
      amountMinor: intent.amount,
      currency: intent.currency.toUpperCase(),
      usesPurchased: uses,
      customerEmail: intent.receipt_email ?? null,
      returnUrl: null,
      apiKeyId: null,
    });
    if (adopted) this.logger.warn(`PaymentIntent ${intent.id} had no purchase row; recorded from its metadata`);
    return adopted;
  }
}
