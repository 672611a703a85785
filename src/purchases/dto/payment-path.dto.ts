import { Matches } from 'class-validator';

/** Stripe PaymentIntent ids: `pi_` and letters or digits (the column holds at most 255 characters). */
const PAYMENT_ID_PATTERN = /^pi_[A-Za-z0-9]{1,252}$/;

/** `{payment_id}` in `/v1/billing/purchases/{payment_id}`: anything else is a 422, never a lookup. */
export class PaymentPathDto {
  @Matches(PAYMENT_ID_PATTERN, { message: 'payment_id must be a Stripe PaymentIntent id (pi_…)' })
  payment_id!: string;
}
