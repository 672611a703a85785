import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BillingModule } from '../billing/billing.module.js';
import { Purchase } from './purchase.entity.js';
import { PurchasesController } from './purchases.controller.js';
import { PurchasesRepository } from './purchases.repository.js';
import { PurchasesService } from './purchases.service.js';
import { StripeWebhookController } from './stripe-webhook.controller.js';
import { StripeWebhookService } from './stripe-webhook.service.js';
import { StripeGateway } from './stripe.gateway.js';

/** Credit purchases through Stripe: PaymentIntents for agents, signed webhooks that credit the ledger. */
@Module({
  imports: [TypeOrmModule.forFeature([Purchase]), BillingModule],
  controllers: [PurchasesController, StripeWebhookController],
  providers: [PurchasesService, StripeWebhookService, PurchasesRepository, StripeGateway],
  exports: [PurchasesService],
})
export class PurchasesModule {}
