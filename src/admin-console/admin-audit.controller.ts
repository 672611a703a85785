import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminRoleRequired } from '../admin-auth/decorators.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { decodeCursor, pageOf } from '../common/pagination/cursor.js';
import type { AuditListResponse } from './contract.js';
import { ListAuditQueryDto } from './dto/audit.dto.js';
import { auditEntry } from './presenters.js';

@ApiTags('admin console: audit')
@Controller('admin/api/audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditRepository) {}

  @Get()
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'The audit trail of every admin action (console, CLI, API keys, system), newest first' })
  async list(@Query() query: ListAuditQueryDto): Promise<AuditListResponse> {
    const rows = await this.audit.page({
      actorType: query.actor_type,
      actorId: query.actor_id,
      action: query.action,
      resourceType: query.resource_type,
      resourceId: query.resource_id,
      outcome: query.outcome,
      environment: query.environment,
      since: query.since,
      until: query.until,
      after: decodeCursor(query.cursor),
      limit: query.limit,
    });
    return pageOf(rows, query.limit, auditEntry, (r) => r.position);
  }
}
