import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export const OAUTH_PROVIDER_PATTERN = /^oauth:.+/;
const OAUTH_PROVIDER_MESSAGE = 'oauth_provider must start with "oauth:"';

/** Who the account belongs to: exact and case-sensitive, within the caller key's environment. */
export class AccountIdentityDto {
  @IsString()
  @MaxLength(255)
  @Matches(OAUTH_PROVIDER_PATTERN, { message: OAUTH_PROVIDER_MESSAGE })
  oauth_provider: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  external_id: string;
}

/** Identity plus the attributes filled in when first seen (and updated by credit checks). */
export class AccountAttributesDto extends AccountIdentityDto {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  wa_id?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  tenant_id?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(320)
  customer_email?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  display_name?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  user_role?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  agent_id?: string | null;
}

/** `GET /v1/billing/accounts/{oauth_provider}/{external_id}` path parameters. */
export class AccountPathDto extends AccountIdentityDto {}
