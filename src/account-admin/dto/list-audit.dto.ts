import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/validation/page-query.dto.js';
import { ADMIN_ACTIONS, type AdminAction } from '../admin-audit-entry.entity.js';

export class ListAuditQueryDto extends PageQueryDto {
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
  api_key_id: string;
  api_key_name: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  reason: string;
  request_id: string;
  created_at: string;
}

export interface AuditListResponse {
  entries: AuditEntryResponse[];
  total_count: number;
  has_more: boolean;
}
