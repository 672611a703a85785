import { IsIn, IsOptional } from 'class-validator';
import { CurrencyCode } from '../../billing/dto/common-fields.js';
import { DateRangeQueryDto } from '../../analytics/dto/date-range.dto.js';
import type { AnalyticsQuery, Environment, Granularity, RevenueAnalyticsQuery } from '../contract.js';

export class AnalyticsQueryDto extends DateRangeQueryDto implements AnalyticsQuery {
  @IsOptional()
  @IsIn(['live', 'test'])
  environment: Environment = 'live';

  @IsOptional()
  @IsIn(['day', 'week', 'month'])
  granularity: Granularity = 'day';
}

export class RevenueAnalyticsQueryDto extends AnalyticsQueryDto implements RevenueAnalyticsQuery {
  @CurrencyCode()
  currency?: string;
}
