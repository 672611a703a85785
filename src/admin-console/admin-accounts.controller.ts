import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AdminContext } from '../admin-auth/admin-auth.types.js';
import { AdminRoleRequired, CurrentAdmin } from '../admin-auth/decorators.js';
import { ConsoleAccountsService } from './console-accounts.service.js';
import type {
  AccountDetailResponse,
  AccountListResponse,
  AccountStatusChangeResponse,
  AdjustmentResponse,
  CreditChecksResponse,
  LedgerResponse,
} from './contract.js';
import {
  AccountStatusChangeDto,
  AdjustmentDto,
  CloseAccountDto,
  LedgerQueryDto,
  ListAccountsQueryDto,
} from './dto/accounts.dto.js';
import { IdPathDto, PageQueryDto } from './dto/common.dto.js';

@ApiTags('admin console: accounts')
@Controller('admin/api/accounts')
export class AdminAccountsController {
  constructor(private readonly accounts: ConsoleAccountsService) {}

  @Get()
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'Search accounts by external id, email or id; filters by status and provider' })
  search(@Query() query: ListAccountsQueryDto): Promise<AccountListResponse> {
    return this.accounts.search(query);
  }

  @Get(':id')
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'One account: balance, free uses, 30-day usage, recent purchases' })
  detail(@Param() path: IdPathDto): Promise<AccountDetailResponse> {
    return this.accounts.detail(path.id);
  }

  @Get(':id/ledger')
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: "The account's ledger, newest first (signed amounts, balance after, idempotency key, key)" })
  ledger(@Param() path: IdPathDto, @Query() query: LedgerQueryDto): Promise<LedgerResponse> {
    return this.accounts.ledger(path.id, query);
  }

  @Get(':id/credit-checks')
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: "The account's credit checks, newest first" })
  creditChecks(@Param() path: IdPathDto, @Query() query: PageQueryDto): Promise<CreditChecksResponse> {
    return this.accounts.creditChecks(path.id, query);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @AdminRoleRequired('admin')
  @ApiOperation({ summary: 'Suspend (credit checks answer has_credit: false; charges refused)' })
  suspend(
    @CurrentAdmin() ctx: AdminContext,
    @Param() path: IdPathDto,
    @Body() dto: AccountStatusChangeDto,
  ): Promise<AccountStatusChangeResponse> {
    return this.accounts.suspend(ctx, path.id, dto);
  }

  @Post(':id/reactivate')
  @HttpCode(200)
  @AdminRoleRequired('admin')
  @ApiOperation({ summary: 'Reactivate a suspended account' })
  reactivate(
    @CurrentAdmin() ctx: AdminContext,
    @Param() path: IdPathDto,
    @Body() dto: AccountStatusChangeDto,
  ): Promise<AccountStatusChangeResponse> {
    return this.accounts.reactivate(ctx, path.id, dto);
  }

  @Post(':id/adjustments')
  @AdminRoleRequired('admin')
  @ApiOperation({
    summary: 'Signed balance correction (never below zero); step-up above ADMIN_ADJUSTMENT_STEP_UP_THRESHOLD_MINOR',
  })
  adjust(
    @CurrentAdmin() ctx: AdminContext,
    @Param() path: IdPathDto,
    @Body() dto: AdjustmentDto,
  ): Promise<AdjustmentResponse> {
    return this.accounts.adjust(ctx, path.id, dto);
  }

  @Post(':id/close')
  @HttpCode(200)
  @AdminRoleRequired('super_admin', { stepUp: true })
  @ApiOperation({ summary: 'Close an account for good (type its external id to confirm)' })
  close(
    @CurrentAdmin() ctx: AdminContext,
    @Param() path: IdPathDto,
    @Body() dto: CloseAccountDto,
  ): Promise<AccountStatusChangeResponse> {
    return this.accounts.close(ctx, path.id, dto);
  }
}
