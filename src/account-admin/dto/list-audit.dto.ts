import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ADMIN_ACTIONS, type AdminAction } from '../admin-actions.js';

export class ListAuditQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset: number = 0;

  @IsOptional()
  @IsIn(ADMIN_ACTIONS)
  action?: AdminAction;
}

export interface AuditEntryResponse {
  audit_id: string;
  environment: string;
  account_id: string;
  oauth_provider: string;
  external_id: string;
  action: AdminAction;
  /** Who: `api_key` (a billing:admin key), `admin_user` (console), `cli` or `system`. */
  actor_type: string;
  /** Key name, operator email, `cli` or `system`. */
  actor_label: string;
  /** Set when the actor is an API key. */
  api_key_id: string | null;
  api_key_name: string | null;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  reason: string;
  request_id: string | null;
  created_at: string;
}

export interface AuditListResponse {
  entries: AuditEntryResponse[];
  total_count: number;
  has_more: boolean;
}
