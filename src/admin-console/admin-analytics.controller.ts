import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminRoleRequired } from '../admin-auth/decorators.js';
import { ConsoleAnalyticsService } from './console-analytics.service.js';
import type {
  AuthFailuresResponse,
  KeysAnalyticsResponse,
  OverviewResponse,
  RevenueAnalyticsResponse,
  UsageAnalyticsResponse,
} from './contract.js';
import { AnalyticsQueryDto, RevenueAnalyticsQueryDto } from './dto/analytics.dto.js';
import { EnvironmentQueryDto } from './dto/common.dto.js';

@ApiTags('admin console: overview and analytics')
@Controller('admin/api')
export class AdminAnalyticsController {
  constructor(private readonly analytics: ConsoleAnalyticsService) {}

  @Get('overview')
  @AdminRoleRequired('viewer')
  @ApiOperation({
    summary: 'The overview cards: accounts, charges, revenue, keys, failed authentications, usage, latest audit',
  })
  overview(@Query() query: EnvironmentQueryDto): Promise<OverviewResponse> {
    return this.analytics.overview(query.environment);
  }

  @Get('analytics/usage')
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'Uses (paid/free), credit checks vs denied, new accounts, top accounts, by day/week/month' })
  usage(@Query() query: AnalyticsQueryDto): Promise<UsageAnalyticsResponse> {
    return this.analytics.usageReport(query);
  }

  @Get('analytics/revenue')
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'Revenue and credits added by type, by day/week/month' })
  revenue(@Query() query: RevenueAnalyticsQueryDto): Promise<RevenueAnalyticsResponse> {
    return this.analytics.revenueReport(query);
  }

  @Get('analytics/auth-failures')
  @AdminRoleRequired('viewer')
  @ApiOperation({
    summary: 'Failed API-key authentications by reason, prefix and IP; 429s per key; admin sign-in failures and locks',
  })
  authFailures(@Query() query: AnalyticsQueryDto): Promise<AuthFailuresResponse> {
    return this.analytics.authFailures(query);
  }

  @Get('analytics/keys')
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'Keys by status, unused for 30 days, expiring within 14 days, requests by outcome' })
  keys(@Query() query: AnalyticsQueryDto): Promise<KeysAnalyticsResponse> {
    return this.analytics.keysReport(query);
  }
}
