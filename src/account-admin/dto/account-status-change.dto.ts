import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Trim } from '../../common/validation/trim.js';

/** Body of suspend / reactivate / close: why. Required, and not just whitespace. */
export class AccountStatusChangeDto {
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason: string;
}

export interface AccountStatusResponse {
  account_id: string;
  oauth_provider: string;
  external_id: string;
  status: string;
  previous_status: string;
  status_reason: string | null;
  balance_minor: number;
  updated_at: string;
  audit_id: string;
  request_id: string;
}
