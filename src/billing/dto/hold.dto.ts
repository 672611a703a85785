import { Type } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { AccountAttributesDto } from './account-identity.dto.js';
import { AmountMinor, CurrencyCode, RequiredIdempotencyKey } from './common-fields.js';
import { ChargeMetadataDto, type ChargeResponse } from './create-charge.dto.js';

/** `POST /v1/billing/holds`: the most the interaction may cost, reserved until captured, released or expired. */
export class CreateHoldDto extends AccountAttributesDto {
  @AmountMinor()
  amount_minor: number;

  @CurrencyCode()
  currency?: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  description: string;

  @RequiredIdempotencyKey()
  idempotency_key: string;

  /** Default and maximum: HOLD_DEFAULT_EXPIRES_IN_SECONDS, HOLD_MAX_EXPIRES_IN_SECONDS. */
  @IsOptional()
  @IsInt()
  @Min(1)
  expires_in_seconds?: number | null;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ChargeMetadataDto)
  metadata?: ChargeMetadataDto | null;
}

/** `POST /v1/billing/holds/{hold_id}/capture`: the final cost (default: all that is held). */
export class CaptureHoldDto {
  @IsOptional()
  @AmountMinor()
  amount_minor?: number | null;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  description?: string | null;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ChargeMetadataDto)
  metadata?: ChargeMetadataDto | null;
}

export class HoldPathDto {
  @IsUUID('all', { message: 'hold_id must be a UUID' })
  hold_id: string;
}

export type HoldFundedBy = 'daily_free_use' | 'free_use' | 'balance';
export type HoldStatusName = 'active' | 'captured' | 'released' | 'expired';

/** A hold as every hold route reports it (a class so the OpenAPI document describes it). */
export class HoldResponse {
  hold_id: string;
  account_id: string;
  /** The most the interaction may cost. */
  amount_minor: number;
  currency: string;
  /** What the hold reserves: one of today's daily free uses, a one-time free use, or `amount_minor` of balance. */
  funded_by: HoldFundedBy;
  status: HoldStatusName;
  expires_at: string;
  created_at: string;
  description: string;
  metadata: Record<string, unknown>;
  /** When it was captured, released or expired; null while active. */
  ended_at: string | null;
  /** The charge that captured it; null unless captured. */
  charge_id: string | null;
  /** What the capture charged; null unless captured. */
  captured_amount_minor: number | null;
}

/** A capture answers with the charge it wrote (as `POST /v1/billing/charges` does), plus the hold it came from. */
export class CaptureResponse implements ChargeResponse {
  charge_id: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  balance_after: number;
  created_at: string;
  description: string;
  /** The hold's metadata with the capture's merged over it. */
  metadata: Record<string, unknown>;
  hold_id: string;
}
