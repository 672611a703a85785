import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, RequirePermission } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { AccountPathDto } from '../billing/dto/account-identity.dto.js';
import { RequestId } from '../common/request-id/request-id.js';
import { AccountAdminService } from './account-admin.service.js';
import { AccountStatusChangeDto, type AccountStatusResponse } from './dto/account-status-change.dto.js';
import { CreateAdjustmentDto, type AdjustmentResponse } from './dto/create-adjustment.dto.js';
import { ListAuditQueryDto, type AuditListResponse } from './dto/list-audit.dto.js';

/** billing:admin — account status, manual adjustments and the audit trail, beside the account routes. */
@Controller('v1/billing')
@RequirePermission('billing:admin')
export class AccountAdminController {
  constructor(private readonly admin: AccountAdminService) {}

  @Post('accounts/:oauth_provider/:external_id/suspend')
  @HttpCode(200)
  suspend(
    @CurrentPrincipal() principal: Principal,
    @Param() path: AccountPathDto,
    @Body() dto: AccountStatusChangeDto,
    @RequestId() requestId: string,
  ): Promise<AccountStatusResponse> {
    return this.admin.changeStatus(principal, path, 'suspend', dto, requestId);
  }

  @Post('accounts/:oauth_provider/:external_id/reactivate')
  @HttpCode(200)
  reactivate(
    @CurrentPrincipal() principal: Principal,
    @Param() path: AccountPathDto,
    @Body() dto: AccountStatusChangeDto,
    @RequestId() requestId: string,
  ): Promise<AccountStatusResponse> {
    return this.admin.changeStatus(principal, path, 'reactivate', dto, requestId);
  }

  @Post('accounts/:oauth_provider/:external_id/close')
  @HttpCode(200)
  close(
    @CurrentPrincipal() principal: Principal,
    @Param() path: AccountPathDto,
    @Body() dto: AccountStatusChangeDto,
    @RequestId() requestId: string,
  ): Promise<AccountStatusResponse> {
    return this.admin.changeStatus(principal, path, 'close', dto, requestId);
  }

  @Post('accounts/:oauth_provider/:external_id/adjustments')
  adjust(
    @CurrentPrincipal() principal: Principal,
    @Param() path: AccountPathDto,
    @Body() dto: CreateAdjustmentDto,
    @RequestId() requestId: string,
  ): Promise<AdjustmentResponse> {
    return this.admin.adjust(principal, path, dto, requestId);
  }

  @Get('accounts/:oauth_provider/:external_id/audit')
  accountAudit(
    @CurrentPrincipal() principal: Principal,
    @Param() path: AccountPathDto,
    @Query() query: ListAuditQueryDto,
  ): Promise<AuditListResponse> {
    return this.admin.accountAudit(principal, path, query);
  }

  @Get('admin/audit')
  allAudit(@CurrentPrincipal() principal: Principal, @Query() query: ListAuditQueryDto): Promise<AuditListResponse> {
    return this.admin.allAudit(principal, query);
  }
}
