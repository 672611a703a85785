import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, RequirePermission } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { CreatePurchaseDto, type PurchaseResponse, type PurchaseStatusResponse } from './dto/create-purchase.dto.js';
import { PaymentPathDto } from './dto/payment-path.dto.js';
import { PurchaseQueryDto } from './dto/purchase-query.dto.js';
import { PurchasesService } from './purchases.service.js';

@Controller('v1/billing/purchases')
export class PurchasesController {
  constructor(private readonly purchases: PurchasesService) {}

  @Post()
  @RequirePermission('billing:write')
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreatePurchaseDto): Promise<PurchaseResponse> {
    return this.purchases.createPurchase(principal, dto);
  }

  @Get(':payment_id')
  @RequirePermission('billing:read')
  get(
    @CurrentPrincipal() principal: Principal,
    @Param() path: PaymentPathDto,
    @Query() query: PurchaseQueryDto,
  ): Promise<PurchaseStatusResponse> {
    return this.purchases.getPurchase(principal, path.payment_id, query);
  }

  /** Alias of `GET /v1/billing/purchases/{payment_id}`, the path agents poll. */
  @Get(':payment_id/status')
  @RequirePermission('billing:read')
  status(
    @CurrentPrincipal() principal: Principal,
    @Param() path: PaymentPathDto,
    @Query() query: PurchaseQueryDto,
  ): Promise<PurchaseStatusResponse> {
    return this.purchases.getPurchase(principal, path.payment_id, query);
  }
}
