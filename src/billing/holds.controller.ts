import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CurrentPrincipal, RequirePermission } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { CaptureHoldDto, CreateHoldDto, HoldPathDto, type CaptureResponse, type HoldResponse } from './dto/hold.dto.js';
import { ChargePathDto, RefundChargeDto, type RefundResponse } from './dto/refund-charge.dto.js';
import { HoldsService } from './holds.service.js';
import { RefundsService } from './refunds.service.js';

/** Holds (reserve, capture, release) and refunds of charges: SPEC §11. */
@Controller('v1/billing')
export class HoldsController {
  constructor(
    private readonly holds: HoldsService,
    private readonly refunds: RefundsService,
  ) {}

  /**
   * Reserve the most an interaction may cost: a daily free use, else a one-time free use, else
   * `amount_minor` of the balance not already held. 409 + `X-Existing-Hold-ID` for a replay.
   */
  @Post('holds')
  @RequirePermission('billing:write')
  createHold(@CurrentPrincipal() principal: Principal, @Body() dto: CreateHoldDto): Promise<HoldResponse> {
    return this.holds.hold(principal, dto);
  }

  /** Charge the final cost (at most the held amount; default all of it) and free the rest. */
  @Post('holds/:hold_id/capture')
  @RequirePermission('billing:write')
  captureHold(
    @CurrentPrincipal() principal: Principal,
    @Param() path: HoldPathDto,
    @Body() dto: CaptureHoldDto,
  ): Promise<CaptureResponse> {
    return this.holds.capture(principal, path.hold_id, dto);
  }

  /** Free the reservation; releasing again (or a hold that expired) is a 200 no-op. */
  @Post('holds/:hold_id/release')
  @HttpCode(200)
  @RequirePermission('billing:write')
  releaseHold(@CurrentPrincipal() principal: Principal, @Param() path: HoldPathDto): Promise<HoldResponse> {
    return this.holds.release(principal, path.hold_id);
  }

  /** The hold and its status: `active`, `captured`, `released` or `expired`. */
  @Get('holds/:hold_id')
  @RequirePermission('billing:read')
  getHold(@CurrentPrincipal() principal: Principal, @Param() path: HoldPathDto): Promise<HoldResponse> {
    return this.holds.get(principal, path.hold_id);
  }

  /**
   * Give back what a charge took from the balance (default: all that remains refundable), or one
   * one-time free use for a charge a free use paid; a `refund` credit linked to the charge.
   */
  @Post('charges/:charge_id/refund')
  @RequirePermission('billing:write')
  refundCharge(
    @CurrentPrincipal() principal: Principal,
    @Param() path: ChargePathDto,
    @Body() dto: RefundChargeDto,
  ): Promise<RefundResponse> {
    return this.refunds.refund(principal, path.charge_id, dto);
  }
}
