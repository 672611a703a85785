import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { CREDIT_TYPES, type CreditType } from '../credit.entity.js';
import { AccountAttributesDto } from './account-identity.dto.js';
import { AmountMinor, CurrencyCode, IdempotencyKey } from './common-fields.js';

export class CreateCreditDto extends AccountAttributesDto {
  @AmountMinor()
  amount_minor: number;

  @CurrencyCode()
  currency?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  description?: string | null;

  @IsOptional()
  @IsIn(CREDIT_TYPES)
  transaction_type?: CreditType;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  external_transaction_id?: string | null;

  @IdempotencyKey()
  idempotency_key?: string | null;
}

export interface CreditResponse {
  credit_id: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  balance_after: number;
  transaction_type: CreditType;
  description: string;
  external_transaction_id: string | null;
  created_at: string;
}
