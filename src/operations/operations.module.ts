import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';

/**
 * The public operational endpoints: `/`, health, readiness and `/metrics`.
 * Failed checks are reported in the response and the request log, not as a second error log.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [MetricsController, HealthController],
})
export class OperationsModule {}
