import { Module } from '@nestjs/common';
import { AnalyticsController } from './analytics.controller.js';
import { AnalyticsRepository } from './analytics.repository.js';
import { AnalyticsService } from './analytics.service.js';
import { ConsoleAnalyticsRepository } from './console-analytics.repository.js';

/** analytics:read: daily usage and revenue reports, computed in SQL. */
@Module({
  controllers: [AnalyticsController],
  providers: [AnalyticsService, AnalyticsRepository, ConsoleAnalyticsRepository],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
