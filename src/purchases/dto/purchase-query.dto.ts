import { IsNotEmpty, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { OAUTH_PROVIDER_PATTERN } from '../../billing/dto/account-identity.dto.js';

/**
 * Optional account identity for `GET /v1/billing/purchases/{payment_id}`: when given (both fields),
 * the purchase must belong to that account; either way it must belong to the key's environment.
 */
export class PurchaseQueryDto {
  @ValidateIf((o: PurchaseQueryDto) => o.oauth_provider !== undefined || o.external_id !== undefined)
  @IsString()
  @MaxLength(255)
  @Matches(OAUTH_PROVIDER_PATTERN, { message: 'oauth_provider must start with "oauth:"' })
  oauth_provider?: string;

  @ValidateIf((o: PurchaseQueryDto) => o.oauth_provider !== undefined || o.external_id !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  external_id?: string;
}
