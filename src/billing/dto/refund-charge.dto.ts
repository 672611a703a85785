import { IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AmountMinor, RequiredIdempotencyKey } from './common-fields.js';
import type { CreditType } from '../credit.entity.js';
import type { CreditResponse } from './create-credit.dto.js';

/** `POST /v1/billing/charges/{charge_id}/refund`. */
export class RefundChargeDto {
  /** Default: what remains refundable of what the charge took from the balance. */
  @IsOptional()
  @AmountMinor()
  amount_minor?: number | null;

  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason: string;

  @RequiredIdempotencyKey()
  idempotency_key: string;
}

export class ChargePathDto {
  @IsUUID('all', { message: 'charge_id must be a UUID' })
  charge_id: string;
}

/** The `refund` credit, linked to the charge; a free-use charge gives back a free use and no money. */
export class RefundResponse implements CreditResponse {
  credit_id: string;
  account_id: string;
  /** Balance given back (0 when the refund gave back a free use). */
  amount_minor: number;
  currency: string;
  balance_after: number;
  transaction_type: CreditType;
  /** The refund's `reason`. */
  description: string;
  external_transaction_id: string | null;
  created_at: string;
  /** The charge this refund gives back. */
  charge_id: string;
  /** One-time free uses given back: 1 for a charge a free use paid, else 0. */
  free_uses_returned: number;
}
