import { Controller, Get, Header, NotFoundException, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/decorators.js';
import { Env } from '../config/env.js';
import { MetricsService } from '../common/metrics/metrics.service.js';

/**
 * `GET /metrics` on the main port, unless disabled or moved to `METRICS_PORT` (then this route
 * answers exactly like an unknown route). Public: restrict it at the network (README, "Deploying").
 */
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly env: Env,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    if (!this.env.METRICS_ENABLED || this.env.METRICS_PORT > 0) throw new NotFoundException('Cannot GET /metrics');
    res.type(this.metrics.contentType);
    return this.metrics.render();
  }
}
