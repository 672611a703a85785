import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { actorOf, type AdminContext } from '../admin-auth/admin-auth.types.js';
import { AdminRoleRequired, CurrentAdmin } from '../admin-auth/decorators.js';
import { ConsoleAnalyticsService, type CsvExport } from './console-analytics.service.js';
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

  @Get('analytics/usage.csv')
  @AdminRoleRequired('admin')
  @ApiProduces('text/csv')
  @ApiOperation({
    summary: 'The usage report as a CSV download, one row per bucket (same numbers as GET /analytics/usage)',
    description: 'Audited as `analytics.export`, with the range. Viewers get 403 `admin_forbidden` (audited too).',
  })
  @ApiOkResponse({
    description: '`text/csv; charset=utf-8`, `Content-Disposition: attachment`',
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  async usageCsv(
    @Query() query: AnalyticsQueryDto,
    @CurrentAdmin() ctx: AdminContext,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    return asDownload(res, await this.analytics.usageCsv(query, actorOf(ctx)));
  }

  @Get('analytics/revenue.csv')
  @AdminRoleRequired('admin')
  @ApiProduces('text/csv')
  @ApiOperation({
    summary: 'The revenue report as a CSV download, one row per bucket (same numbers as GET /analytics/revenue)',
    description: 'Audited as `analytics.export`, with the range. Viewers get 403 `admin_forbidden` (audited too).',
  })
  @ApiOkResponse({
    description: '`text/csv; charset=utf-8`, `Content-Disposition: attachment`',
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  async revenueCsv(
    @Query() query: RevenueAnalyticsQueryDto,
    @CurrentAdmin() ctx: AdminContext,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    return asDownload(res, await this.analytics.revenueCsv(query, actorOf(ctx)));
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

/** Sends a CSV export as a file download (the name is built from validated values only). */
function asDownload(res: Response, file: CsvExport): string {
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${file.filename}"`);
  return file.body;
}
