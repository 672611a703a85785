import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { CaptureHoldDto, CaptureResponse, CreateHoldDto, HoldPathDto, HoldResponse } from './dto/hold.dto.js';
import { ChargePathDto, RefundChargeDto, RefundResponse } from './dto/refund-charge.dto.js';
import { HoldsService } from './holds.service.js';
import { RefundsService } from './refunds.service.js';

const existing = (header: string, description: string) => ({
  [header]: { description, schema: { type: 'string', format: 'uuid' } },
});

/** Holds (reserve, capture, release) and refunds of charges: SPEC §11, docs/holds.md. */
@ApiTags('Holds and refunds')
@Controller('v1/billing')
export class HoldsController {
  constructor(
    private readonly holds: HoldsService,
    private readonly refunds: RefundsService,
  ) {}

  /**
   * Reserve the most an interaction may cost, in the order a charge consumes: one of today's daily
   * free uses, else a one-time free use, else `amount_minor` of the balance not already held.
   */
  @Post('holds')
  @RequirePermission('billing:write')
  @ApiResponse({ status: 201, type: HoldResponse, description: 'Reserved (`status: active`)' })
  @ApiResponse({ status: 400, description: '`Currency mismatch: account={A}, charge={B}`' })
  @ApiResponse({ status: 402, description: '`Insufficient credits. Balance: {available}, Required: {amount}`' })
  @ApiResponse({
    status: 403,
    description: 'The key lacks `billing:write`, or `Account suspended` / `Account is closed`',
  })
  @ApiResponse({ status: 404, description: '`Account not found`' })
  @ApiResponse({
    status: 409,
    description: '`Hold already exists`: a replay (same key and parameters); nothing is reserved again',
    headers: existing('X-Existing-Hold-ID', 'The hold the first request made'),
  })
  @ApiResponse({ status: 422, description: 'Validation, or the idempotency key used with different parameters' })
  createHold(@CurrentPrincipal() principal: Principal, @Body() dto: CreateHoldDto): Promise<HoldResponse> {
    return this.holds.hold(principal, dto);
  }

  /** Charge the final cost (at most the held amount; default all of it) and free the rest. */
  @Post('holds/:hold_id/capture')
  @RequirePermission('billing:write')
  @ApiResponse({ status: 201, type: CaptureResponse, description: 'The charge, with `hold_id`' })
  @ApiResponse({ status: 400, description: '`Capture exceeds the held amount. Held: {held}, Requested: {amount}`' })
  @ApiResponse({
    status: 403,
    description: 'The key lacks `billing:write`, or `Account suspended` / `Account is closed`',
  })
  @ApiResponse({ status: 404, description: '`Hold not found`' })
  @ApiResponse({
    status: 409,
    description: '`Hold already captured` (a repeat), `Hold released` or `Hold expired`',
    headers: existing('X-Existing-Charge-ID', 'The charge that captured the hold (on `Hold already captured`)'),
  })
  captureHold(
    @CurrentPrincipal() principal: Principal,
    @Param() path: HoldPathDto,
    @Body() dto: CaptureHoldDto,
  ): Promise<CaptureResponse> {
    return this.holds.capture(principal, path.hold_id, dto);
  }

  /** Free the reservation. Releasing again, or a hold that already expired, is a 200 no-op. */
  @Post('holds/:hold_id/release')
  @HttpCode(200)
  @RequirePermission('billing:write')
  @ApiResponse({ status: 200, type: HoldResponse, description: 'The hold, `released` (or `expired`)' })
  @ApiResponse({ status: 404, description: '`Hold not found`' })
  @ApiResponse({
    status: 409,
    description: '`Hold already captured`',
    headers: existing('X-Existing-Charge-ID', 'The charge that captured the hold'),
  })
  releaseHold(@CurrentPrincipal() principal: Principal, @Param() path: HoldPathDto): Promise<HoldResponse> {
    return this.holds.release(principal, path.hold_id);
  }

  /** The hold and its status: `active`, `captured`, `released` or `expired` (by the clock at request time). */
  @Get('holds/:hold_id')
  @RequirePermission('billing:read')
  @ApiResponse({ status: 200, type: HoldResponse })
  @ApiResponse({ status: 404, description: '`Hold not found`' })
  getHold(@CurrentPrincipal() principal: Principal, @Param() path: HoldPathDto): Promise<HoldResponse> {
    return this.holds.get(principal, path.hold_id);
  }

  /**
   * Give back what a charge took from the balance (default: all that remains refundable; never more
   * in total), or one one-time free use for a charge a free use paid: a `refund` credit linked to
   * the charge.
   */
  @Post('charges/:charge_id/refund')
  @RequirePermission('billing:write')
  @ApiResponse({ status: 201, type: RefundResponse, description: 'The `refund` credit' })
  @ApiResponse({
    status: 400,
    description: '`Refund exceeds what remains refundable. Refundable: {r}, Requested: {a}`',
  })
  @ApiResponse({ status: 403, description: 'The key lacks `billing:write`, or `Account is closed`' })
  @ApiResponse({ status: 404, description: '`Charge not found`' })
  @ApiResponse({
    status: 409,
    description: '`Credit already exists` (a replay) or `Charge already fully refunded`',
    headers: existing('X-Existing-Credit-ID', 'The refund the first request made (on `Credit already exists`)'),
  })
  @ApiResponse({ status: 422, description: 'Validation, or the idempotency key used with different parameters' })
  refundCharge(
    @CurrentPrincipal() principal: Principal,
    @Param() path: ChargePathDto,
    @Body() dto: RefundChargeDto,
  ): Promise<RefundResponse> {
    return this.refunds.refund(principal, path.charge_id, dto);
  }
}
