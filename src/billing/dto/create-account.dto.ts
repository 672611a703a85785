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

/**
 * The account body (SPEC §3), plus what holds reserve (SPEC §11). The balance and free-use fields
 * are the account's own counters; `held_minor`, `free_uses_held` and `daily_free_uses_held` are what
 * its active holds reserve of them (a hold past `expires_at` reserves nothing, by the clock at
 * request time, as in the credit check), and `available_minor` is the balance they leave to spend.
 */
export class AccountResponse {
  account_id: string;
  oauth_provider: string;
  external_id: string;
  wa_id: string | null;
  tenant_id: string | null;
  customer_email: string | null;
  display_name: string | null;
  user_role: string | null;
  agent_id: string | null;
  /** The balance (= the sum of the account's ledger), held amounts included. */
  balance_minor: number;
  /** Same as `balance_minor`. */
  paid_credits: number;
  currency: string;
  plan_name: string;
  status: string;
  /** One-time free uses, those that holds reserve included (see `free_uses_held`). */
  free_uses_remaining: number;
  /** Today's daily free uses, those that holds reserve included (see `daily_free_uses_held`). */
  daily_free_uses_remaining: number;
  daily_free_uses_limit: number;
  total_uses: number;
  created_at: string;
  updated_at: string;
  /** What active, unexpired holds funded by the balance reserve of `balance_minor`. */
  held_minor: number;
  /** `balance_minor - held_minor`: what charges and new holds can take (never below 0). */
  available_minor: number;
  /** One-time free uses that active holds reserve. */
  free_uses_held: number;
  /** Today's daily free uses that active holds reserve. */
  daily_free_uses_held: number;
}
