import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AccountAttributesDto } from './account-identity.dto.js';
import { CurrencyCode, MAX_AMOUNT_MINOR } from './common-fields.js';

export class CreateAccountDto extends AccountAttributesDto {
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT_MINOR)
  initial_balance_minor?: number;

  @CurrencyCode()
  currency?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  plan_name?: string;
}

export interface AccountResponse {
  account_id: string;
  oauth_provider: string;
  external_id: string;
  wa_id: string | null;
  tenant_id: string | null;
  customer_email: string | null;
  display_name: string | null;
  user_role: string | null;
  agent_id: string | null;
  balance_minor: number;
  paid_credits: number;
  currency: string;
  plan_name: string;
  status: string;
  free_uses_remaining: number;
  daily_free_uses_remaining: number;
  daily_free_uses_limit: number;
  total_uses: number;
  created_at: string;
  updated_at: string;
}
