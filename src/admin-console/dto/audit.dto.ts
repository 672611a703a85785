import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { AUDIT_ACTOR_TYPES, AUDIT_OUTCOMES, AUDIT_RESOURCE_TYPES } from '../../audit/audit-entry.entity.js';
import type { AuditActorType, AuditOutcome, AuditResourceType, Environment, ListAuditQuery } from '../contract.js';
import { PageQueryDto } from './common.dto.js';

export class ListAuditQueryDto extends PageQueryDto implements ListAuditQuery {
  @IsOptional()
  @IsIn(AUDIT_ACTOR_TYPES)
  actor_type?: AuditActorType;

  @IsOptional()
  @IsUUID('all', { message: 'actor_id must be a UUID' })
  actor_id?: string;

  @IsOptional()
  @IsString()
  @Matches(/^[a-z_]+(\.[a-z_]+)?$/, { message: 'action must look like key.rotate' })
  @MaxLength(64)
  action?: string;

  @IsOptional()
  @IsIn(AUDIT_RESOURCE_TYPES)
  resource_type?: AuditResourceType;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  resource_id?: string;

  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @IsOptional()
  @IsIn(['live', 'test'])
  environment?: Environment;

  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}
