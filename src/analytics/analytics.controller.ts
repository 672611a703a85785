import { Controller, Get, Query } from '@nestjs/common';
import { CurrentPrincipal, RequirePermission } from '../auth/decorators.js';
import type { Principal } from '../auth/principal.js';
import { AnalyticsService } from './analytics.service.js';
import type { RevenueReport, UsageReport } from './dto/analytics-responses.js';
import { DateRangeQueryDto } from './dto/date-range.dto.js';
import { RevenueQueryDto } from './dto/revenue-query.dto.js';

@Controller('v1/analytics')
@RequirePermission('analytics:read')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('usage')
  usage(@CurrentPrincipal() principal: Principal, @Query() query: DateRangeQueryDto): Promise<UsageReport> {
    return this.analytics.usage(principal, query);
  }

  @Get('revenue')
  revenue(@CurrentPrincipal() principal: Principal, @Query() query: RevenueQueryDto): Promise<RevenueReport> {
    return this.analytics.revenue(principal, query);
  }
}
