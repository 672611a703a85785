import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { AccountAttributesDto } from './account-identity.dto.js';

export class CreditCheckContextDto {
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

export class CreditCheckDto extends AccountAttributesDto {
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CreditCheckContextDto)
  context?: CreditCheckContextDto | null;
}

export interface CreditCheckResponse {
  has_credit: boolean;
  credits_remaining: number;
  plan_name: string;
  reason: string | null;
  free_uses_remaining: number;
  total_uses: number;
  purchase_required: boolean;
  purchase_price_minor: number;
  purchase_uses: number;
  daily_free_uses_remaining: number;
  daily_free_uses_limit: number;
  /** What active holds reserve (SPEC §11); the fields above are what is left beside them. */
  held_minor: number;
  free_uses_held: number;
  daily_free_uses_held: number;
}
