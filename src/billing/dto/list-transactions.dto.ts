import { IntersectionType } from '@nestjs/swagger';
import { PageQueryDto } from '../../common/validation/page-query.dto.js';
import { AccountIdentityDto } from './account-identity.dto.js';

/** An account's ledger, a page at a time. */
export class ListTransactionsQueryDto extends IntersectionType(AccountIdentityDto, PageQueryDto) {}

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
