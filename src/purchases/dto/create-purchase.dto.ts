import { IsEmail, IsOptional, IsString, IsUrl, MaxLength } from 'class-validator';
import { AccountIdentityDto } from '../../billing/dto/account-identity.dto.js';
import { IdempotencyKey } from '../../billing/dto/common-fields.js';

/** `POST /v1/billing/purchases`: who buys (the account is created if unknown) and where Stripe sends the receipt. */
export class CreatePurchaseDto extends AccountIdentityDto {
  @IsString()
  @MaxLength(320)
  @IsEmail()
  customer_email: string;

  /** Where the client's payment page returns after confirmation; stored with the purchase. */
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  return_url?: string;

  /**
   * Optional: retries of one purchase attempt carrying the same key get the same PaymentIntent.
   * Without it, identical requests within the same UTC minute do.
   */
  @IdempotencyKey()
  idempotency_key?: string;
}

export interface PurchaseResponse {
  payment_id: string;
  client_secret: string | null;
  amount_minor: number;
  currency: string;
  uses_purchased: number;
  status: string;
  publishable_key: string | null;
}

export interface PurchaseStatusResponse extends PurchaseResponse {
  /** Credits this payment added to the balance, from the ledger (0 until the webhook credits it). */
  credits_added: number;
  /** Credits removed again because the payment was refunded, from the ledger. */
  credits_refunded: number;
}
