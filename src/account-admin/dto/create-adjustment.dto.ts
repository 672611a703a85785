import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, Max, MaxLength, Min, NotEquals } from 'class-validator';
import { CurrencyCode, MAX_AMOUNT_MINOR, RequiredIdempotencyKey } from '../../billing/dto/common-fields.js';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** A signed manual balance correction. The idempotency key is required: a retried correction must not apply twice. */
export class CreateAdjustmentDto {
  @IsInt()
  @NotEquals(0, { message: 'amount_minor must not be zero' })
  @Min(-MAX_AMOUNT_MINOR)
  @Max(MAX_AMOUNT_MINOR)
  amount_minor: number;

  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason: string;

  @RequiredIdempotencyKey()
  idempotency_key: string;

  @CurrencyCode()
  currency?: string;
}

export interface AdjustmentResponse {
  adjustment_id: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  balance_before: number;
  balance_after: number;
  transaction_type: 'adjustment';
  reason: string;
  idempotency_key: string;
  created_at: string;
  audit_id: string;
  request_id: string;
}
