import { IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AmountMinor, RequiredIdempotencyKey } from './common-fields.js';
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
export interface RefundResponse extends CreditResponse {
  charge_id: string;
  free_uses_returned: number;
}
