import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { AccountsRepository } from '../billing/accounts.repository.js';
import { AccountClosedError, AccountNotFoundError } from '../billing/billing.errors.js';
import { BillingService } from '../billing/billing.service.js';
import { Clock } from '../common/time/clock.js';
import { Env } from '../config/env.js';
import type { CreatePurchaseDto, PurchaseResponse, PurchaseStatusResponse } from './dto/create-purchase.dto.js';
import type { PurchaseQueryDto } from './dto/purchase-query.dto.js';
import type { Purchase } from './purchase.entity.js';
import {
  PaymentProviderModeMismatchError,
  PaymentProviderNotConfiguredError,
  PurchaseNotFoundError,
} from './purchases.errors.js';
import { PurchasesRepository } from './purchases.repository.js';
import { StripeGateway, type StripePaymentIntent } from './stripe.gateway.js';

/** Metadata keys written on every PaymentIntent; webhooks can rebuild a purchase from them. */
export const PURCHASE_METADATA = {
  accountId: 'account_id',
  oauthProvider: 'oauth_provider',
  externalId: 'external_id',
  environment: 'environment',
  uses: 'uses',
} as const;

/** Agents start purchases and poll them; crediting happens only in {@link StripeWebhookService}. */
@Injectable()
export class PurchasesService {
  constructor(
    private readonly stripe: StripeGateway,
    private readonly purchases: PurchasesRepository,
    private readonly billing: BillingService,
    private readonly accounts: AccountsRepository,
    private readonly env: Env,
    private readonly clock: Clock,
  ) {}

  async createPurchase(principal: Principal, dto: CreatePurchaseDto): Promise<PurchaseResponse> {
    this.requireProviderFor(principal);
    const account = await this.billing.openAccount(principal, {
      oauth_provider: dto.oauth_provider,
      external_id: dto.external_id,
      customer_email: dto.customer_email,
    });
    if (account.status === 'closed') throw new AccountClosedError();

    const uses = this.env.PURCHASE_USES;
    const amountMinor = this.env.PURCHASE_PRICE_MINOR;
    const intent = await this.stripe.createPaymentIntent({
      amountMinor,
      currency: account.currency,
      description: `Purchase of ${uses} uses`,
      receiptEmail: dto.customer_email,
      metadata: {
        [PURCHASE_METADATA.accountId]: account.id,
        [PURCHASE_METADATA.oauthProvider]: dto.oauth_provider,
        [PURCHASE_METADATA.externalId]: dto.external_id,
        [PURCHASE_METADATA.environment]: principal.environment,
        [PURCHASE_METADATA.uses]: String(uses),
      },
      idempotencyKey: this.stripeIdempotencyKey(principal, account.id, dto, amountMinor, uses, account.currency),
    });

    const purchase = await this.purchases.insertIfAbsent({
      paymentId: intent.id,
      accountId: account.id,
      environment: principal.environment,
      amountMinor: intent.amount,
      currency: account.currency,
      usesPurchased: uses,
      customerEmail: dto.customer_email,
      returnUrl: dto.return_url ?? null,
      apiKeyId: principal.keyId,
    });
    if (!purchase) throw new AccountNotFoundError();
    return this.purchaseBody(intent, purchase);
  }

  /**
   * Stripe's view of the payment plus what our ledger credited for it. 404 unless the purchase
   * belongs to the key's environment and, when the query names an account, to that account.
   */
  async getPurchase(principal: Principal, paymentId: string, query: PurchaseQueryDto): Promise<PurchaseStatusResponse> {
    if (!this.stripe.configured) throw new PaymentProviderNotConfiguredError();
    const purchase = await this.findOwned(principal, paymentId, query);
    const intent = await this.stripe.retrievePaymentIntent(purchase.paymentId);
    if (!intent) throw new PurchaseNotFoundError();
    const totals = await this.purchases.ledgerTotals(purchase);
    return {
      ...this.purchaseBody(intent, purchase),
      credits_added: totals.creditsAdded,
      credits_refunded: totals.creditsRefunded,
    };
  }

  private async findOwned(principal: Principal, paymentId: string, query: PurchaseQueryDto): Promise<Purchase> {
    const purchase = await this.purchases.findByPaymentId(paymentId);
    if (!purchase || purchase.environment !== principal.environment) throw new PurchaseNotFoundError();
    if (query.oauth_provider !== undefined && query.external_id !== undefined) {
      const account = await this.accounts.findByKey({
        environment: principal.environment,
        oauthProvider: query.oauth_provider,
        externalId: query.external_id,
      });
      if (!account || account.id !== purchase.accountId) throw new PurchaseNotFoundError();
    }
    return purchase;
  }

  /** Test keys pay with a test-mode Stripe key and live keys with a live one, never crossed (SPEC §2). */
  private requireProviderFor(principal: Principal): void {
    if (!this.stripe.configured) throw new PaymentProviderNotConfiguredError();
    if (this.stripe.mode !== principal.environment) throw new PaymentProviderModeMismatchError(principal.environment);
  }

  /**
   * Same purchase request → same key → Stripe returns the same PaymentIntent instead of a second
   * one. The client's idempotency key scopes a retry; without one, the UTC minute does, so a later
   * purchase by the same user gets a fresh PaymentIntent.
   */
  private stripeIdempotencyKey(
    principal: Principal,
    accountId: string,
    dto: CreatePurchaseDto,
    amountMinor: number,
    uses: number,
    currency: string,
  ): string {
    const scope = dto.idempotency_key ?? `minute:${Math.floor(this.clock.now().getTime() / 60_000)}`;
    const material = JSON.stringify([
      principal.environment,
      accountId,
      amountMinor,
      uses,
      currency,
      dto.customer_email,
      dto.return_url ?? null,
      scope,
    ]);
    return `ciris-purchase-${createHash('sha256').update(material).digest('hex')}`;
  }

  /** SPEC §7's purchase body: Stripe's view of the intent and the uses it buys. */
  private purchaseBody(intent: StripePaymentIntent, purchase: Purchase): PurchaseResponse {
    return {
      payment_id: intent.id,
      client_secret: intent.client_secret,
      amount_minor: intent.amount,
      currency: intent.currency.toUpperCase(),
      uses_purchased: purchase.usesPurchased,
      status: intent.status,
      publishable_key: this.stripe.publishableKey,
    };
  }
}
