import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { AccountIdentityDto } from './account-identity.dto.js';

export class ListTransactionsQueryDto extends AccountIdentityDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset: number = 0;
}

export interface TransactionResponse {
  transaction_id: string;
  type: 'charge' | 'credit';
  transaction_type: string;
  amount_minor: number;
  balance_change_minor: number;
  currency: string;
  description: string;
  balance_after: number;
  created_at: string;
  metadata: Record<string, unknown> | null;
  funding_source: string | null;
  external_transaction_id: string | null;
  /** Charges written by capturing a hold: the hold. */
  hold_id: string | null;
  /** Charges: what refunds gave back so far, and the refund credits (oldest first); null for credits. */
  refunded_minor: number | null;
  refund_ids: string[] | null;
  /** Refund credits: the charge they give back; null otherwise. */
  charge_id: string | null;
}

export interface TransactionListResponse {
  transactions: TransactionResponse[];
  total_count: number;
  has_more: boolean;
}
