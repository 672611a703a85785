import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import type {
  LoginRequest,
  MfaEnrollConfirmRequest,
  MfaVerifyRequest,
  PasswordChangeRequest,
  ReauthRequest,
  SetupRequest,
} from '../contract.js';

const SIX_DIGITS = /^\d{6}$/;

export class LoginDto implements LoginRequest {
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  email: string;

  /** No length rule here: a wrong password is `invalid_credentials`, never a hint. */
  @IsString()
  @MaxLength(1024)
  password: string;
}

export class SetupDto implements SetupRequest {
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  token: string;

  @IsString()
  @MaxLength(1024)
  password: string;
}

export class MfaCodeDto implements MfaEnrollConfirmRequest, ReauthRequest {
  @IsString()
  @Matches(SIX_DIGITS, { message: 'code must be 6 digits' })
  code: string;
}

/** Either a TOTP `code` or a `recovery_code`. */
export class MfaVerifyDto implements MfaVerifyRequest {
  @ValidateIf((o: MfaVerifyDto) => o.recovery_code === undefined)
  @IsString()
  @Matches(SIX_DIGITS, { message: 'code must be 6 digits (or send recovery_code instead)' })
  code?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  recovery_code?: string;
}

export class PasswordChangeDto implements PasswordChangeRequest {
  @IsString()
  @MaxLength(1024)
  current_password: string;

  @IsString()
  @MaxLength(1024)
  new_password: string;
}
