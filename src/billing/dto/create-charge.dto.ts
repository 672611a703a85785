import { Type } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { AccountAttributesDto } from './account-identity.dto.js';
import { AmountMinor, CurrencyCode, IdempotencyKey } from './common-fields.js';

export class ChargeMetadataDto {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  message_id?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  agent_id?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  channel_id?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  request_id?: string | null;
}

export class CreateChargeDto extends AccountAttributesDto {
  @AmountMinor()
  amount_minor: number;

  @CurrencyCode()
  currency?: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  description: string;

  @IdempotencyKey()
  idempotency_key?: string | null;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ChargeMetadataDto)
  metadata?: ChargeMetadataDto | null;
}

export interface ChargeResponse {
  charge_id: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  balance_after: number;
  created_at: string;
  description: string;
  metadata: Record<string, unknown>;
}
