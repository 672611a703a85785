import { applyDecorators } from '@nestjs/common';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { PERMISSIONS } from '../../api-keys/permissions.js';
import type {
  ApiKeyStatus,
  CreateKeyRequest,
  Environment,
  KeyUsageQuery,
  ListKeysQuery,
  Permission,
  RevokeKeyRequest,
  RotateKeyRequest,
  UpdateKeyRequest,
} from '../contract.js';
import { PageQueryDto, trim } from './common.dto.js';

/** Rotation grace: immediately up to 7 days. */
export const MAX_GRACE_SECONDS = 7 * 86_400;
export const DEFAULT_KEY_EXPIRY_DAYS = 90;

export class ListKeysQueryDto extends PageQueryDto implements ListKeysQuery {
  @IsOptional()
  @IsIn(['live', 'test'])
  environment?: Environment;

  @IsOptional()
  @IsIn(['active', 'rotating', 'revoked'])
  status?: ApiKeyStatus;

  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(255)
  q?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3650)
  expiring_within_days?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3650)
  unused_for_days?: number;
}

export class KeyUsageQueryDto implements KeyUsageQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(90)
  days: number = 7;

  @IsOptional()
  @IsIn(['hour', 'day'])
  granularity: 'hour' | 'day' = 'day';
}

const Permissions = (): PropertyDecorator =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(PERMISSIONS.length),
    IsIn(PERMISSIONS, { each: true, message: `each permission must be one of: ${PERMISSIONS.join(', ')}` }),
  );

export class CreateKeyDto implements CreateKeyRequest {
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @IsIn(['live', 'test'])
  environment: Environment;

  @Permissions()
  permissions: Permission[];

  /** `null`: never expires (super_admin only). Absent: 90 days. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expires_in_days?: number | null;

  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rate_limit_per_minute?: number | null;
}

export class UpdateKeyDto implements UpdateKeyRequest {
  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @IsOptional()
  @Permissions()
  permissions?: Permission[];

  @ValidateIf((o: UpdateKeyDto) => o.expires_at !== undefined && o.expires_at !== null)
  @IsISO8601({ strict: true })
  expires_at?: string | null;

  @ValidateIf((o: UpdateKeyDto) => o.rate_limit_per_minute !== undefined && o.rate_limit_per_minute !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rate_limit_per_minute?: number | null;
}

export class RotateKeyDto implements RotateKeyRequest {
  @IsInt()
  @Min(0)
  @Max(MAX_GRACE_SECONDS)
  grace_period_seconds: number;
}

export class RevokeKeyDto implements RevokeKeyRequest {
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason: string;
}
