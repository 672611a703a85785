import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AnalyticsController } from './analytics.controller.js';
import { AnalyticsRepository } from './analytics.repository.js';
import { AnalyticsService } from './analytics.service.js';
import { ConsoleAnalyticsRepository } from './console-analytics.repository.js';
import { DAILY_AGGREGATE_ENTITIES } from './daily-aggregate.entities.js';
import { DailyAggregates } from './daily-aggregates.js';

/** analytics:read: daily usage and revenue reports, computed in SQL from daily aggregates and the ledger. */
@Module({
  imports: [TypeOrmModule.forFeature(DAILY_AGGREGATE_ENTITIES)],
  controllers: [AnalyticsController],
  providers: [AnalyticsService, AnalyticsRepository, ConsoleAnalyticsRepository, DailyAggregates],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
