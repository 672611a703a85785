import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ADMIN_ROLES } from '../../admin-users/admin-user.entity.js';
import type { AdminRole, InviteAdminRequest, UpdateAdminUserRequest } from '../contract.js';
import { trim } from './common.dto.js';

export class InviteAdminDto implements InviteAdminRequest {
  @Transform(trim)
  @IsString()
  @MaxLength(320)
  @Matches(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'email must be an email address' })
  email: string;

  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  full_name: string;

  @IsIn(ADMIN_ROLES)
  role: AdminRole;
}

export class UpdateAdminUserDto implements UpdateAdminUserRequest {
  @IsOptional()
  @IsIn(ADMIN_ROLES)
  role?: AdminRole;

  @IsOptional()
  @IsBoolean()
  is_active?: boolean;

  @IsOptional()
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  full_name?: string;
}
