import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Public } from '../auth/decorators.js';
import { UnparsedBody } from '../common/validation/deferred-json-body.js';
import { StripeWebhookService, type WebhookAck } from './stripe-webhook.service.js';

/** Where Stripe delivers events; app.setup.ts keeps this path's body as raw bytes for the signature. */
export const STRIPE_WEBHOOK_PATH = '/v1/billing/webhooks/stripe';

@Controller()
export class StripeWebhookController {
  constructor(private readonly webhooks: StripeWebhookService) {}

  /** Public: authenticated by the `Stripe-Signature` header, not an API key. */
  @Post(STRIPE_WEBHOOK_PATH)
  @Public()
  @HttpCode(200)
  receive(@Req() req: Request, @Headers('stripe-signature') signature?: string): Promise<WebhookAck> {
    // No DTO, so no validation pipe to surface a body that could not be read (e.g. 413): do it here.
    if (req.body instanceof UnparsedBody) throw req.body.toError();
    return this.webhooks.handle(req.body, signature);
  }
}
