import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  NotEquals,
} from 'class-validator';
import { MAX_AMOUNT_MINOR, RequiredIdempotencyKey } from '../../billing/dto/common-fields.js';
import type {
  AccountStatus,
  AccountStatusChangeRequest,
  AdjustmentKind,
  AdjustmentRequest,
  CloseAccountRequest,
  Environment,
  LedgerQuery,
  ListAccountsQuery,
} from '../contract.js';
import { PageQueryDto, trim } from './common.dto.js';

export const ADJUSTMENT_KINDS: readonly AdjustmentKind[] = ['correction', 'goodwill', 'refund', 'chargeback', 'other'];

export class ListAccountsQueryDto extends PageQueryDto implements ListAccountsQuery {
  @IsOptional()
  @IsIn(['live', 'test'])
  environment: Environment = 'live';

  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(320)
  q?: string;

  @IsOptional()
  @IsIn(['active', 'suspended', 'closed'])
  status?: AccountStatus;

  @IsOptional()
  @IsString()
  @Matches(/^oauth:[\x21-\x7e]{1,249}$/, { message: 'provider must look like oauth:google' })
  provider?: string;
}

export class LedgerQueryDto extends PageQueryDto implements LedgerQuery {
  @IsOptional()
  @IsIn(['charge', 'credit'])
  type?: 'charge' | 'credit';

  @IsOptional()
  @IsIn(['charge', 'purchase', 'grant', 'refund', 'adjustment'])
  transaction_type?: 'charge' | 'purchase' | 'grant' | 'refund' | 'adjustment';
}

export class AccountStatusChangeDto implements AccountStatusChangeRequest {
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason: string;
}

export class CloseAccountDto extends AccountStatusChangeDto implements CloseAccountRequest {
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  confirm_external_id: string;
}

export class AdjustmentDto implements AdjustmentRequest {
  @IsInt()
  @NotEquals(0, { message: 'amount_minor must not be zero' })
  @Min(-MAX_AMOUNT_MINOR)
  @Max(MAX_AMOUNT_MINOR)
  amount_minor: number;

  @IsIn(ADJUSTMENT_KINDS)
  kind: AdjustmentKind;

  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason: string;

  @RequiredIdempotencyKey()
  idempotency_key: string;
}
