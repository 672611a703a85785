import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { BillingService } from './billing.service.js';
import { AccountPathDto } from './dto/account-identity.dto.js';
import { AccountResponse, CreateAccountDto } from './dto/create-account.dto.js';
import { CreateChargeDto, type ChargeResponse } from './dto/create-charge.dto.js';
import { CreateCreditDto, type CreditResponse } from './dto/create-credit.dto.js';
import { CreditCheckDto, type CreditCheckResponse } from './dto/credit-check.dto.js';
import { ListTransactionsQueryDto, type TransactionListResponse } from './dto/list-transactions.dto.js';

@Controller('v1/billing')
export class BillingController {
  constructor(private readonly billing: BillingService) {}

  @Post('credits/check')
  @HttpCode(200)
  @RequirePermission('billing:read')
  checkCredit(@CurrentPrincipal() principal: Principal, @Body() dto: CreditCheckDto): Promise<CreditCheckResponse> {
    return this.billing.checkCredit(principal, dto);
  }

  @Post('charges')
  @RequirePermission('billing:write')
  createCharge(@CurrentPrincipal() principal: Principal, @Body() dto: CreateChargeDto): Promise<ChargeResponse> {
    return this.billing.charge(principal, dto);
  }

  @Post('credits')
  @RequirePermission('billing:write')
  addCredit(@CurrentPrincipal() principal: Principal, @Body() dto: CreateCreditDto): Promise<CreditResponse> {
    return this.billing.addCredit(principal, dto);
  }

  @Post('accounts')
  @RequirePermission('billing:write')
  @ApiResponse({ status: 201, type: AccountResponse, description: 'The account, created or as it is (get-or-create)' })
  createAccount(@CurrentPrincipal() principal: Principal, @Body() dto: CreateAccountDto): Promise<AccountResponse> {
    return this.billing.getOrCreateAccount(principal, dto);
  }

  @Get('accounts/:oauth_provider/:external_id')
  @RequirePermission('billing:read')
  @ApiResponse({ status: 200, type: AccountResponse, description: 'The account, with what its active holds reserve' })
  @ApiResponse({ status: 404, description: '`Account not found`' })
  getAccount(@CurrentPrincipal() principal: Principal, @Param() path: AccountPathDto): Promise<AccountResponse> {
    return this.billing.getAccount(principal, path);
  }

  @Get('transactions')
  @RequirePermission('billing:read')
  listTransactions(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListTransactionsQueryDto,
  ): Promise<TransactionListResponse> {
    return this.billing.listTransactions(principal, query);
  }
}
