import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseStatus } from '../common/database/database-status.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';

/**
 * The public operational endpoints: `/`, health, readiness and `/metrics`.
 * Failed checks are reported in the response and the request log, not as a second error log.
 * {@link DatabaseStatus} (the HTTP service's view of database outages) lives here, not in the
 * DatabaseModule the CLI shares: the CLI has no metrics and answers no requests.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [MetricsController, HealthController],
  providers: [DatabaseStatus],
  exports: [DatabaseStatus],
})
export class OperationsModule {}
