import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/** Body of suspend / reactivate / close: why. Required, and not just whitespace. */
export class AccountStatusChangeDto {
  @Transform(trim)
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
